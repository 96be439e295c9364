"""The request schemas: msgspec structs (``Body``) read from JSON bytes by one
``decode_json``, every refusal naming the field in the API's words."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import msgspec
import pytest
from msgspec import Meta

from edge_agent.api.errors import ApiError
from edge_agent.api.schema.body_rules import Body, text
from edge_agent.api.schema.boxoffice import CustomerBody
from edge_agent.api.schema.decoding import decode_json, decode_query
from edge_agent.api.schema.requests import OverrideRequest, ScanRequest, TicketQuery
from edge_agent.domain.reasons import Direction


class Item(Body, frozen=True):
    ticket_type: Annotated[int, Meta(ge=0, le=65535)]
    quantity: Annotated[int, Meta(ge=1, le=20)]


class Cash(Body, frozen=True, tag_field="method", tag="cash"):
    tendered_cents: Annotated[int, Meta(ge=0)]


class Terminal(Body, frozen=True, tag_field="method", tag="terminal"):
    last4: Annotated[str, text(pattern=r"[0-9]{4}")]


class Customer(Body, frozen=True):
    name: Annotated[str, text(max_len=10, printable=True, strip=True, min_len=1)]
    email: str | None = None


class Sale(Body, frozen=True):
    items: Annotated[list[Item], Meta(min_length=1, max_length=2)]
    payment: Cash | Terminal
    delivery: Literal["screen", "print"] = "screen"
    customer: Customer | None = None
    tags: Annotated[list[Annotated[str, Meta(max_length=3)]], Meta(max_length=3)] = msgspec.field(
        default_factory=list
    )
    paid: bool = False
    ratio: float = 1.0


SALE = {
    "items": [{"ticket_type": 1, "quantity": 2}],
    "payment": {"method": "cash", "tendered_cents": 100},
}


def decode(cls: type[Body], doc: object) -> object:
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return decode_json(raw, cls)


def refusal(cls: type[Body], doc: object) -> tuple[str, str]:
    with pytest.raises(ApiError) as info:
        decode(cls, doc)
    assert info.value.status == 422
    return info.value.code, info.value.message


def test_a_good_body_becomes_typed_values() -> None:
    sale = decode(Sale, {**SALE, "customer": {"name": "  Ana "}, "tags": ["a"], "paid": True})
    assert isinstance(sale, Sale)
    assert sale.items == [Item(1, 2)]
    assert sale.payment == Cash(100)
    assert sale.customer == Customer("Ana", None)
    assert sale.delivery == "screen" and sale.tags == ["a"] and sale.paid is True
    terminal = decode(Sale, {**SALE, "payment": {"method": "terminal", "last4": "4242"}})
    assert isinstance(terminal, Sale) and terminal.payment == Terminal("4242")
    null_customer = decode(Sale, {**SALE, "customer": None})
    assert isinstance(null_customer, Sale) and null_customer.customer is None  # null = absent


VALID_ITEM = {"ticket_type": 1, "quantity": 1}


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"x": 1}, "unknown_field", "unknown field 'x' (known: customer, delivery, items,"),
        ({"items": []}, "invalid_request", "field 'items' needs at least 1"),
        ({"items": [VALID_ITEM] * 3}, "invalid_request", "'items' has more than 2"),
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
        ({"payment": {"method": "terminal", "last4": "4242\n"}}, "invalid_request", "form"),
        ({"delivery": "email"}, "invalid_request", "'delivery' must be one of: 'print', 'screen'"),
        ({"delivery": None}, "invalid_request", "'delivery' must be one of: 'print', 'screen'"),
        ({"customer": {"name": "   "}}, "invalid_request", "'customer.name' must not be empty"),
        ({"customer": {"name": "a" * 11}}, "invalid_request", "is longer than 10"),
        ({"customer": {"name": "a\x07"}}, "invalid_request", "must be printable text"),
        ({"customer": {"name": 5}}, "invalid_request", "'customer.name' must be a string"),
        ({"tags": ["abcd"]}, "invalid_request", "field 'tags[0]' is longer than 3"),
        ({"paid": 1}, "invalid_request", "'paid' must be true or false"),
        ({"ratio": "1"}, "invalid_request", "'ratio' must be a number"),
    ],
)
def test_each_problem_is_named(change: dict[str, object], code: str, words: str) -> None:
    got_code, message = refusal(Sale, {**SALE, **change})
    assert got_code == code
    assert words in message


def test_what_msgspec_refuses_but_python_reads_is_still_named() -> None:
    """NaN and escaped lone surrogates are not RFC 8259 JSON; they stay 422s by field."""
    nan = json.dumps({**SALE, "ratio": float("nan")}).encode()
    assert refusal(Sale, nan)[1] == "field 'ratio' must be a finite number"
    assert refusal(ScanRequest, b'{"code": NaN}')[1] == "field 'code' must be a string"
    surrogate = b'{"code": "x", "device_kind": "\\udc00"}'
    assert refusal(ScanRequest, surrogate)[1] == "field 'device_kind' must be printable text"


def test_a_lone_surrogate_in_a_customer_email_is_a_named_422() -> None:
    """Found by the schemathesis fuzz (issue 17): the e-mail's pattern matched it, and the
    sale's request hash could not encode it — a 500."""
    body = json.dumps({"name": "Ada", "email": "a\ud800@example.org"}).encode()
    assert b"\\ud800" in body  # ensure_ascii: the escape on the wire
    assert refusal(CustomerBody, body)[1] == "field 'email' must be printable text"


