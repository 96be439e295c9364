"""The box office's answers (``docs/boxoffice.md``): the figures (``GET
/api/v1/boxoffice``, polled by the app), sales and receipts, and the small answers of
the till and lease actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from tui.documents.fields import Document, Fields


@dataclass(frozen=True, slots=True)
class Session(Document):
    """The device's open till session."""

    operator: str
    float_cents: int | None
    cash_in_drawer_cents: int | None
    sales: int
    voids: int

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("operator"), f.opt_integer("float_cents"),
                   f.opt_integer("cash_in_drawer_cents"), f.integer("sales"),
                   f.integer("voids"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Lease(Document):
    lease_id: str
    count: int
    sold: int
    #: returned to the platform (its unsold seats are gone)
    closed: bool
    #: past its end (or too near it to sell from)
    expired: bool

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("lease_id"), f.integer("count"), f.integer("sold"), f.flag("closed"),
                   f.flag("expired"))  # fmt: skip

    @property
    def usable(self) -> bool:
        return not self.closed and not self.expired


@dataclass(frozen=True, slots=True)
class TicketTypeFigures(Document):
    ticket_type: int
    name: str | None
    price_cents: int | None
    capacity: int | None
    #: what the leases still allow to sell here
    sellable: int
    sold_here: int
    #: first admissions at this agent's gates
    scanned: int
    leases: list[Lease]

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(
            f.integer("ticket_type"), f.opt_text("name"), f.opt_integer("price_cents"),
            f.opt_integer("capacity"), f.integer("sellable"), f.integer("sold_here"),
            f.integer("scanned"), [Lease.read(lease) for lease in f.objs("leases")],
        )  # fmt: skip

    @property
    def label(self) -> str:
        """The type's name, or its number when it has none."""
        return self.name or str(self.ticket_type)

    @property
    def leased(self) -> bool:
        """True while a lease of this type can be sold from (even if all of it is sold)."""
        return any(lease.usable for lease in self.leases)


@dataclass(frozen=True, slots=True)
class Figures(Document):
    """``GET /api/v1/boxoffice``."""

    currency: str
    #: False: the agent cannot reach the platform (sales go on from the leases held)
    online: bool
    session: Session | None
    ticket_types: list[TicketTypeFigures]

    @classmethod
    def read(cls, f: Fields) -> Self:
        session = f.opt_obj("session")
        return cls(
            f.text("currency"), f.flag("online", True),
            None if session is None else Session.read(session),
            [TicketTypeFigures.read(t) for t in f.objs("ticket_types")],
        )  # fmt: skip

    def prices(self) -> dict[int, int]:
        return {t.ticket_type: t.price_cents or 0 for t in self.ticket_types}


@dataclass(frozen=True, slots=True)
class SaleItem(Document):
    ticket_type: int
    name: str | None
    quantity: int

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.integer("ticket_type"), f.opt_text("name"), f.integer("quantity"))


@dataclass(frozen=True, slots=True)
class SoldTicket(Document):
    ticket_id: str
    name: str
    #: the ticket's code, for its QR on screen
    code: str

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("ticket_id"), f.text("name"), f.text("code"))


@dataclass(frozen=True, slots=True)
class Payment(Document):
    method: str
    tendered_cents: int | None = None
    change_cents: int | None = None
    brand: str | None = None
    last4: str | None = None
    auth_ref: str | None = None
    reason: str | None = None
    supervisor: str | None = None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(
            f.text("method", "?"), f.opt_integer("tendered_cents"), f.opt_integer("change_cents"),
            f.opt_text("brand"), f.opt_text("last4"), f.opt_text("auth_ref"), f.opt_text("reason"),
            f.opt_text("supervisor"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Sale(Document):
    """A sale as the agent answers it: the receipt (``POST …/sales``, ``…/void``) and
    each entry of ``GET /api/v1/boxoffice/sales``."""

    sale_id: str
    order_id: str
    voided: bool
    at_ms: int | None
    items: list[SaleItem]
    total_cents: int | None
    currency: str
    payment: Payment
    tickets: list[SoldTicket]
    warnings: list[str]

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(
            f.text("sale_id"), f.text("order_id"), f.text("status") == "voided",
            f.opt_integer("at_ms"), [SaleItem.read(i) for i in f.objs("items")],
            f.opt_integer("total_cents"), f.text("currency"), Payment.read(f.obj("payment")),
            [SoldTicket.read(t) for t in f.objs("tickets")], f.texts("warnings"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Sales(Document):
    """``GET /api/v1/boxoffice/sales``: this till's sales, newest first."""

    sales: list[Sale]

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls([Sale.read(s) for s in f.objs("sales")])


@dataclass(frozen=True, slots=True)
class TillClosed(Document):
    """``POST …/sessions/current/close``: what the drawer should hold against what was
    counted."""

    expected_cents: int | None
    counted_cents: int | None
    difference_cents: int

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.opt_integer("expected_cents"), f.opt_integer("counted_cents"),
                   f.integer("difference_cents"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class LeaseTaken(Document):
    """``POST …/leases``: how many seats the platform leased (may be fewer than asked)."""

    count: int | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.opt_integer("count"))


@dataclass(frozen=True, slots=True)
class SeatsReturned(Document):
    """``POST …/leases/{id}/return``: the unsold seats given back."""

    returned: int

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.integer("returned"))


@dataclass(frozen=True, slots=True)
class Printed(Document):
    """``POST …/sales/{id}/print``: tickets printed (the same tickets again)."""

    printed: int | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.opt_integer("printed"))
