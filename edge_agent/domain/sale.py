"""The rules of a door sale, as values: what is paid, what change is due, which leased
seat each ticket takes, and which text may never be stored.

No I/O, no clock (``now_ms`` comes in), no ids made here: the service hands in the
leases it read inside the ledger writer's transaction and records what this returns in
that same transaction, so "never sell more than the lease" is decided on exactly the
state that commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from edge_agent.domain.card_numbers import text_has_card_number
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.errors import BoxOfficeError

MAX_TICKETS_PER_SALE = 50
MAX_CENTS = 100_000_000  # one million in any currency: a typo, not a sale


class PaymentMethod(StrEnum):
    CASH = "cash"
    TERMINAL = "terminal"  # an external card terminal did the card; we keep its receipt
    COMP = "comp"  # free ticket, with a reason and the supervisor who allowed it


class Delivery(StrEnum):
    SCREEN = "screen"
    PRINT = "print"
    EMAIL = "email"  # queued by the platform once the sale is uploaded


@dataclass(frozen=True, slots=True)
class CashPayment:
    tendered_cents: int


@dataclass(frozen=True, slots=True)
class TerminalPayment:
    brand: str
    last4: str
    auth_ref: str
    terminal_id: str


@dataclass(frozen=True, slots=True)
class CompPayment:
    reason: str
    supervisor: str


Payment = CashPayment | TerminalPayment | CompPayment


def method_of(payment: Payment) -> PaymentMethod:
    if isinstance(payment, CashPayment):
        return PaymentMethod.CASH
    if isinstance(payment, TerminalPayment):
        return PaymentMethod.TERMINAL
    return PaymentMethod.COMP


@dataclass(frozen=True, slots=True)
class LineItem:
    ticket_type: int
    quantity: int


@dataclass(frozen=True, slots=True)
class PricedType:
    """A ticket type as the manifest gave it (price and capacity may be unknown)."""

    ticket_type: int
    name: str
    price_cents: int | None
    capacity: int | None


@dataclass(frozen=True, slots=True)
class PricedItem:
    ticket_type: int
    name: str
    quantity: int
    unit_cents: int


@dataclass(frozen=True, slots=True)
class Settlement:
    """What the payment comes to: the total, and for cash what was tendered and the
    change handed back (``cash_in_cents`` is what stays in the drawer)."""

    total_cents: int
    tendered_cents: int | None
    change_cents: int | None

    @property
    def cash_in_cents(self) -> int:
        return self.total_cents if self.tendered_cents is not None else 0


@dataclass(frozen=True, slots=True)
class LeaseSeats:
    """One lease as this agent recorded it."""

    lease_id: str
    ticket_type: int
    count: int
    sold: int  # tickets sold on it and not voided
    expires_at_ms: int  # platform time
    returned: bool

    def usable(self, now_ms: int, margin_ms: int) -> bool:
        return not self.returned and now_ms + margin_ms < self.expires_at_ms

    @property
    def left(self) -> int:
        return max(0, self.count - self.sold)


# ------------------------------------------------------------------ card numbers


def refuse_card_numbers(fields: Mapping[str, str | None]) -> None:
    """Raise ``card_number_refused`` naming the field (never the value).

    The rule is the API's (``domain/card_numbers.py``), which has already refused any
    request holding one; this names the field, for callers other than the LAN API.
    """
    for name, value in fields.items():
        if value is not None and text_has_card_number(value):
            raise BoxOfficeError(
                SaleCode.CARD_NUMBER_REFUSED,
                f"{name} looks like a card number; card numbers are never taken or stored"
                " (the card terminal handles the card)",
                field=name,
            )


# ---------------------------------------------------------------------- payments


def _invalid(message: str, field: str) -> BoxOfficeError:
    return BoxOfficeError(SaleCode.INVALID_REQUEST, message, field=field)


def check_payment(payment: Payment) -> None:
    """Shape rules no schema can express; the texts are checked for card numbers."""
    if isinstance(payment, CashPayment):
        if not 0 <= payment.tendered_cents <= MAX_CENTS:
            raise _invalid(f"tendered_cents must be 0..{MAX_CENTS}", "payment.tendered_cents")
    elif isinstance(payment, TerminalPayment):
        if len(payment.last4) != 4 or not payment.last4.isascii() or not payment.last4.isdigit():
            raise _invalid("last4 must be exactly 4 digits", "payment.last4")
        for name in ("brand", "auth_ref", "terminal_id"):
            if not getattr(payment, name).strip():
                raise _invalid(f"{name} is required for a terminal payment", f"payment.{name}")
        refuse_card_numbers(
            {
                "payment.brand": payment.brand,
                "payment.auth_ref": payment.auth_ref,
                "payment.terminal_id": payment.terminal_id,
            }
        )
    else:
        if not payment.reason.strip():
            raise _invalid("a comp needs a reason", "payment.reason")
        if not payment.supervisor.strip():
            raise _invalid("a comp needs the supervisor who allowed it", "payment.supervisor")
        refuse_card_numbers(
            {"payment.reason": payment.reason, "payment.supervisor": payment.supervisor}
        )


def settle(payment: Payment, total_cents: int) -> Settlement:
    """The settlement of ``total_cents``; cash short of the total is refused."""
    check_payment(payment)
    if isinstance(payment, CompPayment):
        return Settlement(0, None, None)
    if isinstance(payment, CashPayment):
        if payment.tendered_cents < total_cents:
            raise BoxOfficeError(
                SaleCode.INSUFFICIENT_TENDER,
                f"{payment.tendered_cents} tendered for a total of {total_cents}",
                total_cents=total_cents,
            )
        return Settlement(total_cents, payment.tendered_cents, payment.tendered_cents - total_cents)
    return Settlement(total_cents, None, None)


def price_items(items: Sequence[LineItem], types: Mapping[int, PricedType]) -> list[PricedItem]:
    """Items with their names and unit prices; each type once (quantities summed)."""
    if not items:
        raise _invalid("a sale needs at least one item", "items")
    wanted: Counter[int] = Counter()
    for item in items:
        if not 1 <= item.quantity <= MAX_TICKETS_PER_SALE:
            raise _invalid(f"quantity must be 1..{MAX_TICKETS_PER_SALE}", "items.quantity")
        wanted[item.ticket_type] += item.quantity
    if sum(wanted.values()) > MAX_TICKETS_PER_SALE:
        raise _invalid(f"at most {MAX_TICKETS_PER_SALE} tickets per sale", "items")
    priced: list[PricedItem] = []
    for ticket_type, quantity in wanted.items():
        known = types.get(ticket_type)
        if known is None:
            raise BoxOfficeError(
                SaleCode.UNKNOWN_TICKET_TYPE,
                f"ticket type {ticket_type} is not in the manifest",
                ticket_type=ticket_type,
            )
        if known.price_cents is None:
            raise BoxOfficeError(
                SaleCode.NO_PRICE,
                f"ticket type {ticket_type} ({known.name}) has no price in the manifest",
                ticket_type=ticket_type,
            )
        priced.append(PricedItem(ticket_type, known.name, quantity, known.price_cents))
    return priced


def total_of(items: Iterable[PricedItem]) -> int:
    return sum(i.quantity * i.unit_cents for i in items)


# ------------------------------------------------------------------------ leases


def sellable(leases: Iterable[LeaseSeats], ticket_type: int, now_ms: int, margin_ms: int) -> int:
    """Seats of ``ticket_type`` that may be sold now (unexpired, unreturned leases)."""
    return sum(
        lease.left
        for lease in leases
        if lease.ticket_type == ticket_type and lease.usable(now_ms, margin_ms)
    )


def allocate(
    leases: Sequence[LeaseSeats], items: Sequence[PricedItem], now_ms: int, margin_ms: int
) -> list[str]:
    """The lease each ticket takes, in item order (soonest-expiring lease first, so
    seats that would lapse are sold first). Refuses the whole sale if any type lacks
    seats: ``lease_expired`` when only expired leases had them, else
    ``not_enough_leased`` with how many are sellable."""
    chosen: list[str] = []
    for item in items:
        usable = sorted(
            (
                lease
                for lease in leases
                if lease.ticket_type == item.ticket_type and lease.usable(now_ms, margin_ms)
            ),
            key=lambda lease: (lease.expires_at_ms, lease.lease_id),
        )
        have = sum(lease.left for lease in usable)
        if have < item.quantity:
            lapsed = sum(
                lease.left
                for lease in leases
                if lease.ticket_type == item.ticket_type
                and not lease.returned
                and not lease.usable(now_ms, margin_ms)
            )
            if lapsed >= item.quantity - have and lapsed > 0:
                raise BoxOfficeError(
                    SaleCode.LEASE_EXPIRED,
                    f"{item.name}: the lease with seats left has expired; take a new lease",
                    ticket_type=item.ticket_type,
                    sellable=have,
                )
            raise BoxOfficeError(
                SaleCode.NOT_ENOUGH_LEASED,
                f"{item.name}: {item.quantity} asked, {have} sellable here",
                ticket_type=item.ticket_type,
                sellable=have,
            )
        need = item.quantity
        for lease in usable:
            take = min(need, lease.left)
            chosen.extend([lease.lease_id] * take)
            need -= take
            if need == 0:
                break
    return chosen


# ---------------------------------------------------------------------- the drawer


def expected_cash(float_cents: int, cash_in_cents: int, cash_out_cents: int) -> int:
    """What the drawer should hold: the float, plus cash sales, minus cash handed back
    for voids (change is never in the drawer: it went back with the customer)."""
    return float_cents + cash_in_cents - cash_out_cents
