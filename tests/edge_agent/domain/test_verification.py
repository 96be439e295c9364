"""read_credential, code_sha256, window_reason, codec_reason and inspect_code."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.agent_certificate import issue_certificate
from edge_agent.domain.base45 import b45decode, b45encode
from edge_agent.domain.credential import MalformedCredential, PlainCredential, SignedCredential
from edge_agent.domain.keyring import (
    dump_keyring,
    keyring_entry_for_agent,
    keyring_entry_for_platform,
    load_keyring,
)
from edge_agent.domain.reasons import ReasonCode
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import encode_gh1
from edge_agent.domain.trusted_key import Keyring, TrustedKey, key_id_of
from edge_agent.domain.verification import (
    MAX_PLAIN_LEN,
    code_sha256,
    codec_reason,
    inspect_code,
    read_credential,
    window_reason,
)

PLATFORM = Ed25519PrivateKey.from_private_bytes(b"\x11" * 32)
AGENT = Ed25519PrivateKey.from_private_bytes(b"\x22" * 32)
STRANGER = Ed25519PrivateKey.from_private_bytes(b"\x33" * 32)
NB, NA = 1000, 2000


def raw(k: Ed25519PrivateKey) -> bytes:
    return k.public_key().public_bytes_raw()


def make_keyring() -> Keyring:
    cert = issue_certificate(
        PLATFORM,
        agent_id="door",
        agent_public_key=raw(AGENT),
        events=[7, 8],
        not_before=NB,
        not_after=NA,
    )
    return load_keyring(
        dump_keyring(
            [keyring_entry_for_platform(raw(PLATFORM), [7]), keyring_entry_for_agent(cert)]
        )
    )


KEYRING = make_keyring()


def body(signer: Ed25519PrivateKey = PLATFORM, **fields: int) -> TicketBody:
    values: dict[str, int] = {"event_id": 7, "ticket_type": 1}
    values.update(fields)
    return TicketBody(key_id=key_id_of(raw(signer)), ticket_id=b"\xab" * 16, **values)


def code(signer: Ed25519PrivateKey = PLATFORM, **fields: int) -> str:
    return encode_gh1(body(signer, **fields), signer)


def platform_key() -> TrustedKey:
    key = KEYRING.get(key_id_of(raw(PLATFORM)))
    assert key is not None
    return key


def agent_key() -> TrustedKey:
    key = KEYRING.get(key_id_of(raw(AGENT)))
    assert key is not None
    return key


# --- read_credential -----------------------------------------------------------------


def test_good_code_reads_as_signed_ok_with_its_key() -> None:
    cred = read_credential(" " + code() + "\r\n", KEYRING)
    assert isinstance(cred, SignedCredential)
    assert cred.signature is ReasonCode.OK
    assert cred.key == platform_key()
    assert cred.ticket == body()


def test_unknown_key() -> None:
    cred = read_credential(code(STRANGER), KEYRING)
    assert isinstance(cred, SignedCredential)
    assert cred.signature is ReasonCode.UNKNOWN_KEY
    assert cred.key is None


def test_bad_signature_keeps_the_key() -> None:
    raw_code = bytearray(b45decode(code()[4:]))
    raw_code[50] ^= 0x10
    cred = read_credential("GH1:" + b45encode(bytes(raw_code)), KEYRING)
    assert isinstance(cred, SignedCredential)
    assert cred.signature is ReasonCode.BAD_SIGNATURE
    assert cred.key == platform_key()


def test_signed_by_another_key_under_a_trusted_key_id_is_bad_signature() -> None:
    forged = encode_gh1(body(PLATFORM), STRANGER)  # P's key id, S's signature
    cred = read_credential(forged, KEYRING)
    assert isinstance(cred, SignedCredential)
    assert cred.signature is ReasonCode.BAD_SIGNATURE


@pytest.mark.parametrize("text", ["GH1:", "GH1:0", "GH1:" + "0" * 150, "\tGH1:ABC\n"])
def test_malformed_gh1_is_malformed_not_plain(text: str) -> None:
    assert isinstance(read_credential(text, KEYRING), MalformedCredential)


@pytest.mark.parametrize("text", ["", " ", "\r\n", "\t \t"])
def test_empty_is_malformed(text: str) -> None:
    cred = read_credential(text, KEYRING)
    assert isinstance(cred, MalformedCredential)
    assert "empty" in cred.detail


@pytest.mark.parametrize("ch", ["\x00", "\x1b", "\x07", "\x7f", "\x85", "\x9f", "\x0b", "\x0c"])
def test_control_characters_make_a_plain_code_malformed(ch: str) -> None:
    cred = read_credential(f"ABC{ch}123", KEYRING)
    assert isinstance(cred, MalformedCredential)
    assert "control" in cred.detail


@pytest.mark.parametrize("text", ["\ud800lone", "A\udfffB"])
def test_lone_surrogates_make_a_plain_code_malformed(text: str) -> None:
    cred = read_credential(text, KEYRING)
    assert isinstance(cred, MalformedCredential)
    assert "surrogate" in cred.detail


def test_plain_code_length_limit_counts_stripped_characters() -> None:
    ok = read_credential("  " + "é" * MAX_PLAIN_LEN + "\n", KEYRING)
    assert isinstance(ok, PlainCredential)
    too_long = read_credential("x" * (MAX_PLAIN_LEN + 1), KEYRING)
    assert isinstance(too_long, MalformedCredential)


@pytest.mark.parametrize("text", ["ABC-123", "gh1:" + "A" * 150, "GH1", "ticket 42", "\u00a0X"])
def test_plain_codes_hash_the_stripped_text(text: str) -> None:
    cred = read_credential("\t" + text + "\r\n", KEYRING)
    assert cred == PlainCredential(
        code_sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    )


def test_code_sha256_uses_the_same_strip_rule() -> None:
    assert code_sha256("ABC\r\n") == code_sha256(" ABC") == hashlib.sha256(b"ABC").hexdigest()
    assert code_sha256("\u00a0ABC") != code_sha256("ABC")
    assert code_sha256("abc") != code_sha256("ABC")
    assert code_sha256("\udcff") == hashlib.sha256(b"\xed\xb3\xbf").hexdigest()
    assert code_sha256("") == hashlib.sha256(b"").hexdigest()


# --- window_reason ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "at", "expected"),
    [
        (0, 0, 0, None),
        (0, 0, 2**32 - 1, None),
        (100, 0, 99, ReasonCode.NOT_YET_VALID),
        (100, 0, 100, None),
        (0, 100, 100, None),
        (0, 100, 101, ReasonCode.EXPIRED),
        (100, 100, 100, None),
        (200, 100, 150, ReasonCode.NOT_YET_VALID),  # inverted: not_yet_valid first
        (1, 0, 0, ReasonCode.NOT_YET_VALID),
    ],
)
def test_ticket_window_inclusive(
    valid_from: int, valid_until: int, at: int, expected: ReasonCode | None
) -> None:
    ticket = body(valid_from=valid_from, valid_until=valid_until)
    assert window_reason(ticket, platform_key(), at) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (NB - 1, ReasonCode.NOT_YET_VALID),
        (NB, None),
        (NA, None),
        (NA + 1, ReasonCode.EXPIRED),
    ],
)
def test_agent_certificate_window_inclusive(at: int, expected: ReasonCode | None) -> None:
    assert window_reason(body(AGENT), agent_key(), at) is expected


def test_ticket_and_certificate_windows_both_apply() -> None:
    inside_cert_late_ticket = body(AGENT, valid_from=NB + 10)
    assert window_reason(inside_cert_late_ticket, agent_key(), NB + 5) is ReasonCode.NOT_YET_VALID
    long_ticket = body(AGENT, valid_until=NA + 1000)
    assert window_reason(long_ticket, agent_key(), NA + 1) is ReasonCode.EXPIRED


def test_grace_widens_both_sides_of_every_bound() -> None:
    ticket = body(valid_from=100, valid_until=200)
    assert window_reason(ticket, platform_key(), 90, grace_s=10) is None
    assert window_reason(ticket, platform_key(), 89, grace_s=10) is ReasonCode.NOT_YET_VALID
    assert window_reason(ticket, platform_key(), 210, grace_s=10) is None
    assert window_reason(ticket, platform_key(), 211, grace_s=10) is ReasonCode.EXPIRED
    assert window_reason(body(AGENT), agent_key(), NB - 5, grace_s=5) is None
    assert window_reason(body(AGENT), agent_key(), NA + 5, grace_s=5) is None
    assert window_reason(body(AGENT), agent_key(), NA + 6, grace_s=5) is ReasonCode.EXPIRED


# --- codec_reason / inspect_code: the spec's order ---------------------------------------


def _reason(text: str, event: int | None, at: int) -> str:
    result = inspect_code(text, KEYRING, event, at)
    assert isinstance(result["reason"], str)
    return result["reason"]


def test_verification_order() -> None:
    at = 1500
    # key_not_for_event before wrong_event before windows
    assert _reason(code(event_id=8), 7, 0) == "key_not_for_event"
    assert _reason(code(AGENT, event_id=8), None, NA + 1) == "key_not_for_event"  # agent: 7 only
    assert _reason(code(event_id=7, valid_until=1), 8, at) == "wrong_event"
    assert _reason(code(event_id=7, valid_from=2000, valid_until=1), None, at) == "not_yet_valid"
    assert _reason(code(event_id=7, valid_until=1), None, at) == "expired"
    assert _reason(code(event_id=7), 7, at) == "ok"
    assert _reason(code(STRANGER, event_id=8), 7, 0) == "unknown_key"


def test_codec_reason_passes_signature_verdicts_through() -> None:
    cred = read_credential(code(STRANGER), KEYRING)
    assert isinstance(cred, SignedCredential)
    assert codec_reason(cred, None, 0) is ReasonCode.UNKNOWN_KEY


def test_inspect_object_for_a_valid_code() -> None:
    result = inspect_code(code(event_id=7, valid_until=5000, ticket_type=3), KEYRING, 7, 4000)
    assert list(result) == [
        "valid",
        "reason",
        "scheme",
        "version",
        "key_id",
        "event_id",
        "ticket_id",
        "ticket_type",
        "valid_from",
        "valid_until",
    ]
    assert result == {
        "valid": True,
        "reason": "ok",
        "scheme": "gh1",
        "version": 1,
        "key_id": key_id_of(raw(PLATFORM)).hex(),
        "event_id": 7,
        "ticket_id": "ab" * 16,
        "ticket_type": 3,
        "valid_from": 0,
        "valid_until": 5000,
    }


def test_inspect_keeps_fields_for_every_verdict_but_malformed() -> None:
    result = inspect_code(code(STRANGER), KEYRING, None, 0)
    assert result["valid"] is False
    assert result["reason"] == "unknown_key"
    assert result["key_id"] == key_id_of(raw(STRANGER)).hex()
    assert result["ticket_id"] == "ab" * 16


@pytest.mark.parametrize("text", ["", "ABC-123", "gh1:" + code()[4:], "GH1", code() + "0"])
def test_inspect_malformed_has_only_valid_reason_and_scheme(text: str) -> None:
    result = inspect_code(text, KEYRING, None, 0)
    assert result["valid"] is False
    assert result["reason"] == "malformed"
    assert result["scheme"] == ("gh1" if text.startswith("GH1:") else "plain")
    assert len(result) == 10
    assert all(v is None for k, v in result.items() if k not in ("valid", "reason", "scheme"))
