"""The box office's request bodies (``Body`` structs, ``body_rules.py``) and answer shapes.

Requests are checked while msgspec decodes them (``decoding.read_body``): unknown fields
refused by name, every limit declared here (and so in the OpenAPI document). A sale's
``payment`` is a tagged union told apart by ``method``. Answers are TypedDicts that mypy
checks the handlers against and the OpenAPI generator reads. ``docs/api.md`` (box
office) says the same.
"""

from __future__ import annotations

from typing import Annotated, NotRequired, TypedDict

import msgspec
from msgspec import Meta

from edge_agent.api.schema.body_rules import Body, text
from edge_agent.domain.sale import MAX_CENTS, MAX_TICKETS_PER_SALE, Delivery

_TEXT = 64
_REF = 64
_REASON = 200

Cents = Annotated[int, Meta(ge=0, le=MAX_CENTS)]
TicketType = Annotated[int, Meta(ge=0, le=0xFFFF)]


def _text(max_len: int, description: str, *, min_len: int = 1) -> msgspec.Meta:
    return text(
        min_len=min_len, max_len=max_len, printable=True, strip=True, description=description
    )


class OpenSessionBody(Body, frozen=True):
    """Open this device's till."""

    operator: Annotated[str, _text(_TEXT, "who works the till")]
    float_cents: Annotated[int, Meta(ge=0, le=MAX_CENTS, description="cash float")] = 0


class CloseSessionBody(Body, frozen=True):
    counted_cents: Annotated[
        int, Meta(ge=0, le=MAX_CENTS, description="cash counted in the drawer")
    ]


class ItemBody(Body, frozen=True):
    ticket_type: TicketType
    quantity: Annotated[int, Meta(ge=1, le=MAX_TICKETS_PER_SALE)]


class CashBody(Body, frozen=True, tag_field="method", tag="cash"):
    tendered_cents: Cents


class TerminalBody(Body, frozen=True, tag_field="method", tag="terminal"):
    """A card paid on the external terminal: its receipt data, never the card number."""

    brand: Annotated[str, _text(32, "card brand, e.g. visa")]
    last4: Annotated[str, text(pattern=r"[0-9]{4}", description="exactly 4 digits")]
    auth_ref: Annotated[str, _text(_REF, "the terminal's authorisation reference")]
    terminal_id: Annotated[str, _text(_REF, "which terminal")]


class CompBody(Body, frozen=True, tag_field="method", tag="comp"):
    """A free ticket: needs a supervisor token, a reason and the supervisor's name."""

    reason: Annotated[str, _text(_REASON, "why it is free")]
    supervisor: Annotated[str, _text(_TEXT, "who allowed it")]


class CustomerBody(Body, frozen=True):
    name: Annotated[str, _text(_TEXT, "holder name", min_len=0)] | None = None
    email: (
        Annotated[
            str,
            # printable: a lone surrogate (JSON "\ud800") matched the pattern, then
            # failed to encode in the sale's request hash: a 500 (issue 17)
            text(
                max_len=254,
                strip=True,
                printable=True,
                pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+",
                description="e-mail",
            ),
        ]
        | None
    ) = None


class SaleBody(Body, frozen=True):
    request_id: Annotated[
        str,
        text(
            min_len=8,
            max_len=64,
            pattern=r"[A-Za-z0-9._:-]+",
            description="made by the client; a retry with the same id never sells twice",
        ),
    ]
    items: Annotated[list[ItemBody], Meta(min_length=1, max_length=10)]
    payment: CashBody | TerminalBody | CompBody
    delivery: Delivery = Delivery.SCREEN
    customer: CustomerBody | None = None


class VoidBody(Body, frozen=True):
    reason: Annotated[str, _text(_REASON, "why the sale is voided")]


class PrintBody(Body, frozen=True):
    ticket_id: (
        Annotated[str, text(pattern=r"[0-9a-f]{32}", description="one ticket; all if absent")]
        | None
    ) = None


class LeaseBody(Body, frozen=True):
    ticket_type: TicketType
    count: Annotated[int, Meta(ge=1, le=10_000)]


class SalesQuery(Body, frozen=True):
    limit: Annotated[int, Meta(ge=1, le=500)] = 50


# ------------------------------------------------------------------------ answers


class EventView(TypedDict):
    event_id: int
    name: str
    venue: str
    status: str


class SessionView(TypedDict):
    session_id: str
    operator: str
    opened_at_ms: int
    float_cents: int
    cash_in_drawer_cents: int
    sales: int
    voids: int
    closed_at_ms: NotRequired[int]


class LeaseView(TypedDict):
    lease_id: str
    count: int
    sold: int
    returned: int
    closed: bool
    expires_at_ms: int
    expired: bool


class TicketTypeFigures(TypedDict):
    ticket_type: int
    name: str
    price_cents: int | None
    capacity: int | None
    sellable: int
    sold_here: int
    scanned: int
    leases: list[LeaseView]


class FiguresView(TypedDict):
    event: EventView
    currency: str
    online: bool
    session: SessionView | None
    cash_in_drawers_cents: int
    ticket_types: list[TicketTypeFigures]


class CloseAnswer(TypedDict):
    session: SessionView
    expected_cents: int
    counted_cents: int
    difference_cents: int


class ItemView(TypedDict):
    ticket_type: int
    name: str
    quantity: int
    unit_cents: int


class SoldTicketView(TypedDict):
    ticket_id: str
    ticket_type: int
    name: str
    code: str
    qr_svg: str


class DeliveryView(TypedDict):
    kind: str
    printed: bool
    email_queued: bool


class VoidView(TypedDict):
    at_ms: int
    reason: str
    refunded_cents: int


class CustomerView(TypedDict):
    name: str | None
    email: str | None


class ReceiptView(TypedDict):
    sale_id: str
    order_id: str
    status: str
    at_ms: int
    session_id: str
    operator: str
    items: list[ItemView]
    total_cents: int
    currency: str
    payment: dict[str, object]
    customer: CustomerView | None
    tickets: list[SoldTicketView]
    delivery: DeliveryView
    void: VoidView | None
    warnings: list[str]


class SalesList(TypedDict):
    sales: list[ReceiptView]


class PrintAnswer(TypedDict):
    printed: int


class LeaseAnswer(TypedDict):
    lease_id: str
    ticket_type: int
    count: int
    sold: int
    returned: int
    expires_at_ms: int
    expired: bool


class ReturnAnswer(TypedDict):
    lease_id: str
    returned: int
