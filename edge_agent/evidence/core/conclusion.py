"""The plain-words conclusion at the top of a pack, computed from its scans and sales.

The verifier recomputes it from the (proven) scans and the listed door sales and
compares, so the sentence a reviewer reads first can never say more than the rows
underneath it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edge_agent.evidence.core.sale_entry import money


def conclude(pack: Mapping[str, Any]) -> dict[str, Any]:
    venue = str(pack.get("event", {}).get("venue") or "")
    assembled = pack.get("assembled", {})
    where_seen = (
        f"at agent {assembled.get('id')}"
        if assembled.get("by") == "agent"
        else "at any gate whose scans the platform holds"
    )
    scans_by_ticket: dict[str, list[Mapping[str, Any]]] = {}
    for scan in pack.get("scans", []):
        scans_by_ticket.setdefault(str(scan.get("ticket_id")), []).append(scan)
    order_id = pack.get("subject", {}).get("order_id")
    sales = pack.get("sales", [])
    tickets = []
    for ticket in pack.get("tickets", []):
        ticket_id = str(ticket.get("ticket_id"))
        scans = scans_by_ticket.get(ticket_id, [])
        sale = _sale_of(sales, ticket_id)
        name = f"Ticket {ticket_id}" + (f" for order {order_id}" if order_id else "")
        if sale is None:
            status, text = _ticket_sentence(name, scans, venue, where_seen)
        else:
            status, text = _door_sentence(name, sale, sales, scans, venue, where_seen)
        tickets.append(
            {
                "ticket_id": ticket_id,
                "status": status,
                "text": text,
                "scans": len(scans),
                "door_sale": None if sale is None else sale.get("sale_id"),
            }
        )
    return {"tickets": tickets, "clock": _clock_sentence(pack.get("scans", []))}


def _sale_of(sales: list[Mapping[str, Any]], ticket_id: str) -> Mapping[str, Any] | None:
    for sale in sales:
        if sale.get("kind") == "sale" and any(
            t.get("ticket_id") == ticket_id for t in sale.get("tickets", [])
        ):
            return sale
    return None


def _place(scan: Mapping[str, Any], venue: str) -> str:
    gate = scan.get("gate_name") or scan.get("gate")
    return f"{gate}, {venue}" if venue else str(gate)


def _ticket_sentence(
    name: str, scans: list[Mapping[str, Any]], venue: str, where_seen: str
) -> tuple[str, str]:
    if not scans:
        return "never_scanned", f"{name} was never scanned {where_seen}."
    entries = [s for s in scans if s.get("outcome") == "admit"]
    refused = [s for s in scans if s.get("outcome") == "refuse"]
    if not entries:
        reasons = ", ".join(sorted({str(s.get("reason")) for s in refused}))
        return (
            "refused_only",
            f"{name} was scanned {len(scans)} time(s) and refused every time ({reasons});"
            " it was never admitted.",
        )
    first = entries[0]
    text = (
        f"{name} was scanned and admitted at {_place(first, venue)},"
        f" on {first.get('door_time_utc')}."
    )
    return "admitted", text + _also(scans)


def _also(scans: list[Mapping[str, Any]]) -> str:
    entries = [s for s in scans if s.get("outcome") == "admit"]
    exits = [s for s in scans if s.get("outcome") == "exit"]
    refused = [s for s in scans if s.get("outcome") == "refuse"]
    extra = []
    if exits:
        extra.append(f"{len(exits)} exit scan(s)")
    if len(entries) > 1:
        extra.append(f"{len(entries) - 1} re-admission(s)")
    if refused:
        reasons = ", ".join(sorted({str(s.get("reason")) for s in refused}))
        extra.append(f"{len(refused)} refused scan(s) ({reasons})")
    return " Also recorded: " + "; ".join(extra) + "." if extra else ""


def _door_sentence(
    name: str,
    sale: Mapping[str, Any],
    sales: list[Mapping[str, Any]],
    scans: list[Mapping[str, Any]],
    venue: str,
    where_seen: str,
) -> tuple[str, str]:
    """A door-sold ticket: "Ticket … was sold at the door of Venue by gate box … on …,
    paid by card terminal VISA ••4242 auth A1B2C3; ticket admitted at Gate 3 at …"."""
    count = len(sale.get("tickets", []))
    text = (
        f"{name} was sold at the door of {venue or 'the venue'} by gate box"
        f" {sale.get('agent_id')} (till {sale.get('device_id')}, operator"
        f" {sale.get('operator')}, session {sale.get('session_id')}) on {sale.get('at_utc')},"
        f" {count} ticket(s) for {money(sale.get('amount_cents'), sale.get('currency'))},"
        f" {sale.get('payment_text')}"
    )
    if sale.get("delivery_text"):
        text += f", {sale.get('delivery_text')}"
    entries = [s for s in scans if s.get("outcome") == "admit"]
    refused = [s for s in scans if s.get("outcome") == "refuse"]
    if entries:
        first = entries[0]
        status = "admitted"
        text += f"; ticket admitted at {_place(first, venue)} at {first.get('door_time_utc')}."
    elif scans:
        status = "refused_only"
        reasons = ", ".join(sorted({str(s.get("reason")) for s in refused}))
        text += (
            f"; ticket scanned {len(scans)} time(s) and refused every time ({reasons}),"
            " never admitted."
        )
    else:
        status = "never_scanned"
        text += f"; ticket never scanned {where_seen}."
    for void in sales:
        if void.get("kind") == "void" and void.get("sale_id") == sale.get("sale_id"):
            text += (
                f" The sale was voided on {void.get('at_utc')}"
                f" ({void.get('reason') or 'no reason given'};"
                f" {void.get('payment_text')})."
            )
    if entries:
        text += _also(scans)
    return status, text


def _clock_sentence(scans: list[Mapping[str, Any]]) -> str:
    if not scans:
        return "No scans, so no door times to trust."
    statuses = sorted({str(s.get("clock", {}).get("status")) for s in scans})
    return "Clock: " + "; ".join(statuses) + "."
