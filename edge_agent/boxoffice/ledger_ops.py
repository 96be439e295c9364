"""What each box-office action writes, as functions for ``LedgerWriter.execute``.

Each runs in the single writer's transaction, reads the state it decides on there and
writes the chained ``sales`` row together with the state tables, so two sales racing
for the last seats are decided one after the other on committed state, and the answer
(a receipt) exists only once the commit is durable. A refusal raises
``BoxOfficeError`` and the writer rolls back this function's changes alone.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.sale import (
    CashPayment,
    CompPayment,
    Delivery,
    LineItem,
    Payment,
    TerminalPayment,
    allocate,
    expected_cash,
    method_of,
    price_items,
    settle,
    total_of,
)
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.errors import BoxOfficeError
from edge_agent.ledger import box_office_tables as t
from edge_agent.ledger.sale_records import tickets_text
from sync.leases import LeaseGrant


@dataclass(frozen=True, slots=True)
class SaleInput:
    """A checked sale request plus what the service made for it before the
    transaction: ids and the signed codes (one per ticket, in item order)."""

    request_id: str
    request_sha256: str
    items: tuple[LineItem, ...]
    payment: Payment
    customer_name: str | None
    customer_email: str | None
    delivery: Delivery
    device_id: str
    sale_id: str
    order_id: str
    entry_id: str
    #: (ticket_id hex, ticket_type, GH1 code) per ticket, in item order.
    codes: tuple[tuple[str, int, str], ...]


@dataclass(frozen=True, slots=True)
class Context:
    agent_id: str
    event_id: int
    currency: str
    now_ms: int
    margin_ms: int


def _payment_json(payment: Payment, change_cents: int | None) -> dict[str, Any]:
    if isinstance(payment, CashPayment):
        return {
            "method": "cash",
            "tendered_cents": payment.tendered_cents,
            "change_cents": change_cents,
        }
    if isinstance(payment, TerminalPayment):
        return {
            "method": "terminal",
            "brand": payment.brand,
            "last4": payment.last4,
            "auth_ref": payment.auth_ref,
            "terminal_id": payment.terminal_id,
        }
    return {"method": "comp", "reason": payment.reason, "supervisor": payment.supervisor}


def record_sale(
    conn: sqlite3.Connection, ctx: Context, sale: SaleInput
) -> tuple[dict[str, Any], bool]:
    """Sell, or return the receipt of the earlier sale with this ``request_id``.
    Returns (receipt, created)."""
    earlier = t.sale_by_request(conn, sale.request_id)
    if earlier is not None:
        sha, receipt = earlier
        if sha != sale.request_sha256:
            raise BoxOfficeError(
                SaleCode.REQUEST_REUSED,
                "this request_id was already used for a different sale",
                sale_id=receipt["sale_id"],
            )
        return receipt, False
    session = t.open_session_of(conn, sale.device_id)
    if session is None:
        raise BoxOfficeError(SaleCode.NO_SESSION, "open a session on this device first")
    priced = price_items(sale.items, t.priced_types(conn, ctx.event_id))
    total = total_of(priced)
    settlement = settle(sale.payment, total)
    lease_ids = allocate(t.leases(conn, ctx.event_id), priced, ctx.now_ms, ctx.margin_ms)
    for lease_id, n in Counter(lease_ids).items():
        t.add_lease_sold(conn, lease_id, n)  # CHECK (sold <= count): the last guard
    by_type = {p.ticket_type: p for p in priced}
    # The codes were signed in request item order; allocation is per priced type.
    codes_by_type: dict[int, list[tuple[str, str]]] = {}
    for ticket_id, ticket_type, code in sale.codes:
        codes_by_type.setdefault(ticket_type, []).append((ticket_id, code))
    tickets: list[dict[str, Any]] = []
    i = 0
    for item in priced:
        for ticket_id, code in codes_by_type[item.ticket_type][: item.quantity]:
            tickets.append(
                {
                    "ticket_id": ticket_id,
                    "ticket_type": item.ticket_type,
                    "lease_id": lease_ids[i],
                    "unit_cents": item.unit_cents,
                    "code": code,
                }
            )
            i += 1
    payment = sale.payment
    card = payment if isinstance(payment, TerminalPayment) else None
    comp = payment if isinstance(payment, CompPayment) else None
    method = method_of(payment)
    t.append_sales_row(
        conn,
        ctx.agent_id,
        {
            "entry_id": sale.entry_id,
            "at_ms": ctx.now_ms,
            "kind": "sale",
            "event_id": ctx.event_id,
            "session_id": session["session_id"],
            "device_id": sale.device_id,
            "operator": session["operator"],
            "sale_id": sale.sale_id,
            "order_id": sale.order_id,
            "count": len(tickets),
            "amount_cents": settlement.total_cents,
            "currency": ctx.currency,
            "method": method.value,
            "tendered_cents": settlement.tendered_cents,
            "change_cents": settlement.change_cents,
            "card_brand": card.brand if card else None,
            "card_last4": card.last4 if card else None,
            "auth_ref": card.auth_ref if card else None,
            "terminal_id": card.terminal_id if card else None,
            "supervisor": comp.supervisor if comp else None,
            "reason": comp.reason if comp else None,
            "customer_name": sale.customer_name,
            "customer_email": sale.customer_email,
            "delivery": sale.delivery.value,
            "tickets": tickets_text(tickets),
        },
    )
    answer: dict[str, Any] = {
        "sale_id": sale.sale_id,
        "order_id": sale.order_id,
        "status": "completed",
        "at_ms": ctx.now_ms,
        "session_id": session["session_id"],
        "operator": session["operator"],
        "items": [
            {
                "ticket_type": p.ticket_type,
                "name": p.name,
                "quantity": p.quantity,
                "unit_cents": p.unit_cents,
            }
            for p in priced
        ],
        "total_cents": settlement.total_cents,
        "currency": ctx.currency,
        "payment": _payment_json(payment, settlement.change_cents),
        "customer": (
            None
            if sale.customer_name is None and sale.customer_email is None
            else {"name": sale.customer_name, "email": sale.customer_email}
        ),
        "tickets": [
            {
                "ticket_id": tk["ticket_id"],
                "ticket_type": tk["ticket_type"],
                "name": by_type[tk["ticket_type"]].name,
                "code": tk["code"],
            }
            for tk in tickets
        ],
        "delivery": {
            "kind": sale.delivery.value,
            "printed": False,
            "email_queued": sale.delivery is Delivery.EMAIL,
        },
        "void": None,
        "warnings": [],
    }
    conn.execute(
        "INSERT INTO box_office_sales(sale_id, request_id, request_sha256, device_id,"
        " session_id, at_ms, status, receipt) VALUES (?, ?, ?, ?, ?, ?, 'completed', ?)",
        (
            sale.sale_id,
            sale.request_id,
            sale.request_sha256,
            sale.device_id,
            session["session_id"],
            ctx.now_ms,
            json.dumps(answer, separators=(",", ":")),
        ),
    )
    conn.executemany(
        "INSERT INTO box_office_tickets(ticket_id, sale_id, ticket_type, lease_id)"
        " VALUES (?, ?, ?, ?)",
        [(tk["ticket_id"], sale.sale_id, tk["ticket_type"], tk["lease_id"]) for tk in tickets],
    )
    conn.execute(
        "UPDATE box_office_sessions SET cash_in_cents = cash_in_cents + ?, sales = sales + 1"
        " WHERE session_id = ?",
        (settlement.cash_in_cents, session["session_id"]),
    )
    return answer, True


def record_void(
    conn: sqlite3.Connection,
    ctx: Context,
    *,
    sale_id: str,
    entry_id: str,
    device_id: str,
    reason: str,
) -> tuple[dict[str, Any], list[str]]:
    """Void a sale of a session that is still open: its seats go back to their leases,
    its tickets are revoked (``refunded``) in the ledger. Returns (receipt, ticket ids)."""
    found = t.sale_record(conn, sale_id)
    if found is None:
        raise BoxOfficeError(SaleCode.UNKNOWN_SALE, f"no sale {sale_id} on this agent")
    session_id, status, receipt = found
    if status == "voided":
        raise BoxOfficeError(SaleCode.ALREADY_VOIDED, f"sale {sale_id} is already voided")
    session = t.session(conn, session_id)
    if session is None or session["closed_at_ms"] is not None:
        raise BoxOfficeError(
            SaleCode.SESSION_CLOSED,
            "the sale's session is closed; a refund now goes through the platform",
        )
    rows = conn.execute(
        "SELECT ticket_id, ticket_type, lease_id FROM box_office_tickets WHERE sale_id = ?"
        " ORDER BY rowid",
        (sale_id,),
    ).fetchall()
    for lease_id, n in Counter(r[2] for r in rows).items():
        t.add_lease_sold(conn, lease_id, -n)
    method = receipt["payment"]["method"]
    handed_back = receipt["total_cents"] if method != "comp" else 0
    cash_out = handed_back if method == "cash" else 0
    operator = receipt["operator"]
    t.append_sales_row(
        conn,
        ctx.agent_id,
        {
            "entry_id": entry_id,
            "at_ms": ctx.now_ms,
            "kind": "void",
            "event_id": ctx.event_id,
            "session_id": session_id,
            "device_id": device_id,
            "operator": operator,
            "sale_id": sale_id,
            "order_id": receipt["order_id"],
            "count": len(rows),
            "amount_cents": handed_back,
            "currency": receipt["currency"],
            "method": method,
            "reason": reason,
            "tickets": tickets_text(
                [
                    {
                        "ticket_id": r[0],
                        "ticket_type": r[1],
                        "lease_id": r[2],
                        "unit_cents": 0,
                        "code": "",
                    }
                    for r in rows
                ]
            ),
        },
    )
    receipt = {
        **receipt,
        "status": "voided",
        "void": {"at_ms": ctx.now_ms, "reason": reason, "refunded_cents": handed_back},
    }
    conn.execute(
        "UPDATE box_office_sales SET status = 'voided', receipt = ? WHERE sale_id = ?",
        (json.dumps(receipt, separators=(",", ":")), sale_id),
    )
    conn.execute(
        "UPDATE box_office_sessions SET cash_out_cents = cash_out_cents + ?, voids = voids + 1"
        " WHERE session_id = ?",
        (cash_out, session_id),
    )
    conn.executemany(
        "INSERT INTO revocations(ticket_id, kind, at_ms, source) VALUES (?, ?, ?, 'box_office')"
        " ON CONFLICT(ticket_id) DO UPDATE SET kind = excluded.kind",
        [(r[0], RevocationKind.REFUNDED.value, ctx.now_ms) for r in rows],
    )
    return receipt, [r[0] for r in rows]


def mark_printed(conn: sqlite3.Connection, sale_id: str) -> None:
    found = t.sale_record(conn, sale_id)
    if found is None:
        return
    receipt = found[2]
    receipt["delivery"] = {**receipt["delivery"], "printed": True}
    conn.execute(
        "UPDATE box_office_sales SET receipt = ? WHERE sale_id = ?",
        (json.dumps(receipt, separators=(",", ":")), sale_id),
    )


# ---------------------------------------------------------------------- sessions


def open_session(
    conn: sqlite3.Connection,
    ctx: Context,
    *,
    session_id: str,
    entry_id: str,
    device_id: str,
    operator: str,
    float_cents: int,
) -> dict[str, Any]:
    if t.open_session_of(conn, device_id) is not None:
        raise BoxOfficeError(SaleCode.SESSION_OPEN, "this device already has an open session")
    conn.execute(
        "INSERT INTO box_office_sessions(session_id, device_id, operator, float_cents,"
        " opened_at_ms) VALUES (?, ?, ?, ?, ?)",
        (session_id, device_id, operator, float_cents, ctx.now_ms),
    )
    t.append_sales_row(
        conn,
        ctx.agent_id,
        {
            "entry_id": entry_id,
            "at_ms": ctx.now_ms,
            "kind": "session_open",
            "event_id": ctx.event_id,
            "session_id": session_id,
            "device_id": device_id,
            "operator": operator,
            "amount_cents": float_cents,
            "currency": ctx.currency,
        },
    )
    found = t.session(conn, session_id)
    assert found is not None
    return found


def close_session(
    conn: sqlite3.Connection, ctx: Context, *, entry_id: str, device_id: str, counted_cents: int
) -> tuple[dict[str, Any], int]:
    """Close this device's session; returns (session row, expected cash)."""
    current = t.open_session_of(conn, device_id)
    if current is None:
        raise BoxOfficeError(SaleCode.NO_SESSION, "this device has no open session")
    expected = expected_cash(
        current["float_cents"], current["cash_in_cents"], current["cash_out_cents"]
    )
    conn.execute(
        "UPDATE box_office_sessions SET closed_at_ms = ?, counted_cents = ? WHERE session_id = ?",
        (ctx.now_ms, counted_cents, current["session_id"]),
    )
    t.append_sales_row(
        conn,
        ctx.agent_id,
        {
            "entry_id": entry_id,
            "at_ms": ctx.now_ms,
            "kind": "session_close",
            "event_id": ctx.event_id,
            "session_id": current["session_id"],
            "device_id": device_id,
            "operator": current["operator"],
            "amount_cents": counted_cents,
            "currency": ctx.currency,
        },
    )
    closed = t.session(conn, current["session_id"])
    assert closed is not None
    return closed, expected


