"""The one card-number rule (agent, box office, platform, log redaction): card numbers
found however typed, ticket codes and ids never; scanned-code fields exempt where a route
says so; and the fast raw-text check for large bodies agreeing with the exact one."""

from __future__ import annotations

import hashlib
import json
import random
import re
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.api.card_guard import text_holds_card_number
from edge_agent.domain.base45 import b45decode, b45encode
from edge_agent.domain.card_numbers import (
    _CARDISH,
    body_has_card_number,
    holds_card_number,
    looks_like_pan,
    luhn_ok,
    text_has_card_number,
)
from edge_agent.domain.errors import CodecError
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import encode_gh1, parse_gh1
from edge_agent.ids import uuid7
from tests.golden import __file__ as golden_init

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
_RUN = re.compile(r"\d{13,19}")


def refused(doc: object) -> bool:
    """The exact verdict on ``doc``, after checking that the fast raw-text check and the
    API's text check agree with it however the JSON is spelled."""
    exact = holds_card_number(doc)
    for text in (
        json.dumps(doc),
        json.dumps(doc, ensure_ascii=False),
        json.dumps(doc, separators=(",", ":"), ensure_ascii=False),
    ):
        assert body_has_card_number(text, doc) == exact, text
        assert text_holds_card_number(text) == exact, text
    return exact


@pytest.mark.parametrize(
    "value",
    [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "card: 5555555555554444.",
        "378282246310005",  # 15-digit Amex
        "6011 0009 9013 9424",
        "4000056655665556",
        4111111111111111,
        4111111111111111.0,
        {"4111111111111111": "as a key"},
        ["x", ["ok", {"deep": "5105 1051 0510 5100"}]],
        "card 4111 1111 1111 1111 please",
        "4111111111111111@example.org",
        "Card:\n4111 1111 1111 1111",  # escaped in the raw JSON: \n is no word
        "\t4111111111111111",
        "4111111111111111\r\n",
        "٤ 4111111111111111",
    ],
)
def test_card_numbers_are_found(value: object) -> None:
    assert refused({"note": value})


@pytest.mark.parametrize(
    "text",
    [
        '{"n": 4.111111111111111e15}',  # a number whose digits are not its value
        '{"n": 41111111111111110000E-4}',
        '{"n": [4111111111111110.99999999999999999]}',  # rounds to 4111111111111111.0
        '{"n": 4111111111111111.000}',
        '{"note": "4111\\u003111111111111"}',  # an escape spelling a digit
    ],
)
def test_the_fast_check_sees_numbers_as_their_values(text: str) -> None:
    doc = json.loads(text)
    assert holds_card_number(doc)
    assert body_has_card_number(text, doc)


@pytest.mark.parametrize(
    "value",
    [
        "4111111111111112",  # fails Luhn
        "411111111111",  # 12 digits
        "41111111111111111111",  # 20 digits
        1_767_000_000_018,  # a Unix-ms time that passes Luhn
        "x4111111111111111",  # part of a word
        "4111111111111111y",
        "a-4111111111111111",
        "4242",
        "+44 20 7946 0958",
        "٤١١١١١١١١١١١١١١١",  # non-ASCII digits are not a card number we can check
        "junk-0.4111111111111111",  # the fraction of a decimal number
        "4111111111111111.5",
        "v1.4111111111111111.2",
        "card4111111111111111",  # touching a letter: part of a word, in free text too
        "1767000000000",
        "A1B2C3",
        "-4111111111111111",
        -4111111111111111,
    ],
)
def test_other_numbers_are_not(value: object) -> None:
    assert not refused({"note": value})


def test_a_scanned_code_field_is_exempt_and_nothing_else() -> None:
    code = {"code"}
    assert not holds_card_number({"code": "4111111111111111"}, exempt=code)
    assert not holds_card_number({"code": "4111 1111 1111 1111", "lane": "a"}, exempt=code)
    assert holds_card_number({"code": "4111111111111111"})  # only where a route says so
    assert holds_card_number({"code": "x", "lane": "4111111111111111"}, exempt=code)
    assert holds_card_number({"code": "x", "4111111111111111": 1}, exempt=code)  # keys
    assert holds_card_number({"code": 4111111111111111}, exempt=code)  # a code is text
    assert holds_card_number({"code": ["4111111111111111"]}, exempt=code)
    assert holds_card_number({"x": {"code": "4111111111111111"}}, exempt=code)  # top only
    assert holds_card_number(["4111111111111111"], exempt=code)
    assert text_holds_card_number('{"code": "x", "device_kind": "4111111111111111"}', code)
    assert not text_holds_card_number('{"code": "4111111111111111"}', code)
    assert text_holds_card_number("code=4111111111111111", code)  # not JSON: all of it


