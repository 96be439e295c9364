"""The door sale as the counter builds it: a cart of ticket types, a payment, a delivery.

Pure values (no widgets, no I/O) so the rules the screen applies before it calls the
agent are tested on their own. The agent checks everything again: these checks only
spare staff a round trip and say what is missing in plain words.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PAYMENT_METHODS = ("cash", "terminal", "comp")
DELIVERIES = ("screen", "print", "email")


class FormProblem(ValueError):
    """What the person at the counter must fix before the sale can be sent."""


def money_text(cents: int | None, currency: str = "") -> str:
    """``4500`` → ``"45.00 EUR"``; ``None`` → ``"—"``."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}{' ' + currency if currency else ''}"


def parse_money(text: str, what: str) -> int:
    """``"45"``, ``"45.5"``, ``"45,50"`` → cents; anything else is a ``FormProblem``."""
    cleaned = text.strip().replace(",", ".")
    whole, _, part = cleaned.partition(".")
    if not whole.isdigit() or (part and (not part.isdigit() or len(part) > 2)):
        raise FormProblem(f"{what}: type an amount like 50 or 45.50")
    return int(whole) * 100 + int(part.ljust(2, "0") or 0)


@dataclass
class Cart:
    """Quantities per ticket type; never below zero or above what is sellable."""

    quantities: dict[int, int] = field(default_factory=dict)

    def add(self, ticket_type: int, delta: int, sellable: int) -> int:
        qty = max(0, min(self.quantities.get(ticket_type, 0) + delta, sellable))
        if qty:
            self.quantities[ticket_type] = qty
        else:
            self.quantities.pop(ticket_type, None)
        return qty

    def items(self) -> list[dict[str, int]]:
        return [{"ticket_type": t, "quantity": q} for t, q in sorted(self.quantities.items())]

    def total_cents(self, prices: Mapping[int, int]) -> int:
        """The cart's total at ``prices`` (cents per ticket type; a missing one is 0)."""
        return sum(prices.get(t, 0) * q for t, q in self.quantities.items())

    def count(self) -> int:
        return sum(self.quantities.values())

    def clear(self) -> None:
        self.quantities.clear()


def payment_body(method: str, fields: dict[str, str], total_cents: int) -> dict[str, Any]:
    """The ``payment`` object of ``POST /api/v1/boxoffice/sales`` from the form's text."""
    if method == "cash":
        tendered = parse_money(fields.get("tendered", ""), "Cash tendered")
        if tendered < total_cents:
            raise FormProblem(
                f"Cash tendered {money_text(tendered)} is less than the total "
                f"{money_text(total_cents)}"
            )
        return {"method": "cash", "tendered_cents": tendered}
    if method == "terminal":
        last4 = fields.get("last4", "").strip()
        if len(last4) != 4 or not last4.isdigit():
            raise FormProblem("Card: type only the LAST 4 digits from the terminal slip")
        body = {"method": "terminal", "last4": last4}
        for key, label in (("brand", "Card brand"), ("auth_ref", "Authorisation ref"),
                           ("terminal_id", "Terminal id")):  # fmt: skip
            value = fields.get(key, "").strip()
            if not value:
                raise FormProblem(f"{label} is required (from the terminal slip)")
            body[key] = value
        return body
    if method == "comp":
        reason = fields.get("reason", "").strip()
        supervisor = fields.get("supervisor", "").strip()
        if not reason or not supervisor:
            raise FormProblem("A comp needs a reason and the supervisor who allowed it")
        return {"method": "comp", "reason": reason, "supervisor": supervisor}
    raise FormProblem(f"Unknown payment method {method!r}")


def change_cents(method: str, tendered_text: str, total_cents: int) -> int | None:
    """Change to give back for cash, while the amount is typed; ``None`` if not yet known."""
    if method != "cash":
        return None
    try:
        tendered = parse_money(tendered_text, "Cash tendered")
    except FormProblem:
        return None
    return tendered - total_cents if tendered >= total_cents else None


@dataclass
class PendingSale:
    """One sale attempt. Its ``request_id`` is kept until the agent answers, so a retry
    after a lost answer can never sell twice (the agent returns the first receipt)."""

    body: dict[str, Any]
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def request(self) -> dict[str, Any]:
        return {"request_id": self.request_id, **self.body}
