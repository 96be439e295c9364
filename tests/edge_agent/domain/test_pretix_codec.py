"""pretix_sig1 reading: the payload decoder's rules, one spelling per ticket for any text
(hypothesis), and pretix keys in the keyring (scheme, scope, no cross-scheme use)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.domain.credential import (
    MalformedCredential,
    PlainCredential,
    PretixCredential,
    SignedCredential,
)
from edge_agent.domain.errors import CodecError, KeyringError
from edge_agent.domain.keyring import (
    dump_keyring,
    keyring_entry_for_platform,
    keyring_entry_for_pretix,
    load_keyring,
)
from edge_agent.domain.pretix_keys import raw_to_pem_b64, read_valid_keys
from edge_agent.domain.pretix_payload import PretixTicket, decode_payload, encode_payload
from edge_agent.domain.pretix_sig1 import (
    encode_pretix_sig1,
    looks_like_pretix_sig1,
    parse_pretix_sig1,
    sign_pretix_ticket,
)
from edge_agent.domain.reasons import ReasonCode
from edge_agent.domain.ticket_codec import strip_code
from edge_agent.domain.trusted_key import KeyScheme, key_id_of
from edge_agent.domain.verification import inspect_code, read_credential

KEY = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
RAW = KEY.public_key().public_bytes_raw()
KEYRING = load_keyring(dump_keyring([keyring_entry_for_pretix(RAW, [1001])]))
VALID = sign_pretix_ticket(PretixTicket("Abc123xyZ", 4, 2, 9, 10, 20), KEY)

tickets = st.builds(
    PretixTicket,
    seed=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=20
    ),
    item=st.integers(0, 2**63 - 1),
    variation=st.integers(0, 2**40),
    subevent=st.integers(0, 2**40),
    valid_from=st.integers(0, 2**33),
    valid_until=st.integers(0, 2**33),
)


@given(tickets, st.booleans())
def test_payload_round_trip(ticket: PretixTicket, validity: bool) -> None:
    decoded = decode_payload(encode_payload(ticket, write_validity=validity))
    if not validity:
        ticket = PretixTicket(ticket.seed, ticket.item, ticket.variation, ticket.subevent)
    assert decoded == ticket


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"", "no seed"),
        (b"\x10\x01", "no seed"),
        (b"\x0a\x01a\x0a\x01b", "repeated"),
        (b"\x0a\x01a\x10\x01\x10\x02", "repeated"),
        (b"\x0a\x01a\x10\x81\x00", "over-long"),
        (b"\x0a\x01a\x10" + b"\xff" * 10 + b"\x01", "longer than 10"),
        (b"\x0a\x01a\x10" + b"\xff" * 9 + b"\x01", "negative"),
        (b"\x0a\x01a\x15\x01\x00\x00\x00", "wire type 5"),
        (b"\x0a\x01a\x10\x01\x3b", "groups"),
        (b"\x0a\x05a", "past the end"),
        (b"\x0a\x02\xff\xfe", "UTF-8"),
        (b"\x0a\x00", "1..64"),
        (b"\x0a\x01\x07", "1..64"),
        (b"\x0a\x01a\x10", "truncated"),
        (b"\x0a\x01a\x39\x00\x00", "fixed-size"),
        (b"\x02\x00", "field number 0"),
    ],
)
def test_payload_rules(payload: bytes, problem: str) -> None:
    with pytest.raises(CodecError, match=problem):
        decode_payload(payload)


def test_unknown_fields_of_each_normal_wire_type_are_skipped() -> None:
    base = encode_payload(PretixTicket("s", 1))
    extra = b"\x38\x05" + b"\x41" + bytes(8) + b"\x4a\x02hi" + b"\x55" + bytes(4)
    assert decode_payload(base + extra) == PretixTicket("s", 1)


codes = st.one_of(
    st.text(max_size=200),
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_!\n ",
        max_size=200,
    ),
    st.integers(0, len(VALID) - 1).flatmap(
        lambda i: st.text(min_size=1, max_size=3).map(lambda junk: VALID[:i] + junk + VALID[i:])
    ),
    st.binary(max_size=120).map(lambda b: base64.b64encode(b"\x01" + b).decode()[::-1]),
)


@settings(max_examples=300)
@given(codes)
def test_one_spelling_per_ticket_for_any_text(text: str) -> None:
    """Whatever parses re-encodes to the very same (stripped) text, and nothing raises."""
    stripped = strip_code(text)
    try:
        secret = parse_pretix_sig1(stripped)
    except CodecError:
        pass
    else:
        raw = bytes([1]) + len(secret.payload).to_bytes(2, "big") + b"\x00\x40"
        assert base64.b64encode(raw + secret.payload + secret.signature).decode()[::-1] == stripped
    cred = read_credential(text, KEYRING)
    assert isinstance(cred, PretixCredential | PlainCredential | MalformedCredential)
    assert not isinstance(cred, SignedCredential)
    if isinstance(cred, PretixCredential) and cred.signature is ReasonCode.OK:
        assert stripped == VALID
    inspect_code(text, KEYRING, 1001, 15)


def test_valid_code_reads_and_inspects() -> None:
    cred = read_credential("\n" + VALID + "\r\n", KEYRING)
    assert isinstance(cred, PretixCredential) and cred.signature is ReasonCode.OK
    assert cred.key is not None and cred.key.scheme is KeyScheme.PRETIX_SIG1
    out = inspect_code(VALID, KEYRING, 1001, 15)
    assert out["reason"] == "ok" and out["scheme"] == "pretix_sig1"
    assert (out["item"], out["variation"], out["subevent"]) == (4, 2, 9)
    assert inspect_code(VALID, KEYRING, 1002, 15)["reason"] == "wrong_event"
    assert inspect_code(VALID, KEYRING, None, 9)["reason"] == "not_yet_valid"
    assert inspect_code(VALID, KEYRING, None, 21)["reason"] == "expired"
    assert inspect_code(VALID, KEYRING, None, 20)["reason"] == "ok"  # inclusive


def test_envelope_rules_name_the_problem() -> None:
    raw = base64.b64decode(VALID[::-1])
    with pytest.raises(CodecError, match="signature length"):
        parse_pretix_sig1(base64.b64encode(raw[:3] + b"\x00\x41" + raw[5:]).decode()[::-1])
    with pytest.raises(CodecError, match="declared lengths"):
        parse_pretix_sig1(base64.b64encode(raw + b"\x00").decode()[::-1])
    with pytest.raises(CodecError, match="non-canonical"):
        parse_pretix_sig1("=" + chr(ord(VALID[1]) + 1) + VALID[2:])
    with pytest.raises(CodecError, match="at most 512"):
        parse_pretix_sig1("A" * 516)
    assert looks_like_pretix_sig1(VALID) and not looks_like_pretix_sig1("4006381333931")


def test_random_pretix_secrets_and_barcodes_stay_plain_codes() -> None:
    for text in ("k4x9qzwpf2b7s3rmvd8hcj6tnyeg5au1", "4006381333931", "ABCD", "MY-OWN-SECRET-1"):
        assert isinstance(read_credential(text, KEYRING), PlainCredential)


def test_pretix_keys_verify_pretix_codes_only() -> None:
    gh1_only = load_keyring(dump_keyring([keyring_entry_for_platform(RAW, None)]))
    cred = read_credential(VALID, gh1_only)
    assert isinstance(cred, PretixCredential) and cred.signature is ReasonCode.BAD_SIGNATURE
    assert KEYRING.get(key_id_of(RAW)) is None  # a GH1 look-up never finds a pretix key
    assert [k.raw_public_key for k in KEYRING.pretix_keys] == [RAW]


def test_keyring_scheme_rules() -> None:
    entry = keyring_entry_for_pretix(RAW, [1001])
    assert entry["scheme"] == "pretix_sig1" and entry["role"] == "platform"
    with pytest.raises(KeyringError, match="scheme must be one of"):
        load_keyring({"keys": [{**entry, "scheme": "pretix_sig2"}]})
    with pytest.raises(KeyringError, match='role "platform"'):
        load_keyring({"keys": [{**entry, "role": "agent"}]})


def test_a_pretix_key_cannot_certify_an_agent() -> None:
    from edge_agent.domain.agent_certificate import issue_certificate
    from edge_agent.domain.keyring import keyring_entry_for_agent

    agent = Ed25519PrivateKey.generate()
    cert = issue_certificate(
        KEY,
        agent_id="a",
        agent_public_key=agent.public_key().public_bytes_raw(),
        events=[1001],
        not_before=0,
        not_after=10,
    )
    ring = load_keyring(
        dump_keyring([keyring_entry_for_pretix(RAW, [1001]), keyring_entry_for_agent(cert)])
    )
    assert len(ring.keys) == 1 and "not a platform key" in ring.warnings[0]


def test_valid_keys_documents() -> None:
    pem = raw_to_pem_b64(RAW)
    assert read_valid_keys({"pretix_sig1": [pem, pem]}) == [RAW]
    assert read_valid_keys({"name": {"en": "x"}, "valid_keys": {"pretix_sig1": [pem]}}) == [RAW]
    assert read_valid_keys({"pretix_sig1": []}) == []
    for bad, problem in (
        ({"pretix_sig1": "x"}, "valid_keys object"),
        ({"pretix_sig1": ["!!"]}, "not standard base64"),
        ({"pretix_sig1": [base64.b64encode(b"hello").decode()]}, "not a PEM public key"),
        ([], "valid_keys object"),
    ):
        with pytest.raises(KeyringError, match=problem):
            read_valid_keys(bad)
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(KeyringError, match="not an Ed25519 key"):
        read_valid_keys({"pretix_sig1": [base64.b64encode(ec_pem).decode()]})
    assert json.loads(json.dumps(keyring_entry_for_pretix(RAW, [1]))) == keyring_entry_for_pretix(
        RAW, [1]
    )


def test_encode_refuses_what_cannot_be_a_payload() -> None:
    with pytest.raises(ValueError, match="int64"):
        encode_payload(PretixTicket("s", -1))
    assert parse_pretix_sig1(encode_pretix_sig1(b"\x0a\x01s", KEY)).ticket == PretixTicket("s", 0)
