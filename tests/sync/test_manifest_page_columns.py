"""The column-wise ticket check (a first load's fast path) accepts exactly what the
ticket-by-ticket check accepts, with the same values, and a page it is unsure of still
gets the precise, per-key refusal."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import ProtocolError
from sync.manifest_page import _ticket, _tickets_by_column, parse_manifest_page

GOOD: dict[str, Any] = {
    "ticket_id": "T-000001",
    "ticket_type": 1,
    "order_id": "O-1",
    "holder_name": "Ada Lovelace",
    "holder_email": "ada@example.org",
    "plain_code_sha256": "ab" * 32,
    "valid_from": 0,
    "valid_until": 0,
}

#: Values a field may take in a hostile or sloppy page: valid and invalid ones side by
#: side (control chars, lone surrogates, bools, floats, bounds, upper-case hex, NBSP).
TEXT = st.sampled_from(
    [
        "",
        "x",
        "Zoë Ünal",
        "a\u00a0b",
        "tab\there",
        "nul\x00",
        "\x85",
        "\ud800",
        "é" * 1024,
        "e" * 1025,
        None,
        0,
        1,
        False,
        1.5,
        [],
        {},
    ]
)
INT = st.sampled_from([0, 1, 65535, 65536, (1 << 32) - 1, 1 << 32, -1, True, 1.0, "1", None])
CODE = st.sampled_from(
    ["ab" * 32, "AB" * 32, "ab" * 31, "ab" * 33, "g" * 64, "", None, 5, "é" * 64]
)
FIELD = st.sampled_from([*GOOD, "missing"])


@st.composite
def tickets(draw: st.DrawFn) -> dict[str, Any]:
    t = dict(GOOD, ticket_id=f"T-{draw(st.integers(0, 10**6)):07d}")
    for _ in range(draw(st.integers(0, 2))):
        key = draw(FIELD)
        if key == "missing":
            t.pop(draw(st.sampled_from(list(GOOD))), None)
        elif key in ("ticket_type", "valid_from", "valid_until"):
            t[key] = draw(INT)
        elif key == "plain_code_sha256":
            t[key] = draw(CODE)
        else:
            t[key] = draw(TEXT)
    return t


def one_by_one(items: list[dict[str, Any]]) -> tuple[Any, ...] | None:
    try:
        return tuple(_ticket(f"tickets[{i}]", t) for i, t in enumerate(items))
    except ProtocolError:
        return None


@settings(max_examples=200, deadline=None)
@given(st.lists(tickets(), max_size=6))
def test_columns_accept_only_what_one_by_one_accepts(items: list[dict[str, Any]]) -> None:
    fast = _tickets_by_column(items)
    slow = one_by_one(items)
    if fast is not None:  # "sure": must agree value for value
        assert fast == slow
        assert slow is not None
        assert [[type(v) for v in t] for t in fast] == [[type(v) for v in t] for t in slow]
        assert all(type(t) is type(s) for t, s in zip(fast, slow, strict=True))
    usual = all(
        set(t) == set(GOOD)
        and str(t["ticket_id"]).startswith("T-")
        and all(type(t[k]) is type(v) and t[k] == v for k, v in GOOD.items() if k != "ticket_id")
        for t in items
    )
    if usual:  # the platform's usual shape never needs the slow path
        assert fast is not None


def test_a_large_page_of_valid_tickets_takes_the_column_path() -> None:
    items = [
        dict(GOOD, ticket_id=f"T-{i:07d}", holder_email=None if i % 2 else "x@example.org")
        for i in range(5000)
    ]
    fast = _tickets_by_column(items)
    assert fast is not None and fast == one_by_one(items)
    assert fast[1].holder_email == "" and fast[0].holder_email == "x@example.org"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"holder_name": "line\nbreak"}, "tickets[4999].holder_name"),
        ({"plain_code_sha256": "AB" * 32}, "tickets[4999].plain_code_sha256"),
        ({"valid_until": 1 << 32}, "tickets[4999].valid_until"),
        ({"ticket_type": True}, "tickets[4999].ticket_type"),
    ],
)
def test_a_bad_ticket_in_a_large_page_is_named(change: dict[str, Any], key: str) -> None:
    items = [dict(GOOD, ticket_id=f"T-{i:07d}") for i in range(5000)]
    items[-1].update(change)
    page = {
        "format": "gatehouse-manifest-v1",
        "event_id": 1001,
        "cursor": "c:1",
        "more": False,
        "generated_at_ms": 1,
        "event": {"status": "on_sale"},
        "keyring": {"keys": []},
        "tickets": items,
    }
    with pytest.raises(ProtocolError, match=key.replace("[", r"\[").replace("]", r"\]")):
        parse_manifest_page(page, 1001)
