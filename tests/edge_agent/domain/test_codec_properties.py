"""No input makes the codec misbehave: parse_gh1 raises only CodecError, and
read_credential / inspect_code never raise at all; a damaged valid code is never ok."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.domain.base45 import ALPHABET, b45decode, b45encode
from edge_agent.domain.credential import MalformedCredential, PlainCredential, SignedCredential
from edge_agent.domain.errors import CodecError
from edge_agent.domain.keyring import dump_keyring, keyring_entry_for_platform, load_keyring
from edge_agent.domain.reasons import ReasonCode
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import PREFIX, encode_gh1, parse_gh1
from edge_agent.domain.trusted_key import key_id_of
from edge_agent.domain.verification import inspect_code, read_credential

KEY = Ed25519PrivateKey.from_private_bytes(b"\x42" * 32)
RAW = KEY.public_key().public_bytes_raw()
KEYRING = load_keyring(dump_keyring([keyring_entry_for_platform(RAW, None)]))
BODY = TicketBody(
    key_id=key_id_of(RAW), event_id=1001, ticket_id=b"\x5a" * 16, ticket_type=1, valid_until=0
)
VALID = encode_gh1(BODY, KEY)
VALID_BYTES = b45decode(VALID[len(PREFIX) :])
AT = 1767260000

texts = st.one_of(
    st.text(),  # any code point but surrogates (hypothesis' default)
    st.text(st.characters(exclude_categories=())),  # lone surrogates included
    st.lists(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)).map("".join),
    st.text(st.characters(exclude_categories=()), max_size=20).map(lambda s: "GH1:" + s),
    st.binary(max_size=400).map(lambda b: b.decode("latin-1")),
    st.text(alphabet=ALPHABET, max_size=200).map(lambda s: PREFIX + s),
    st.text(alphabet=ALPHABET, min_size=150, max_size=150).map(lambda s: PREFIX + s),
    st.text(alphabet=ALPHABET + "\r\n\t abc", max_size=200).map(lambda s: PREFIX + s),
)


def _check_all(text: str) -> None:
    error: CodecError | None = None
    try:
        ticket = parse_gh1(text)
    except CodecError as exc:
        error = exc
    if error is not None:
        assert error.reason is ReasonCode.MALFORMED
        assert error.detail
    else:
        assert ticket.body.version == 1
        assert ticket.body.flags == 0
        assert len(ticket.body_bytes) == 36
        assert len(ticket.signature) == 64
    cred = read_credential(text, KEYRING)
    assert isinstance(cred, SignedCredential | PlainCredential | MalformedCredential)
    for event in (None, 0, 1001):
        result = inspect_code(text, KEYRING, event, AT)
        assert set(result) >= {"valid", "reason"}
        assert result["valid"] is (result["reason"] == "ok")


@settings(max_examples=400)
@given(texts)
def test_no_input_raises_anything_unexpected(text: str) -> None:
    _check_all(text)


@pytest.mark.parametrize("text", ["\ud800", "GH1:\udcff", "\udfff" * 600, "x\ud83d"])
def test_lone_surrogates_never_raise(text: str) -> None:
    _check_all(text)


@settings(max_examples=300)
@given(st.text(alphabet=ALPHABET, min_size=150, max_size=150))
def test_random_well_formed_looking_codes_are_never_ok(payload: str) -> None:
    """A random 150-character payload forging a GH1 code is never accepted."""
    result = inspect_code(PREFIX + payload, KEYRING, None, AT)
    assert result["reason"] != "ok"


def test_valid_code_is_ok() -> None:
    assert inspect_code(VALID, KEYRING, 1001, AT)["reason"] == "ok"


@settings(max_examples=500)
@given(
    st.integers(min_value=0, max_value=len(VALID_BYTES) - 1),
    st.integers(min_value=1, max_value=255),
)
def test_mutating_any_byte_of_a_valid_code_is_never_ok(index: int, xor: int) -> None:
    data = bytearray(VALID_BYTES)
    data[index] ^= xor
    mutated = PREFIX + b45encode(bytes(data))
    _check_all(mutated)
    assert inspect_code(mutated, KEYRING, None, AT)["reason"] != "ok"
    cred = read_credential(mutated, KEYRING)
    assert not (isinstance(cred, SignedCredential) and cred.signature is ReasonCode.OK)


def test_every_single_bit_flip_is_never_ok() -> None:
    """Exhaustive companion of the property above: all 800 single-bit flips."""
    for index in range(len(VALID_BYTES)):
        for bit in range(8):
            data = bytearray(VALID_BYTES)
            data[index] ^= 1 << bit
            result = inspect_code(PREFIX + b45encode(bytes(data)), KEYRING, None, AT)
            assert result["reason"] != "ok", (index, bit)


@settings(max_examples=500)
@given(
    st.integers(min_value=0, max_value=len(VALID) - 1),
    st.characters(),
)
def test_mutating_any_character_of_the_text_is_never_ok(index: int, ch: str) -> None:
    mutated = VALID[:index] + ch + VALID[index + 1 :]
    _check_all(mutated)
    if mutated != VALID:
        assert inspect_code(mutated, KEYRING, None, AT)["reason"] != "ok"
