"""The card-number (PAN) rule: what is refused, what is not, and the fast raw-text
check agreeing with the exact check on parsed values."""

from __future__ import annotations

import hashlib
import json
import random
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.ids import uuid7
from sync.reference_platform.pan import body_has_pan, contains_pan


def refused(doc: object) -> bool:
    text = json.dumps(doc)
    fast, exact = body_has_pan(text, doc), contains_pan(doc)
    assert fast == exact, text
    return fast


@pytest.mark.parametrize(
    "value",
    [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "paid with 5555555555554444.",
        "378282246310005",  # 15-digit Amex
        "6011111111111117",
        4111111111111111,
        {"4111111111111111": 1},
        ["x", ["4111111111111111"]],
    ],
)
def test_card_numbers_are_found(value: object) -> None:
    assert refused({"note": value})


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
    ],
)
def test_other_numbers_are_not(value: object) -> None:
    assert not refused({"note": value})


def test_ids_and_hashes_never_look_like_cards() -> None:
    rng = random.Random(5)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(20_000)]
    ids += [uuid7(1_767_000_000_000 + i * 7919) for i in range(20_000)]
    ids += [hashlib.sha256(str(i).encode()).hexdigest() for i in range(20_000)]
    assert not refused({"rows": [{"scan_id": i, "at_ms": 1_767_000_000_000} for i in ids]})


def test_trailing_separators_do_not_crash() -> None:
    assert not body_has_pan('{"a": "' + " " * 30 + '"}' + " " * 20, {"a": " " * 30})


texts = st.text(alphabet="0123456789 -ab.:", max_size=60)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(texts, st.one_of(texts, st.integers(), st.lists(texts, max_size=3))))
def test_raw_text_check_agrees_with_the_exact_check(doc: dict[str, object]) -> None:
    refused(doc)
