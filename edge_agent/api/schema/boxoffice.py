"""The box office's request bodies (``api/schema_types.py`` schemas) and answer shapes.

Requests are frozen dataclasses checked by ``read_body``: unknown fields refused by
name, every limit declared here (and so in the OpenAPI document). Answers are
TypedDicts the OpenAPI generator reads. ``docs/api.md`` (box office) says the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NotRequired, TypedDict

from edge_agent.api.schema.schema_types import Rules, rules
from edge_agent.domain.sale import MAX_CENTS, MAX_TICKETS_PER_SALE, Delivery

_TEXT = 64
_REF = 64
_REASON = 200


def _text(max_len: int, description: str, *, min_len: int = 1) -> dict[str, Rules]:
    return rules(min_len=min_len, max_len=max_len, text=True, strip=True, description=description)


@dataclass(frozen=True, slots=True)
class OpenSessionBody:
    """Open this device's till."""

    operator: str = field(metadata=_text(_TEXT, "who works the till"))
    float_cents: int = field(
        default=0, metadata=rules(minimum=0, maximum=MAX_CENTS, description="cash float")
    )


@dataclass(frozen=True, slots=True)
class CloseSessionBody:
    counted_cents: int = field(
        metadata=rules(minimum=0, maximum=MAX_CENTS, description="cash counted in the drawer")
    )


@dataclass(frozen=True, slots=True)
class ItemBody:
    ticket_type: int = field(metadata=rules(minimum=0, maximum=0xFFFF))
    quantity: int = field(metadata=rules(minimum=1, maximum=MAX_TICKETS_PER_SALE))


@dataclass(frozen=True, slots=True)
class CashBody:
    method: Literal["cash"]
    tendered_cents: int = field(metadata=rules(minimum=0, maximum=MAX_CENTS))


@dataclass(frozen=True, slots=True)
class TerminalBody:
    """A card paid on the external terminal: its receipt data, never the card number."""

    method: Literal["terminal"]
    brand: str = field(metadata=_text(32, "card brand, e.g. visa"))
    last4: str = field(metadata=rules(pattern=r"[0-9]{4}", description="exactly 4 digits"))
    auth_ref: str = field(metadata=_text(_REF, "the terminal's authorisation reference"))
    terminal_id: str = field(metadata=_text(_REF, "which terminal"))


@dataclass(frozen=True, slots=True)
class CompBody:
    """A free ticket: needs a supervisor token, a reason and the supervisor's name."""

    method: Literal["comp"]
    reason: str = field(metadata=_text(_REASON, "why it is free"))
    supervisor: str = field(metadata=_text(_TEXT, "who allowed it"))


@dataclass(frozen=True, slots=True)
class CustomerBody:
    name: str | None = field(default=None, metadata=_text(_TEXT, "holder name", min_len=0))
    email: str | None = field(
        default=None,
        metadata=rules(
            max_len=254, strip=True, pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+", description="e-mail"
        ),
    )


@dataclass(frozen=True, slots=True)
class SaleBody:
    request_id: str = field(
        metadata=rules(
            min_len=8,
            max_len=64,
            pattern=r"[A-Za-z0-9._:-]+",
            description="made by the client; a retry with the same id never sells twice",
        )
    )
    items: list[ItemBody] = field(metadata=rules(min_items=1, max_items=10))
    payment: CashBody | TerminalBody | CompBody
    delivery: Delivery = Delivery.SCREEN
    customer: CustomerBody | None = None


@dataclass(frozen=True, slots=True)
class VoidBody:
    reason: str = field(metadata=_text(_REASON, "why the sale is voided"))


@dataclass(frozen=True, slots=True)
class PrintBody:
    ticket_id: str | None = field(
        default=None,
        metadata=rules(pattern=r"[0-9a-f]{32}", description="one ticket; all if absent"),
    )


@dataclass(frozen=True, slots=True)
class LeaseBody:
    ticket_type: int = field(metadata=rules(minimum=0, maximum=0xFFFF))
    count: int = field(metadata=rules(minimum=1, maximum=10_000))


@dataclass(frozen=True, slots=True)
class SalesQuery:
    limit: int = field(default=50, metadata=rules(minimum=1, maximum=500))


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