def test_a_lone_surrogate_where_msgspec_matches_text_is_named() -> None:
    """A key, an enum or tag value, or the whole body: msgspec cannot even compare those."""
    assert refusal(ScanRequest, b'"\\ud800"') == ("invalid_request", "body must be a JSON object")
    code, message = refusal(ScanRequest, b'{"code": "x", "\\ud800": 1}')
    assert code == "unknown_field" and message.endswith(
        "(known: code, device_kind, direction, lane, request_id)"
    )
    bad_enum = b'{"code": "x", "direction": "\\udfff"}'
    assert refusal(ScanRequest, bad_enum)[1] == "field 'direction' must be one of: 'in', 'out'"
    bad_tag = json.dumps({**SALE, "payment": {"method": "\ud800"}}).encode()
    assert refusal(Sale, bad_tag)[1] == "field 'payment.method' must be one of: 'cash', 'terminal'"
    # a scanned code is judged as sent, whatever it holds
    assert decode(ScanRequest, b'{"code": "\\ud800"}') == ScanRequest("\ud800")


def test_not_json_is_a_400_whatever_msgspec_met_first() -> None:
    for raw, message in [
        (b'{"code": 5, ', "body is not valid JSON"),  # msgspec stops at the type error
        (b"[" * 20_000 + b"]" * 20_000, "body is not valid JSON"),
        (b'{"code": "\xff"}', "body is not UTF-8"),
    ]:
        with pytest.raises(ApiError) as info:
            decode_json(raw, ScanRequest)
        assert (info.value.status, info.value.code, info.value.message) == (
            400,
            "invalid_json",
            message,
        )


def test_a_body_must_be_an_object() -> None:
    assert refusal(Sale, [1]) == ("invalid_request", "body must be a JSON object")


def test_huge_integers_are_named_not_a_crash() -> None:
    """Past Python's 4,300-digit limit ``json.loads`` raised ValueError (a 500)."""
    huge = b"9" * 5000
    code, message = refusal(Sale, b'{"items": [{"ticket_type": ' + huge + b', "quantity": 1}]}')
    assert (code, message) == ("invalid_request", "field 'items[0].ticket_type' is out of range")
    assert refusal(ScanRequest, b'{"code": ' + huge + b"}")[1] == "field 'code' must be a string"


def test_the_api_bodies_keep_their_rules() -> None:
    assert decode(ScanRequest, {"code": "x"}) == ScanRequest("x", None, Direction.IN, "network")
    assert refusal(ScanRequest, {"lane": "x"})[1] == "field 'code' is required"
    assert refusal(ScanRequest, {"code": None})[1] == "field 'code' is required"
    assert (
        "'direction' must be one of: 'in', 'out'"
        in refusal(ScanRequest, {"code": "x", "direction": "up"})[1]
    )
    # null is "absent" only for a field that may be null; direction has a default, not null
    assert refusal(ScanRequest, {"code": "x", "direction": None}) == (
        "invalid_request",
        "field 'direction' must be one of: 'in', 'out'",
    )
    assert refusal(ScanRequest, {"code": "x", "lane": "\ud800"})[1].endswith("printable text")
    assert decode(ScanRequest, {"code": "x", "lane": None}) == ScanRequest("x")
    override = decode(OverrideRequest, {"direction": "out", "reason": " lost "})
    assert isinstance(override, OverrideRequest) and override.reason == "lost"
    long = decode(OverrideRequest, {"direction": "out", "reason": "  " + "a" * 200 + " "})
    assert isinstance(long, OverrideRequest) and long.reason == "a" * 200  # stripped first
    assert refusal(OverrideRequest, {"direction": "in", "reason": ""})[0] == "invalid_request"


def test_query_parameters_convert_integers() -> None:
    class Page(Body, frozen=True):
        limit: Annotated[int, Meta(ge=1, le=200)] = 50
        q: str | None = None

    assert decode_query({"limit": "7"}, Page) == Page(7, None)
    assert decode_query({}, Page) == Page(50, None)
    with pytest.raises(ApiError, match="query parameter 'limit' must be an integer"):
        decode_query({"limit": "7x"}, Page)
    with pytest.raises(ApiError, match="query parameter 'limit' must be at most 200"):
        decode_query({"limit": "201"}, Page)
    with pytest.raises(ApiError, match=r"unknown query parameter 'z' \(known: limit, q\)"):
        decode_query({"z": "1"}, Page)
    with pytest.raises(ApiError, match="query parameter 'q' is required"):
        decode_query({}, TicketQuery)
