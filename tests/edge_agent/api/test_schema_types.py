"""The declarative request schemas: one ``parse`` for every body, with named errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from edge_agent.api.errors import ApiError
from edge_agent.api.schema.requests import OverrideRequest, ScanRequest, TicketQuery
from edge_agent.api.schema.schema_types import Rules, parse, parse_query, rules
from edge_agent.domain.reasons import Direction


@dataclass(frozen=True, slots=True)
class Item:
    ticket_type: int = field(metadata=rules(minimum=0, maximum=65535))
    quantity: int = field(metadata=rules(minimum=1, maximum=20))


@dataclass(frozen=True, slots=True)
class Cash:
    method: Literal["cash"]
    tendered_cents: int = field(metadata=rules(minimum=0))


@dataclass(frozen=True, slots=True)
class Terminal:
    method: Literal["terminal"]
    last4: str = field(metadata=rules(pattern=r"[0-9]{4}"))


@dataclass(frozen=True, slots=True)
class Customer:
    name: str = field(metadata=rules(max_len=10, text=True, strip=True, min_len=1))
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Sale:
    items: list[Item] = field(metadata=rules(min_items=1, max_items=2))
    payment: Cash | Terminal
    delivery: Literal["screen", "print"] = "screen"
    customer: Customer | None = None
    tags: list[str] = field(
        default_factory=list, metadata=rules(max_items=3, item=Rules(max_len=3))
    )
    paid: bool = False
    ratio: float = 1.0


SALE = {
    "items": [{"ticket_type": 1, "quantity": 2}],
    "payment": {"method": "cash", "tendered_cents": 100},
}


def refusal(cls: type, doc: object) -> tuple[str, str]:
    with pytest.raises(ApiError) as info:
        parse(cls, doc)
    assert info.value.status == 422
    return info.value.code, info.value.message


def test_a_good_body_becomes_typed_values() -> None:
    sale = parse(Sale, {**SALE, "customer": {"name": "  Ana "}, "tags": ["a"], "paid": True})
    assert sale.items == [Item(1, 2)]
    assert sale.payment == Cash("cash", 100)
    assert sale.customer == Customer("Ana", None)
    assert sale.delivery == "screen" and sale.tags == ["a"] and sale.paid is True
    terminal = parse(Sale, {**SALE, "payment": {"method": "terminal", "last4": "4242"}})
    assert terminal.payment == Terminal("terminal", "4242")
    assert parse(Sale, {**SALE, "customer": None}).customer is None  # null = absent


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"x": 1}, "unknown_field", "unknown field 'x' (known: customer, delivery, items,"),
        ({"items": []}, "invalid_request", "field 'items' needs at least 1"),
        ({"items": [{"ticket_type": 1}] * 3}, "invalid_request", "'items' has more than 2"),
        (
            {"items": [{"ticket_type": 1}]},
            "invalid_request",
            "field 'items[0].quantity' is required",
        ),
        ({"items": [{"ticket_type": 1, "quantity": 0}]}, "invalid_request", "at least 1"),
        ({"items": [{"ticket_type": 1, "quantity": True}]}, "invalid_request", "an integer"),
        ({"items": [{"ticket_type": 1, "quantity": 1.5}]}, "invalid_request", "an integer"),
        ({"items": [None]}, "invalid_request", "'items[0]' must not be null"),
        ({"items": {"a": 1}}, "invalid_request", "field 'items' must be a list"),
        ({"payment": {"tendered_cents": 1}}, "invalid_request", "'payment.method' is required"),
        ({"payment": {"method": "card"}}, "invalid_request", "one of: 'cash', 'terminal'"),
        ({"payment": {"method": ["cash"]}}, "invalid_request", "'payment.method' must be one"),
        ({"payment": "cash"}, "invalid_request", "field 'payment' must be a JSON object"),
        ({"payment": {"method": "cash", "last4": "1"}}, "unknown_field", "'payment.last4'"),
        ({"payment": {"method": "terminal", "last4": "42"}}, "invalid_request", "expected form"),
        ({"delivery": "email"}, "invalid_request", "'delivery' must be one of: 'screen', 'print'"),
        ({"customer": {"name": "   "}}, "invalid_request", "'customer.name' must not be empty"),
        ({"customer": {"name": "a" * 11}}, "invalid_request", "is longer than 10"),
        ({"customer": {"name": "a\x07"}}, "invalid_request", "must be printable text"),
        ({"customer": {"name": 5}}, "invalid_request", "'customer.name' must be a string"),
        ({"tags": ["abcd"]}, "invalid_request", "field 'tags[0]' is longer than 3"),
        ({"paid": 1}, "invalid_request", "'paid' must be true or false"),
        ({"ratio": float("nan")}, "invalid_request", "'ratio' must be a finite number"),
        ({"ratio": "1"}, "invalid_request", "'ratio' must be a number"),
    ],
)
def test_each_problem_is_named(change: dict[str, object], code: str, words: str) -> None:
    got_code, message = refusal(Sale, {**SALE, **change})
    assert got_code == code
    assert words in message


def test_a_body_must_be_an_object() -> None:
    assert refusal(Sale, [1]) == ("invalid_request", "body must be a JSON object")


def test_the_api_bodies_keep_their_rules() -> None:
    assert parse(ScanRequest, {"code": "x"}) == ScanRequest("x", None, Direction.IN, "network")
    assert refusal(ScanRequest, {"lane": "x"})[1] == "field 'code' is required"
    assert (
        "'direction' must be one of: 'in', 'out'"
        in refusal(ScanRequest, {"code": "x", "direction": "up"})[1]
    )
    assert refusal(ScanRequest, {"code": "x", "lane": "\ud800"})[1].endswith("printable text")
    assert parse(OverrideRequest, {"direction": "out", "reason": " lost "}).reason == "lost"
    assert refusal(OverrideRequest, {"direction": "in", "reason": ""})[0] == "invalid_request"


def test_query_parameters_convert_integers() -> None:
    @dataclass(frozen=True, slots=True)
    class Page:
        limit: int = field(default=50, metadata=rules(minimum=1, maximum=200))
        q: str | None = None

    assert parse_query(Page, {"limit": "7"}) == Page(7, None)
    assert parse_query(Page, {}) == Page(50, None)
    with pytest.raises(ApiError, match="query parameter 'limit' must be an integer"):
        parse_query(Page, {"limit": "7x"})
    with pytest.raises(ApiError, match="query parameter 'limit' must be at most 200"):
        parse_query(Page, {"limit": "201"})
    with pytest.raises(ApiError, match=r"unknown query parameter 'z' \(known: limit, q\)"):
        parse_query(Page, {"z": "1"})
    with pytest.raises(ApiError, match="query parameter 'q' is required"):
        parse_query(TicketQuery, {})
