"""Orders (with the purchase data an evidence pack needs) and what happens to tickets
after the sale: refunds, cancellations, chargebacks and reissues.

Each of those revokes one ticket id: a ``revocations`` row, one seat back to the type
(``sold - 1``) and a change-log entry so the next manifest page carries it to every gate.
A reissue also issues a replacement ticket into the same order, so the customer's new
code works at the door while the old one is refused as ``reissued``.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections import Counter
from dataclasses import dataclass, field

from reference_platform.errors import Conflict, NotFound
from reference_platform.services.catalog import (
    IssuedTicket,
    get_event,
    issue_ticket,
    log_change,
    platform_key,
)
from reference_platform.services.leases import seats_left
from reference_platform.services.live_tickets import live_link

#: Revocation kinds an operator can cause (``RevocationKind`` on the agent). All but
#: ``suspended`` are final and give the seat back; a suspension (a hold, e.g. while a
#: payment is reviewed) keeps the seat and can be lifted.
REVOCATION_KINDS = ("refunded", "cancelled", "charged_back", "reissued", "suspended")
SUSPENDED = "suspended"
MAX_TICKETS_PER_ORDER = 100


@dataclass(frozen=True, slots=True)
class TicketRequest:
    ticket_type: int
    code_kind: str  # "gh1" or "plain"
    holder_name: str | None = None
    holder_email: str | None = None
    valid_from: int = 0
    valid_until: int = 0
    #: What gate staff must check (``attention``, ``id_check``, ``age_18``,
    #: ``accessibility``) and a note for them; the manifest carries both.
    flags: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A checked order body (``admin_routes`` builds it from JSON). No PAN ever: the
    request was refused before it got here if it held one."""

    customer_name: str
    customer_email: str
    purchased_at_ms: int
    ip: str | None
    user_agent: str | None
    payment_brand: str | None
    payment_last4: str | None
    three_ds_result: str | None
    tickets: tuple[TicketRequest, ...] = field(default=())


def create_order(
    conn: sqlite3.Connection, event_id: int, order: OrderRequest, now_ms: int
) -> dict[str, object]:
    """Check capacity for every type at once, then issue all tickets of the order."""
    event = get_event(conn, event_id)
    if event.status == "cancelled":
        raise Conflict(f"event {event_id} is cancelled", code="event_cancelled")
    for ticket_type, wanted in sorted(Counter(t.ticket_type for t in order.tickets).items()):
        left = seats_left(conn, event_id, ticket_type, now_ms)
        if wanted > left:
            raise Conflict(
                f"ticket type {ticket_type}: {wanted} asked, {max(left, 0)} left",
                code="sold_out",
                ticket_type=ticket_type,
            )
    order_id = "O-" + secrets.token_hex(6).upper()
    conn.execute(
        "INSERT INTO orders(order_id, event_id, customer_name, customer_email,"
        " purchased_at_ms, ip, user_agent, payment_brand, payment_last4, three_ds_result,"
        " created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            order_id,
            event_id,
            order.customer_name,
            order.customer_email,
            order.purchased_at_ms,
            order.ip,
            order.user_agent,
            order.payment_brand,
            order.payment_last4,
            order.three_ds_result,
            now_ms,
        ),
    )
    key = platform_key(conn, event_id)
    issued: list[IssuedTicket] = [
        issue_ticket(
            conn,
            event_id=event_id,
            ticket_type=t.ticket_type,
            order_id=order_id,
            holder_name=t.holder_name or order.customer_name,
            holder_email=t.holder_email or order.customer_email,
            code_kind=t.code_kind,
            now_ms=now_ms,
            key=key,
            valid_from=t.valid_from,
            valid_until=t.valid_until,
        )
        for t in order.tickets
    ]
    conn.executemany(  # the same transaction: the manifest's change already names them
        "UPDATE tickets SET flags = ?, note = ? WHERE ticket_id = ?",
        [
            (",".join(t.flags), t.note, made.ticket_id)
            for t, made in zip(order.tickets, issued, strict=True)
            if t.flags or t.note
        ],
    )
    answer = [t.to_json() for t in issued]
    for doc, made in zip(answer, issued, strict=True):
        if made.code_kind == "gh1":  # the holder's live (rotating) ticket page
            doc["live_url"] = live_link(conn, made.ticket_id, event_id)
    return {"order_id": order_id, "event_id": event_id, "tickets": answer}


