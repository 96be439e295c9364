"""The plain-words conclusion at the top of a pack, computed from its scans.

The verifier recomputes it from the (proven) scans and compares, so the sentence a
reviewer reads first can never say more than the rows underneath it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
    tickets = []
    for ticket in pack.get("tickets", []):
        ticket_id = str(ticket.get("ticket_id"))
        scans = scans_by_ticket.get(ticket_id, [])
        status, text = _ticket_sentence(ticket_id, order_id, scans, venue, where_seen)
        tickets.append(
            {"ticket_id": ticket_id, "status": status, "text": text, "scans": len(scans)}
        )
    return {"tickets": tickets, "clock": _clock_sentence(pack.get("scans", []))}


def _place(scan: Mapping[str, Any], venue: str) -> str:
    gate = scan.get("gate_name") or scan.get("gate")
    return f"{gate}, {venue}" if venue else str(gate)


def _ticket_sentence(
    ticket_id: str,
    order_id: object,
    scans: list[Mapping[str, Any]],
    venue: str,
    where_seen: str,
) -> tuple[str, str]:
    name = f"Ticket {ticket_id}" + (f" for order {order_id}" if order_id else "")
    if not scans:
        return "never_scanned", f"{name} was never scanned {where_seen}."
    entries = [s for s in scans if s.get("outcome") == "admit"]
    exits = [s for s in scans if s.get("outcome") == "exit"]
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
    extra = []
    if exits:
        extra.append(f"{len(exits)} exit scan(s)")
    if len(entries) > 1:
        extra.append(f"{len(entries) - 1} re-admission(s)")
    if refused:
        reasons = ", ".join(sorted({str(s.get("reason")) for s in refused}))
        extra.append(f"{len(refused)} refused scan(s) ({reasons})")
    if extra:
        text += " Also recorded: " + "; ".join(extra) + "."
    return "admitted", text


def _clock_sentence(scans: list[Mapping[str, Any]]) -> str:
    if not scans:
        return "No scans, so no door times to trust."
    statuses = sorted({str(s.get("clock", {}).get("status")) for s in scans})
    return "Clock: " + "; ".join(statuses) + "."
