"""Agent certificates: exact signed message, issue/verify, JSON form."""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edge_agent.domain.agent_certificate import (
    AgentCertificate,
    b64url_decode,
    b64url_encode,
    certificate_message,
    issue_certificate,
    verify_certificate,
)
from edge_agent.domain.errors import CertificateError
from edge_agent.domain.trusted_key import key_id_of
from tests.paths import GOLDEN_DIR

EXAMPLES = GOLDEN_DIR / "ticket-v1-examples"
PLATFORM = Ed25519PrivateKey.from_private_bytes(b"\x01" * 32)
OTHER = Ed25519PrivateKey.from_private_bytes(b"\x02" * 32)
AGENT_RAW = Ed25519PrivateKey.from_private_bytes(b"\x03" * 32).public_key().public_bytes_raw()


def make_cert(**overrides: object) -> AgentCertificate:
    cert = issue_certificate(
        PLATFORM,
        agent_id="gate-box-1",
        agent_public_key=AGENT_RAW,
        events=[1001, 1003],
        not_before=1767225600,
        not_after=1767312000,
    )
    return replace(cert, **overrides)  # type: ignore[arg-type]


def test_signed_message_is_the_spec_layout() -> None:
    expected = (
        b"gatehouse-agent-cert-v1"
        + hashlib.sha256(b"gate-box-1").digest()
        + AGENT_RAW
        + struct.pack(">IIH", 1767225600, 1767312000, 2)
        + struct.pack(">II", 1001, 1003)
    )
    assert make_cert().signed_message() == expected
    assert certificate_message("", AGENT_RAW, 0, 0, []) == (
        b"gatehouse-agent-cert-v1" + hashlib.sha256(b"").digest() + AGENT_RAW + bytes(10)
    )


def test_issue_then_verify() -> None:
    cert = make_cert()
    assert cert.issuer_key_id == key_id_of(PLATFORM.public_key().public_bytes_raw()).hex()
    verify_certificate(cert, PLATFORM.public_key())
    PLATFORM.public_key().verify(cert.signature, cert.signed_message())


@pytest.mark.parametrize(
    "overrides",
    [
        {"agent_id": "gate-box-2"},
        {"public_key": bytes(32)},
        {"events": (1001,)},
        {"events": (1003, 1001)},  # order is signed
        {"not_before": 1767225601},
        {"not_after": 1767312001},
        {"signature": bytes(64)},
    ],
)
def test_any_altered_signed_field_fails(overrides: dict[str, object]) -> None:
    with pytest.raises(CertificateError, match="does not verify"):
        verify_certificate(make_cert(**overrides), PLATFORM.public_key())


def test_wrong_issuer_key_fails() -> None:
    with pytest.raises(CertificateError, match="names issuer"):
        verify_certificate(make_cert(), OTHER.public_key())
    other_id = key_id_of(OTHER.public_key().public_bytes_raw()).hex()
    with pytest.raises(CertificateError, match="does not verify"):
        verify_certificate(make_cert(issuer_key_id=other_id), OTHER.public_key())


def test_json_round_trip() -> None:
    cert = make_cert()
    doc = json.loads(json.dumps(cert.to_json_dict()))
    assert doc["public_key"] == b64url_encode(AGENT_RAW)
    assert "=" not in doc["signature"]
    assert AgentCertificate.from_json_dict(doc) == cert


def test_certificate_from_the_independent_examples_verifies() -> None:
    """The shared keyring was made by a separate implementation of the spec: its good
    certificate must verify with our message layout (and its altered one must not)."""
    keys = json.loads((EXAMPLES / "keyring.json").read_text())["keys"]
    platform = {
        key_id_of(b64url_decode(k["public_key"])).hex(): k for k in keys if k["role"] == "platform"
    }
    good = AgentCertificate.from_json_dict(keys[2]["certificate"])
    issuer = Ed25519PublicKey.from_public_bytes(
        b64url_decode(platform[good.issuer_key_id]["public_key"])
    )
    verify_certificate(good, issuer)
    altered = AgentCertificate.from_json_dict(keys[4]["certificate"])
    issuer = Ed25519PublicKey.from_public_bytes(
        b64url_decode(platform[altered.issuer_key_id]["public_key"])
    )
    with pytest.raises(CertificateError):
        verify_certificate(altered, issuer)


def test_upper_case_issuer_key_id_is_read_as_lower_case() -> None:
    doc = make_cert().to_json_dict()
    doc["issuer_key_id"] = str(doc["issuer_key_id"]).upper()
    assert AgentCertificate.from_json_dict(doc) == make_cert()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("agent_id", None),
        ("agent_id", 5),
        ("public_key", None),
        ("public_key", b64url_encode(bytes(31))),
        ("public_key", b64url_encode(AGENT_RAW) + "="),
        ("signature", b64url_encode(bytes(63))),
        ("signature", "+" * 86),
        ("events", None),
        ("events", [1001, "1002"]),
        ("events", [True]),
        ("events", [-1]),
        ("events", [2**32]),
        ("events", [1.5]),
        ("not_before", None),
        ("not_before", True),
        ("not_after", -1),
        ("not_after", 2**32),
        ("not_after", "1767312000"),
        ("issuer_key_id", "abc"),
        ("issuer_key_id", "zzzzzzzz"),
        ("issuer_key_id", 12345678),
    ],
)
def test_from_json_rejects_bad_fields(field: str, value: object) -> None:
    doc = make_cert().to_json_dict()
    doc[field] = value
    with pytest.raises(CertificateError, match=field):
        AgentCertificate.from_json_dict(doc)


def test_from_json_rejects_non_objects_and_ignores_unknown_fields() -> None:
    with pytest.raises(CertificateError):
        AgentCertificate.from_json_dict([1, 2])
    doc = make_cert().to_json_dict()
    doc["comment"] = "added by a newer platform"
    assert AgentCertificate.from_json_dict(doc) == make_cert()


def test_message_refuses_values_that_do_not_fit() -> None:
    with pytest.raises(CertificateError, match="65535"):
        certificate_message("a", AGENT_RAW, 0, 0, range(65536))
    with pytest.raises(CertificateError, match="32 bytes"):
        certificate_message("a", AGENT_RAW[:31], 0, 0, [])
    with pytest.raises(CertificateError, match="not_before"):
        certificate_message("a", AGENT_RAW, -1, 0, [])
    with pytest.raises(CertificateError, match="Unicode"):
        certificate_message("\ud800", AGENT_RAW, 0, 0, [])


@pytest.mark.parametrize("text", ["AA==", "AA=", "A", "AB", "a+b/", "AAA\n", "AAB"])
def test_b64url_decode_is_strict(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by case
        b64url_decode(text)


def test_b64url_round_trip() -> None:
    for n in range(70):
        raw = bytes(range(n))
        assert b64url_decode(b64url_encode(raw)) == raw
