"""Base45 (RFC 9285) as the GH1 spec needs it: exact encoding and a strict decoder."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_agent.domain.base45 import ALPHABET, b45decode, b45encode
from edge_agent.domain.errors import CodecError
from edge_agent.domain.reasons import ReasonCode

RFC_EXAMPLES = [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
    (b"", ""),
]


@pytest.mark.parametrize(("data", "text"), RFC_EXAMPLES)
def test_rfc9285_examples_encode(data: bytes, text: str) -> None:
    assert b45encode(data) == text


@pytest.mark.parametrize(("data", "text"), RFC_EXAMPLES)
def test_rfc9285_examples_decode(data: bytes, text: str) -> None:
    assert b45decode(text) == data


def test_alphabet_is_the_qr_alphanumeric_set() -> None:
    assert len(ALPHABET) == 45
    assert set(ALPHABET) == set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_largest_groups_decode() -> None:
    assert b45decode("FGW") == b"\xff\xff"  # 15 + 16*45 + 32*2025 = 65535
    assert b45decode("U5") == b"\xff"  # 30 + 5*45 = 255
    assert b45encode(b"\xff\xff\xff") == "FGWU5"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("GGW", "65535"),  # the RFC's own example of an invalid group: 65536
        (":::", "65535"),  # 44 + 44*45 + 44*2025 = 91124
        ("BB8GGW", "65535"),  # overflow in a later group
        ("V5", "255"),  # 31 + 5*45 = 256
        ("::", "255"),
        ("BB8V5", "255"),
        ("A", "single character"),
        ("BB8A", "single character"),
        ("BB8BB8B", "single character"),
        ("bb8", "alphabet"),  # lower case is not base45
        ("BB8%69 vD92EX0", "alphabet"),
        ("BB_", "alphabet"),
        ("BB=", "alphabet"),
        ("BB\x00", "alphabet"),
        ("BB\u00e9", "alphabet"),
        ("BB\u0660", "alphabet"),  # an Arabic-Indic digit is not "0"
        ("BB\ud800", "alphabet"),  # lone surrogate
    ],
)
def test_strict_decoder_rejects(text: str, detail: str) -> None:
    with pytest.raises(CodecError) as info:
        b45decode(text)
    assert detail in info.value.detail
    assert info.value.reason is ReasonCode.MALFORMED


@given(st.binary(max_size=300))
def test_round_trip(data: bytes) -> None:
    text = b45encode(data)
    assert set(text) <= set(ALPHABET)
    assert len(text) == len(data) // 2 * 3 + len(data) % 2 * 2
    assert b45decode(text) == data


@given(st.text(alphabet=ALPHABET, max_size=60))
def test_decoding_is_canonical(text: str) -> None:
    """Strictness means one byte string has exactly one text: whatever decodes must
    re-encode to the very same text (so two texts never name the same ticket)."""
    try:
        data = b45decode(text)
    except CodecError:
        return
    assert b45encode(data) == text


@given(st.text(max_size=60))
def test_arbitrary_text_only_ever_raises_codec_error(text: str) -> None:
    try:
        data = b45decode(text)
    except CodecError:
        return
    assert b45encode(data) == text


def _reference_decode(text: str) -> bytes | None:
    """RFC 9285 decoding written the plain way, one group at a time (None = invalid)."""
    if len(text) % 3 == 1 or any(ch not in ALPHABET for ch in text):
        return None
    out = bytearray()
    for i in range(0, len(text), 3):
        group = [ALPHABET.index(ch) for ch in text[i : i + 3]]
        value = sum(d * 45**k for k, d in enumerate(group))
        if value > (65535 if len(group) == 3 else 255):
            return None
        out += value.to_bytes(2 if len(group) == 3 else 1, "big")
    return bytes(out)


@given(st.text(alphabet=ALPHABET + "a", max_size=160) | st.binary(max_size=120).map(b45encode))
def test_fast_decoder_agrees_with_the_reference(text: str) -> None:
    expected = _reference_decode(text)
    if expected is None:
        with pytest.raises(CodecError):
            b45decode(text)
    else:
        assert b45decode(text) == expected


@pytest.mark.parametrize("position", range(50))
def test_overflow_is_caught_in_every_group_position(position: int) -> None:
    text = "FGW" * position + "GGW" + "FGW" * (49 - position)
    with pytest.raises(CodecError, match="65535"):
        b45decode(text)
    assert b45decode(text.replace("GGW", "FGW")) == b"\xff" * 100