def _codes(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [
        encode_gh1(
            TicketBody(
                key_id=rng.randbytes(4),
                event_id=rng.choice([1001, rng.randrange(2**32)]),
                ticket_id=rng.randbytes(16),
                ticket_type=rng.choice([0, 0, 0, 1, rng.randrange(2**16)]),  # zeros: as sold
                valid_from=rng.choice([0, 0, 0, rng.randrange(2**32)]),
                valid_until=rng.choice([0, 0, 0, rng.randrange(2**32)]),
            ),
            KEY,
        )
        for _ in range(n)
    ]


def test_real_ticket_codes_are_never_refused() -> None:
    """Golden vectors and 10 000 fresh codes: zero-valued fields
    encode as long runs of ``0`` (which pass Luhn), so about one code in a thousand
    would look like a card number to the plain digit rule; a GH1 code is exempt."""
    from pathlib import Path

    golden = Path(golden_init).with_name("gh1_vectors.jsonl").read_text().splitlines()
    codes = [json.loads(line)["code"] for line in golden]
    codes += _codes(10_000, seed=6)
    assert not any(text_has_card_number(c) for c in codes)
    # the sample does hold codes the digit rule alone would refuse (so the exemption works)
    card_like = [c for c in codes if any(looks_like_pan(m[0]) for m in _CARDISH.finditer(c))]
    assert len(card_like) >= 3
    assert not holds_card_number(
        {"code": codes, "codes_with_line_end": [c + "\r\n" for c in codes]}
    )


def test_a_ticket_code_whose_text_holds_a_card_like_run_is_still_a_ticket_code() -> None:
    # Build a structurally valid GH1 code whose base45 text spells a card number.
    first = b45encode(bytes([1, 0]))  # version 1, flags 0
    payload = (first + "0$4111111111111111$").ljust(150, "0")  # no group overflows
    code = "GH1:" + payload
    parse_gh1(code)  # well-formed
    assert len(b45decode(payload)) == 100
    assert not text_has_card_number(code)
    assert not text_has_card_number(code + "\r\n")  # scanners add a line end
    assert text_has_card_number("paid " + code)  # not a ticket code any more
    assert text_has_card_number(code[:-3])  # nor is a broken one


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=16, max_size=16))
def test_hex_ticket_ids_and_uuids_are_never_refused(raw: bytes) -> None:
    ids = [raw.hex(), raw.hex().upper(), str(uuid.UUID(bytes=raw)), uuid7(int.from_bytes(raw[:5]))]
    assert not refused({"ticket_id": ids[0], "ids": ids})


def test_an_upload_batch_of_ids_and_hashes_is_never_refused() -> None:
    """The platform's case: many rows of ids, hashes and Unix-ms times; many of the hex
    strings hold Luhn-passing digit runs touching letters."""
    rng = random.Random(5)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(5000)]
    ids += [uuid7(1_767_000_000_000 + i * 7919) for i in range(5000)]
    ids += [hashlib.sha256(str(i).encode()).hexdigest() for i in range(5000)]
    touching = [i for i in ids if any(looks_like_pan(m[0]) for m in _RUN.finditer(i))]
    assert len(touching) > 5  # a rule refusing digits touching letters would refuse these
    assert not refused({"rows": [{"scan_id": i, "at_ms": 1_767_000_000_000} for i in ids]})


def test_separators_alone_are_no_card_number() -> None:
    text = '{"a": "' + " " * 30 + '", "b": "' + "-" * 30 + '"}' + " " * 20
    assert not body_has_card_number(text, json.loads(text))


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=12, max_size=18), st.sampled_from("$%*+./: "))
def test_a_well_formed_code_is_exempt_whatever_card_its_text_spells(body: str, edge: str) -> None:
    pan = _with_check_digit(body)
    spelled = f"0{edge}{pan}$"  # no 3-character group overflows: edges sit first in one
    payload = (b45encode(bytes([1, 0])) + spelled).ljust(150, "0")[:150]
    try:
        parse_gh1("GH1:" + payload)
    except CodecError:
        return  # this layout overflowed a base45 group: not a code at all
    assert text_has_card_number(f"paid with {pan}.") == looks_like_pan(pan)
    assert not text_has_card_number("GH1:" + payload)


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_decimal_numbers_are_never_refused(x: float) -> None:
    assert not holds_card_number({"code": f"junk-{x}", "reading": repr(x)})
    if not x.is_integer():  # (a whole float is an integer: 4111111111111111.0 is refused)
        assert not holds_card_number({"n": x})


digits = st.text(alphabet="0123456789", min_size=13, max_size=19)


@settings(max_examples=300, deadline=None)
@given(digits, st.sampled_from(["", " ", "-"]), st.sampled_from(["", "paid ", "(", "€"]))
def test_every_luhn_valid_run_is_found_however_typed(d: str, sep: str, before: str) -> None:
    typed = sep.join(d[i : i + 4] for i in range(0, len(d), 4))
    expect = luhn_ok(d) and not (len(d) == 13 and d[0] == "1")
    assert text_has_card_number(before + typed + ".") == expect


texts = st.text(alphabet='0123456789 -ab.:e\n\\"٤é', max_size=60)
values = st.one_of(
    texts,
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(texts, max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(texts, values))
def test_the_fast_check_agrees_with_the_exact_check(doc: dict[str, object]) -> None:
    refused(doc)