# ------------------------------------------------------------------------ leases


def record_lease(
    conn: sqlite3.Connection,
    ctx: Context,
    *,
    grant: LeaseGrant,
    lease_request_id: str,
    entry_id: str,
) -> bool:
    """Record a granted lease (once: a repeat of the same grant is a no-op → False);
    its request is answered."""
    t.drop_lease_request(conn, lease_request_id)
    if t.lease(conn, grant.lease_id) is not None:
        return False
    t.insert_lease(
        conn,
        lease_id=grant.lease_id,
        lease_request_id=lease_request_id,
        event_id=ctx.event_id,
        ticket_type=grant.ticket_type,
        count=grant.count,
        expires_at_ms=grant.expires_at_ms,
        now_ms=ctx.now_ms,
    )
    t.append_sales_row(
        conn,
        ctx.agent_id,
        {
            "entry_id": entry_id,
            "at_ms": ctx.now_ms,
            "kind": "lease_taken",
            "event_id": ctx.event_id,
            "lease_id": grant.lease_id,
            "ticket_type": grant.ticket_type,
            "count": grant.count,
            "expires_at_ms": grant.expires_at_ms,
        },
    )
    return True


def record_lease_return(
    conn: sqlite3.Connection, ctx: Context, *, lease_id: str, entry_id: str
) -> int:
    """Stop selling on a lease and record its unused seats (the platform is told after
    the commit; a repeat returns the recorded count without a new row)."""
    found = t.lease(conn, lease_id)
    if found is None:
        raise BoxOfficeError(SaleCode.UNKNOWN_LEASE, f"no lease {lease_id} on this agent")
    seats, returned = found
    if returned is not None:
        return returned
    unused = seats.left
    t.mark_lease_returned(conn, lease_id, unused, ctx.now_ms)
    t.append_sales_row(
        conn,
        ctx.agent_id,
        {
            "entry_id": entry_id,
            "at_ms": ctx.now_ms,
            "kind": "lease_returned",
            "event_id": ctx.event_id,
            "lease_id": lease_id,
            "ticket_type": seats.ticket_type,
            "count": unused,
        },
    )
    return unused
