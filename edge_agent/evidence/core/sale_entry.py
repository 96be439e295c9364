"""One door sale (or its void) as a pack shows it: the box office's ``sales`` row of
the order, minus what a pack never holds, plus what it means for a reviewer.

What is kept: time, agent, till (device) and session, operator, items, amount,
payment (method; for a card terminal: brand, last 4, authorisation reference,
terminal id — the row holds no more of a card), delivery, void reason, and the row's
sales-chain value. What is dropped: the tickets' raw codes (replaced by their SHA-256,
the same hash the gates record, so a sale can be matched with the admissions of the
ticket it issued) and the buyer's name and e-mail (the platform's order section holds
them; an agent pack omits them like holder names).

Why the rows are not chain-proven like scans: a signed checkpoint covers the scans
chain only, and recomputing the sales chain would need every byte of the sale row
(its raw ticket codes) and of every other buyer's row up to the next signed head
(names, e-mails, codes). The pack keeps the stored chain value (so the row can be
found and recomputed from the ledger or the platform's copy) and says in the
verifier's report that the sale is the signer's word (``docs/evidence.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edge_agent.domain.verification import code_sha256
from edge_agent.evidence.core.timefmt import utc_text
from edge_agent.ledger.sale_records import SALE_FIELDS, parse_tickets_text

#: The kinds of sales rows that belong to an order.
ORDER_KINDS = ("sale", "void")

#: ``SALE_FIELDS`` a pack copies as they are (customer name/e-mail and the raw codes
#: inside ``tickets`` are left out; ``tickets`` is rebuilt with code hashes).
COPIED_FIELDS: tuple[str, ...] = tuple(
    f for f in SALE_FIELDS if f not in ("customer_name", "customer_email", "tickets")
)

_DELIVERY = {"screen": "shown on screen", "print": "printed", "email": "e-mailed"}


@dataclass(frozen=True, slots=True)
class SaleRow:
    """One ``sale``/``void`` row as the ledger (or the platform's copy) holds it."""

    values: tuple[Any, ...]  # in SALE_FIELDS order
    chain: str
    #: Platform only: when it arrived.
    received_at_ms: int | None = None

    def get(self, name: str) -> Any:
        return self.values[SALE_FIELDS.index(name)]


def sale_entry(row: SaleRow) -> dict[str, Any]:
    """The pack's ``sales[]`` entry for ``row``."""
    fields = dict(zip(SALE_FIELDS, row.values, strict=True))
    entry: dict[str, Any] = {name: fields[name] for name in COPIED_FIELDS}
    entry["at_utc"] = utc_text(fields["at_ms"])
    entry["tickets"] = [
        {
            "ticket_id": t["ticket_id"],
            "ticket_type": t["ticket_type"],
            "lease_id": t["lease_id"],
            "unit_cents": t["unit_cents"],
            "code_sha256": code_sha256(t["code"]) if t["code"] else None,
        }
        for t in parse_tickets_text(str(fields["tickets"] or "[]"))
    ]
    entry["payment_text"] = payment_text(entry)
    entry["delivery_text"] = delivery_text(entry)
    entry["sales_chain"] = row.chain
    entry["received_at_ms"] = row.received_at_ms
    entry["received_utc"] = None if row.received_at_ms is None else utc_text(row.received_at_ms)
    return entry


def money(cents: object, currency: object) -> str:
    if not isinstance(cents, int):
        return "?"
    return f"{currency or ''} {cents // 100}.{cents % 100:02d}".strip()


def payment_text(entry: Mapping[str, Any]) -> str:
    """``paid by card terminal VISA ••4242 auth A1B2C3 (terminal T-01)`` and the like."""
    method = entry.get("method")
    currency = entry.get("currency")
    if entry.get("kind") == "void":
        return f"{money(entry.get('amount_cents'), currency)} handed back ({method})"
    if method == "terminal":
        brand = str(entry.get("card_brand") or "card").upper()
        text = f"paid by card terminal {brand} ••{entry.get('card_last4')}"
        text += f" auth {entry.get('auth_ref')}"
        if entry.get("terminal_id"):
            text += f" (terminal {entry.get('terminal_id')})"
        return text
    if method == "cash":
        return (
            f"paid in cash ({money(entry.get('tendered_cents'), currency)} tendered,"
            f" {money(entry.get('change_cents'), currency)} change)"
        )
    if method == "comp":
        return (
            f"complimentary ({entry.get('reason') or 'no reason given'},"
            f" authorised by {entry.get('supervisor') or 'unnamed'})"
        )
    return f"paid by {method}"


def delivery_text(entry: Mapping[str, Any]) -> str | None:
    delivery = entry.get("delivery")
    if delivery is None:
        return None
    return _DELIVERY.get(str(delivery), str(delivery))
