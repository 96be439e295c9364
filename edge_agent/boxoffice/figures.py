"""The counter's live figures (``GET /api/v1/boxoffice``, pushed over the WebSocket).

Read from the ledger's committed state on a read connection (a few indexed queries:
types, leases, door sales per type, the device's session) plus the in-memory count of
admissions per type, which the gate's stats hook keeps current.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Mapping
from typing import Any

from edge_agent.domain.sale import expected_cash
from edge_agent.ledger import box_office_tables as t


class AdmissionCounter:
    """First admissions per ticket type at this agent's gates (re-entries not counted)."""

    def __init__(self, start: Mapping[int, int]) -> None:
        self.by_type: Counter[int] = Counter(start)

    def note(self, ticket_type: int | None, outcome: str, reason: str) -> bool:
        if ticket_type is None or outcome != "admit" or reason == "readmitted":
            return False
        self.by_type[ticket_type] += 1
        return True


def session_json(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {
        "session_id": row["session_id"],
        "operator": row["operator"],
        "opened_at_ms": row["opened_at_ms"],
        "float_cents": row["float_cents"],
        "cash_in_drawer_cents": expected_cash(
            row["float_cents"], row["cash_in_cents"], row["cash_out_cents"]
        ),
        "sales": row["sales"],
        "voids": row["voids"],
    }
    if row["closed_at_ms"] is not None:
        out["closed_at_ms"] = row["closed_at_ms"]
    return out


def build_figures(
    conn: sqlite3.Connection,
    *,
    event: dict[str, Any],
    currency: str,
    online: bool,
    device_id: str | None,
    scanned: Mapping[int, int],
    now_ms: int,
    margin_ms: int,
) -> dict[str, Any]:
    event_id = int(event["event_id"])
    types = t.priced_types(conn, event_id)
    all_leases = t.leases(conn, event_id)
    returned = t.returned_counts(conn, event_id)
    sold = t.sold_by_type(conn)
    session = t.open_session_of(conn, device_id) if device_id is not None else None
    listed = sorted(set(types) | {lease.ticket_type for lease in all_leases})
    ticket_types = []
    for ticket_type in listed:
        known = types.get(ticket_type)
        mine = [lease for lease in all_leases if lease.ticket_type == ticket_type]
        ticket_types.append(
            {
                "ticket_type": ticket_type,
                "name": known.name if known else f"Type {ticket_type}",
                "price_cents": known.price_cents if known else None,
                "capacity": known.capacity if known else None,
                "sellable": sum(lease.left for lease in mine if lease.usable(now_ms, margin_ms)),
                "sold_here": sold.get(ticket_type, 0),
                "scanned": scanned.get(ticket_type, 0),
                "leases": [
                    {
                        "lease_id": lease.lease_id,
                        "count": lease.count,
                        "sold": lease.sold,
                        "returned": returned.get(lease.lease_id, 0),
                        "closed": lease.returned,
                        "expires_at_ms": lease.expires_at_ms,
                        "expired": not lease.returned and not lease.usable(now_ms, margin_ms),
                    }
                    for lease in mine
                ],
            }
        )
    return {
        "event": event,
        "currency": currency,
        "online": online,
        "session": None if session is None else session_json(session),
        "cash_in_drawers_cents": t.cash_in_drawers(conn),
        "ticket_types": ticket_types,
    }