def get_order(conn: sqlite3.Connection, order_id: str) -> dict[str, object]:
    row = conn.execute(
        "SELECT order_id, event_id, customer_name, customer_email, purchased_at_ms, ip,"
        " user_agent, payment_brand, payment_last4, three_ds_result, created_at_ms"
        " FROM orders WHERE order_id = ?",
        (order_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"no order {order_id}", code="unknown_order")
    tickets = [
        {
            "ticket_id": t[0],
            "ticket_type": t[1],
            "holder_name": t[2],
            "holder_email": t[3],
            "code_kind": t[4],
            "code": t[5],
            "replaces": t[6],
            "issued_at_ms": t[7],
            "revocation": None if t[8] is None else {"kind": t[8], "reason": t[9], "at_ms": t[10]},
        }
        for t in conn.execute(
            "SELECT t.ticket_id, t.ticket_type, t.holder_name, t.holder_email, t.code_kind,"
            " t.code, t.replaces, t.issued_at_ms, r.kind, r.reason, r.at_ms"
            " FROM tickets t LEFT JOIN revocations r USING (ticket_id)"
            " WHERE t.order_id = ? ORDER BY t.issued_at_ms, t.ticket_id",
            (order_id,),
        )
    ]
    return {
        "order_id": row[0],
        "event_id": row[1],
        "customer": {"name": row[2], "email": row[3]},
        "purchase": {"at_ms": row[4], "ip": row[5], "user_agent": row[6]},
        "payment": {"brand": row[7], "last4": row[8], "three_ds": row[9]},
        "created_at_ms": row[10],
        "tickets": tickets,
    }


def revoke_ticket(
    conn: sqlite3.Connection, ticket_id: str, kind: str, reason: str, now_ms: int
) -> dict[str, object]:
    """Revoke a ticket. A final revocation happens at most once (409 ``already_revoked``);
    a suspended ticket can still be revoked for good (the kind is replaced)."""
    assert kind in REVOCATION_KINDS
    row = conn.execute(
        "SELECT event_id, ticket_type FROM tickets WHERE ticket_id = ?", (ticket_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no ticket {ticket_id}", code="unknown_ticket")
    event_id, ticket_type = int(row[0]), int(row[1])
    existing = conn.execute(
        "SELECT kind FROM revocations WHERE ticket_id = ?", (ticket_id,)
    ).fetchone()
    current = None if existing is None else existing[0]
    if current is not None and (current != SUSPENDED or kind == SUSPENDED):
        raise Conflict(f"ticket {ticket_id} is already revoked ({current})", code="already_revoked")
    conn.execute(
        "INSERT INTO revocations(ticket_id, event_id, kind, reason, at_ms) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(ticket_id) DO UPDATE SET kind = excluded.kind, reason = excluded.reason,"
        " at_ms = excluded.at_ms",
        (ticket_id, event_id, kind, reason, now_ms),
    )
    if kind != SUSPENDED:
        conn.execute(
            "UPDATE ticket_types SET sold = sold - 1 WHERE event_id = ? AND ticket_type = ?",
            (event_id, ticket_type),
        )
    log_change(conn, event_id, "revocation", ticket_id)
    return {"ticket_id": ticket_id, "kind": kind, "reason": reason, "at_ms": now_ms}


def lift_suspension(conn: sqlite3.Connection, ticket_id: str, now_ms: int) -> dict[str, object]:
    """Lift a suspension: the revocation row stays with ``kind`` NULL, so the manifest
    carries ``{"ticket_id", "kind": null, "at_ms": <when lifted>}``."""
    row = conn.execute(
        "SELECT event_id, kind FROM revocations WHERE ticket_id = ?", (ticket_id,)
    ).fetchone()
    if row is None or row[1] != SUSPENDED:
        raise Conflict(f"ticket {ticket_id} is not suspended", code="not_suspended")
    conn.execute(
        "UPDATE revocations SET kind = NULL, reason = 'suspension lifted', at_ms = ?"
        " WHERE ticket_id = ?",
        (now_ms, ticket_id),
    )
    log_change(conn, int(row[0]), "revocation", ticket_id)
    return {"ticket_id": ticket_id, "kind": None, "at_ms": now_ms}


def reissue_ticket(
    conn: sqlite3.Connection, ticket_id: str, reason: str, now_ms: int
) -> dict[str, object]:
    """Revoke as ``reissued`` and issue a replacement (same order, type, holder and
    code kind). The seat moves from the old ticket to the new one, so capacity is not
    checked again."""
    revocation = revoke_ticket(conn, ticket_id, "reissued", reason, now_ms)
    row = conn.execute(
        "SELECT event_id, ticket_type, order_id, holder_name, holder_email, code_kind,"
        " valid_from, valid_until FROM tickets WHERE ticket_id = ?",
        (ticket_id,),
    ).fetchone()
    event_id, ticket_type, order_id, holder_name, holder_email, code_kind, vf, vu = row
    replacement = issue_ticket(
        conn,
        event_id=event_id,
        ticket_type=ticket_type,
        order_id=order_id,
        holder_name=holder_name,
        holder_email=holder_email,
        code_kind=code_kind,
        now_ms=now_ms,
        valid_from=vf,
        valid_until=vu,
        replaces=ticket_id,
    )
    return {**revocation, "replacement": replacement.to_json()}
