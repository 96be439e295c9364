"""GH1 text form: strip rule, parse, encode (``docs/formats/ticket-v1.md``)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.domain.base45 import ALPHABET, b45decode, b45encode
from edge_agent.domain.errors import CodecError
from edge_agent.domain.reasons import ReasonCode
from edge_agent.domain.ticket import SIGNING_CONTEXT, TicketBody
from edge_agent.domain.ticket_codec import (
    PREFIX,
    encode_gh1,
    encode_signed,
    parse_gh1,
    sign_body,
    strip_code,
)
from edge_agent.domain.trusted_key import key_id_of

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
RAW = KEY.public_key().public_bytes_raw()


def make_body(**fields: int) -> TicketBody:
    values: dict[str, int] = {"event_id": 1001, "ticket_type": 2, "valid_until": 1767312000}
    values.update(fields)
    return TicketBody(key_id=key_id_of(RAW), ticket_id=bytes(range(16)), **values)


def payload(code: str) -> bytes:
    return b45decode(code[len(PREFIX) :])


def test_round_trip_keeps_every_field_and_the_signature_verifies() -> None:
    body = make_body(valid_from=5, ticket_type=65535, event_id=0xFFFFFFFF)
    ticket = parse_gh1(encode_gh1(body, KEY))
    assert ticket.body == body
    assert ticket.body_bytes == body.to_bytes()
    assert len(ticket.signature) == 64
    KEY.public_key().verify(ticket.signature, SIGNING_CONTEXT + ticket.body_bytes)


def test_code_is_154_qr_alphanumeric_characters_and_deterministic() -> None:
    code = encode_gh1(make_body(), KEY)
    assert len(code) == 154
    assert code.startswith("GH1:")
    assert set(code) <= set(ALPHABET)
    assert encode_gh1(make_body(), KEY) == code


def test_body_layout_is_the_spec_table() -> None:
    body = make_body(valid_from=0x01020304, valid_until=0x0A0B0C0D, ticket_type=0x0102)
    raw = payload(encode_gh1(body, KEY))
    assert raw[0] == 1
    assert raw[1] == 0
    assert raw[2:6] == key_id_of(RAW)
    assert raw[6:10] == (1001).to_bytes(4, "big")
    assert raw[10:26] == bytes(range(16))
    assert raw[26:28] == b"\x01\x02"
    assert raw[28:32] == b"\x01\x02\x03\x04"
    assert raw[32:36] == b"\x0a\x0b\x0c\x0d"
    assert len(raw) == 100


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\r\n \tGH1:X\t \n\r", "GH1:X"),
        ("  A B  ", "A B"),
        ("\u00a0GH1\u00a0", "\u00a0GH1\u00a0"),  # no-break space is not stripped
        ("\u2003x\u2028", "\u2003x\u2028"),  # nor other Unicode spaces
        ("\x0bx\x0c", "\x0bx\x0c"),  # nor vertical tab / form feed
        ("\x00x", "\x00x"),
        ("abc", "abc"),  # no case folding
        (" \t\r\n", ""),
    ],
)
def test_strip_code_strips_exactly_cr_lf_space_tab(text: str, expected: str) -> None:
    assert strip_code(text) == expected


def _reencoded(raw: bytes) -> str:
    return PREFIX + b45encode(raw)


GOOD = encode_gh1(make_body(), KEY)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "prefix"),
        ("GH1", "prefix"),
        ("gh1:" + GOOD[4:], "prefix"),
        ("Gh1:" + GOOD[4:], "prefix"),
        (" " + GOOD, "prefix"),  # parse_gh1 expects stripped text
        ("GH2:" + GOOD[4:], "prefix"),
        ("GH1:", "length"),
        ("GH1:0", "base45"),
        (GOOD[:4] + GOOD[4:].lower(), "base45"),
        (GOOD[:4] + "GGW" + GOOD[7:], "base45"),
        (GOOD + " ", "length"),  # 151 characters: never decoded
        (GOOD + "0" * 3000, "length"),
        (GOOD[:-3], "length"),  # 98 bytes... 147 chars -> 98 bytes
        (_reencoded(payload(GOOD)[:99]), "length"),
        (_reencoded(payload(GOOD) + b"\x00"), "length"),
        (encode_signed(sign_body(make_body(version=2), KEY)), "version 2"),
        (encode_signed(sign_body(make_body(version=0), KEY)), "version 0"),
        (encode_signed(sign_body(make_body(flags=1), KEY)), "flags 0x01"),
        (encode_signed(sign_body(make_body(flags=0x80), KEY)), "flags 0x80"),
    ],
)
def test_parse_rejects_with_a_precise_detail(text: str, detail: str) -> None:
    with pytest.raises(CodecError) as info:
        parse_gh1(text)
    assert detail in info.value.detail
    assert info.value.reason is ReasonCode.MALFORMED


def test_version_is_checked_before_flags() -> None:
    code = encode_signed(sign_body(make_body(version=2, flags=1), KEY))
    with pytest.raises(CodecError, match="version"):
        parse_gh1(code)


def test_parse_does_not_check_the_signature() -> None:
    raw = bytearray(payload(GOOD))
    raw[-1] ^= 1
    ticket = parse_gh1(_reencoded(bytes(raw)))
    assert ticket.body == make_body()
    assert ticket.signature == bytes(raw[36:])


def test_sign_body_refuses_out_of_range_fields() -> None:
    with pytest.raises(ValueError, match="out of range"):
        sign_body(make_body(ticket_type=65536), KEY)
    with pytest.raises(ValueError, match="out of range"):
        sign_body(make_body(valid_until=-1), KEY)


@given(st.binary(min_size=100, max_size=100))
def test_strip_rule_never_eats_part_of_a_code(raw: bytes) -> None:
    """Space is a base45 character, but the last character of 100 encoded bytes is a
    high digit (value <= 32) and the first follows "GH1:", so stripping cannot shorten
    a real code."""
    text = PREFIX + b45encode(raw)
    assert strip_code(text) == text
    if raw[0] == 1 and raw[1] == 0:
        assert parse_gh1(text).body_bytes == raw[:36]
