"""Finding an order and telling its tickets' story, for support staff.

Search by what a customer can tell on the phone: the order code (or a ticket id), the
e-mail address (buyer or holder, any case), or the last 4 digits of the card. The
timeline puts every fact the platform holds about each ticket in time order: bought,
delivered (issued; a door sale's delivery), scanned where and when (from the agents'
uploaded ledger rows), refunded, charged back, cancelled, reissued.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from edge_agent.ledger.records import SCAN_FIELDS
from reference_platform.services.orders import get_order

MAX_RESULTS = 50
_GATE, _LANE, _DIRECTION = (SCAN_FIELDS.index(f) for f in ("gate", "lane", "direction"))
_REVOCATION_WORDS = {
    "refunded": "refunded",
    "charged_back": "charged back",
    "cancelled": "cancelled (event)",
    "reissued": "replaced by a reissue",
    "suspended": "suspended",
}


def find_orders(conn: sqlite3.Connection, query: str) -> list[dict[str, Any]]:
    q = query.strip()
    if not q:
        return []
    if re.fullmatch(r"\d{4}", q):
        where, args = "o.payment_last4 = ?", [q]
    elif "@" in q:
        where = (
            "o.customer_email = ? COLLATE NOCASE OR o.order_id IN"
            " (SELECT order_id FROM tickets WHERE holder_email = ? COLLATE NOCASE)"
        )
        args = [q, q]
    else:
        where = "o.order_id = ? OR o.order_id IN (SELECT order_id FROM tickets WHERE ticket_id = ?)"
        args = [q, q]
    # ``where`` is one of the three fixed clauses above; every value is a parameter.
    sql = (
        "SELECT o.order_id, o.event_id, e.name, o.customer_name, o.customer_email,"  # noqa: S608
        " o.purchased_at_ms, o.payment_brand, o.payment_last4,"
        " (SELECT count(*) FROM tickets t WHERE t.order_id = o.order_id)"
        f" FROM orders o JOIN events e USING (event_id) WHERE {where}"
        " ORDER BY o.purchased_at_ms DESC LIMIT ?"
    )
    rows = conn.execute(sql, (*args, MAX_RESULTS)).fetchall()
    keys = ("order_id", "event_id", "event_name", "customer_name", "customer_email",
            "purchased_at_ms", "payment_brand", "payment_last4", "tickets")  # fmt: skip
    return [dict(zip(keys, row, strict=True)) for row in rows]


def order_story(conn: sqlite3.Connection, order_id: str) -> dict[str, Any]:
    """The order (never a ticket's code: support staff need not see it) and a timeline
    per ticket."""
    order = get_order(conn, order_id)
    event = conn.execute(
        "SELECT name, venue, starts_at_ms FROM events WHERE event_id = ?", (order["event_id"],)
    ).fetchone()
    door = _door_sale(conn, order_id)
    tickets = []
    for ticket in order["tickets"]:  # type: ignore[attr-defined]
        ticket = {k: v for k, v in ticket.items() if k != "code"}
        ticket["timeline"] = _timeline(conn, order, ticket, door)
        tickets.append(ticket)
    order["tickets"] = tickets
    order["event"] = {"name": event[0], "venue": event[1], "starts_at_ms": event[2]}
    order["door_sale"] = door
    return order


def _door_sale(conn: sqlite3.Connection, order_id: str) -> dict[str, Any] | None:
    for (row_json,) in conn.execute("SELECT row_json FROM sales ORDER BY agent_id, seq"):
        row = json.loads(row_json)
        if row.get("kind") == "sale" and row.get("order_id") == order_id:
            return {
                "agent_id": row.get("agent_id"),
                "at_ms": row.get("at_ms"),
                "operator": row.get("operator"),
                "delivery": row.get("delivery"),
                "method": row.get("method"),
            }
    return None


def _timeline(
    conn: sqlite3.Connection,
    order: dict[str, Any],
    ticket: dict[str, Any],
    door: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    purchase = order["purchase"]
    if door is None:
        pay = order["payment"]
        card = f"{pay['brand']} ••{pay['last4']}" if pay.get("last4") else "no card on file"
        events.append(
            {"at_ms": purchase["at_ms"], "kind": "bought", "text": f"bought online ({card})"}
        )
        events.append({"at_ms": ticket["issued_at_ms"], "kind": "delivered",
                       "text": "ticket issued and delivered to the buyer"})  # fmt: skip
    else:
        events.append({"at_ms": door["at_ms"], "kind": "bought",
                       "text": f"sold at the door by {door['agent_id']} ({door['operator']},"
                               f" paid by {door['method']})"})  # fmt: skip
        events.append({"at_ms": door["at_ms"], "kind": "delivered",
                       "text": f"delivered: {door['delivery']}"})  # fmt: skip
    if ticket.get("replaces"):
        events.append({"at_ms": ticket["issued_at_ms"], "kind": "reissued",
                       "text": f"reissued, replacing ticket {ticket['replaces']}"})  # fmt: skip
    for agent_id, at_ms, outcome, reason, row_json, received in conn.execute(
        "SELECT agent_id, at_ms, outcome, reason, row_json, received_at_ms FROM scans"
        " WHERE ticket_id = ? ORDER BY at_ms",
        (ticket["ticket_id"],),
    ):
        row = json.loads(row_json)
        where = f"{row[_GATE]} / {row[_LANE]} (box {agent_id})"
        verb = {"admit": "admitted", "exit": "went out", "refuse": "refused"}.get(outcome, outcome)
        events.append({
            "at_ms": at_ms, "kind": f"scan_{outcome}", "where": where, "reason": reason,
            "received_at_ms": received, "text": f"{verb} at {where} ({reason})",
        })  # fmt: skip
    revocation = ticket.get("revocation")
    if revocation:
        kind = str(revocation["kind"])
        words = _REVOCATION_WORDS.get(kind, kind)
        events.append({"at_ms": revocation["at_ms"], "kind": kind,
                       "text": f"{words}: {revocation['reason']}"})  # fmt: skip
    return sorted(events, key=lambda e: (e["at_ms"], e["kind"] != "bought"))
