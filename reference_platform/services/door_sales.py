"""What an uploaded sales row changes on the platform (``docs/sync.md``: sales).

A ``sale`` row becomes an order with the agent's ticket ids and signed codes (so the
evidence pack, the conflicts report, the manifest and capacity all see door sales as
tickets), counts its seats against the leases they came from, and queues the
confirmation e-mail when the buyer asked for one; a ``void`` row refunds its tickets
(the seat returns, the next manifest page revokes them at every gate). Session and
lease rows are kept as the record; the lease calls already told the platform.

Runs inside the ingestion's write transaction, once per fresh row (a re-sent row is a
duplicate and changes nothing).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from edge_agent.ledger.sale_records import SALE_KINDS, parse_tickets_text
from reference_platform.services.catalog import log_change
from reference_platform.services.orders import revoke_ticket

log = logging.getLogger(__name__)

_HEX32 = re.compile(r"[0-9a-f]{32}")


def row_problem(row: Mapping[str, Any]) -> tuple[str, str] | None:
    """(field, problem) if a sales row cannot take effect; checked before any write."""
    kind = row["kind"]
    if kind not in SALE_KINDS:
        return "kind", f"must be one of {', '.join(SALE_KINDS)}"
    if kind not in ("sale", "void"):
        return None
    for name in ("event_id", "sale_id", "order_id", "tickets"):
        if row[name] is None:
            return name, f"is required in a {kind} row"
    try:
        tickets = parse_tickets_text(row["tickets"])
    except ValueError as exc:
        return "tickets", str(exc)
    if not tickets:
        return "tickets", "must list at least one ticket"
    for ticket in tickets:
        if not _HEX32.fullmatch(ticket["ticket_id"]):
            return "tickets", "ticket_id must be 32 lower-case hex digits"
        if kind == "sale" and not (
            isinstance(ticket["code"], str) and ticket["code"].startswith("GH1:")
        ):
            return "tickets", "a sold ticket needs its GH1 code"
    return None


def apply_rows(
    conn: sqlite3.Connection, agent_id: str, rows: Sequence[Mapping[str, Any]], now_ms: int
) -> None:
    for row in rows:
        if row["kind"] == "sale":
            _sale(conn, agent_id, row, now_ms)
        elif row["kind"] == "void":
            _void(conn, agent_id, row, now_ms)


def _event_exists(conn: sqlite3.Connection, event_id: int) -> bool:
    found = conn.execute("SELECT 1 FROM events WHERE event_id = ?", (event_id,)).fetchone()
    return found is not None


def _sale(conn: sqlite3.Connection, agent_id: str, row: Mapping[str, Any], now_ms: int) -> None:
    event_id, order_id = row["event_id"], row["order_id"]
    if not _event_exists(conn, event_id):
        log.warning("door sale %s of %s: no event %s here", row["sale_id"], agent_id, event_id)
        return
    if conn.execute("SELECT 1 FROM orders WHERE order_id = ?", (order_id,)).fetchone():
        log.warning("door sale %s of %s: order %s exists", row["sale_id"], agent_id, order_id)
        return
    brand = row["card_brand"] if row["method"] == "terminal" else row["method"]
    conn.execute(
        "INSERT INTO orders(order_id, event_id, customer_name, customer_email,"
        " purchased_at_ms, ip, user_agent, payment_brand, payment_last4, three_ds_result,"
        " created_at_ms) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, NULL, ?)",
        (
            order_id,
            event_id,
            row["customer_name"] or "",
            row["customer_email"] or "",
            row["at_ms"],
            f"door sale at {agent_id} ({row['operator'] or '?'})",
            brand,
            row["card_last4"],
            now_ms,
        ),
    )
    tickets = parse_tickets_text(row["tickets"])
    per_lease: Counter[str] = Counter()
    for ticket in tickets:
        cursor = conn.execute(
            "INSERT INTO tickets(ticket_id, event_id, ticket_type, order_id, holder_name,"
            " holder_email, code_kind, code, issued_at_ms) VALUES (?, ?, ?, ?, ?, ?, 'gh1', ?, ?)"
            " ON CONFLICT(ticket_id) DO NOTHING",
            (
                ticket["ticket_id"],
                event_id,
                ticket["ticket_type"],
                order_id,
                row["customer_name"],
                row["customer_email"],
                ticket["code"],
                row["at_ms"],
            ),
        )
        if cursor.rowcount != 1:
            continue
        conn.execute(
            "UPDATE ticket_types SET sold = sold + 1 WHERE event_id = ? AND ticket_type = ?",
            (event_id, ticket["ticket_type"]),
        )
        log_change(conn, event_id, "ticket", ticket["ticket_id"])
        if isinstance(ticket["lease_id"], str):
            per_lease[ticket["lease_id"]] += 1
    for lease_id, n in per_lease.items():
        conn.execute(
            "UPDATE leases SET door_sold = door_sold + ? WHERE lease_id = ? AND agent_id = ?",
            (n, lease_id, agent_id),
        )
    if row["delivery"] == "email" and row["customer_email"]:
        conn.execute(
            "INSERT INTO email_queue(event_id, order_id, to_email, kind, created_at_ms)"
            " VALUES (?, ?, ?, 'door_sale_tickets', ?)",
            (event_id, order_id, row["customer_email"], now_ms),
        )


def _void(conn: sqlite3.Connection, agent_id: str, row: Mapping[str, Any], now_ms: int) -> None:
    per_lease: Counter[str] = Counter()
    reason = f"voided at the door ({agent_id}): {row['reason'] or ''}".strip()
    for ticket in parse_tickets_text(row["tickets"]):
        state = conn.execute(
            "SELECT t.order_id, r.kind FROM tickets t LEFT JOIN revocations r USING (ticket_id)"
            " WHERE t.ticket_id = ?",
            (ticket["ticket_id"],),
        ).fetchone()
        if state is None or state[0] != row["order_id"] or state[1] not in (None, "suspended"):
            continue  # unknown here, another order's, or already revoked for good
        revoke_ticket(conn, ticket["ticket_id"], "refunded", reason, now_ms)
        if isinstance(ticket["lease_id"], str):
            per_lease[ticket["lease_id"]] += 1
    for lease_id, n in per_lease.items():
        conn.execute(
            "UPDATE leases SET door_voided = door_voided + ? WHERE lease_id = ? AND agent_id = ?",
            (n, lease_id, agent_id),
        )


def email_queue(conn: sqlite3.Connection, event_id: int) -> list[dict[str, Any]]:
    """The e-mails owed for an event, oldest first (the reference never sends them)."""
    return [
        {
            "email_id": r[0],
            "order_id": r[1],
            "to": r[2],
            "kind": r[3],
            "created_at_ms": r[4],
            "sent_at_ms": r[5],
        }
        for r in conn.execute(
            "SELECT email_id, order_id, to_email, kind, created_at_ms, sent_at_ms"
            " FROM email_queue WHERE event_id = ? ORDER BY email_id",
            (event_id,),
        )
    ]
