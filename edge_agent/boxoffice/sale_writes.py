"""The ledger write of a door sale (``record_sale``) and of its printed flag.

A sale is decided in the writer's transaction (see ``write_context``): the repeat of a
``request_id`` answers the first receipt, the device's open session, the prices, the
payment and the lease seats are all read there, and the receipt is built from what was
committed, so it exists only once the sale does.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

from edge_agent.boxoffice.sale_request import SaleRequest
from edge_agent.boxoffice.write_context import Context, append_row
from edge_agent.domain.sale import (
    CashPayment,
    CompPayment,
    Delivery,
    Payment,
    PricedItem,
    Settlement,
    TerminalPayment,
    allocate,
    method_of,
    price_items,
    settle,
    total_of,
)
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.errors import BoxOfficeError
from edge_agent.ledger import box_office_tables as t
from edge_agent.ledger.sale_records import tickets_text


@dataclass(frozen=True, slots=True)
class SaleInput:
    """A checked sale request plus what the service made for it before the
    transaction: ids and the signed codes (one per ticket, in item order)."""

    request: SaleRequest
    device_id: str
    sale_id: str
    order_id: str
    entry_id: str
    #: (ticket_id hex, ticket_type, GH1 code) per ticket, in item order.
    codes: tuple[tuple[str, int, str], ...]


def record_sale(
    conn: sqlite3.Connection, ctx: Context, sale: SaleInput
) -> tuple[dict[str, Any], bool]:
    """Sell, or return the receipt of the earlier sale with this ``request_id``.
    Returns (receipt, created)."""
    request = sale.request
    earlier = t.sale_by_request(conn, request.request_id)
    if earlier is not None:
        sha, receipt = earlier
        if sha != request.request_sha256:
            raise BoxOfficeError(
                SaleCode.REQUEST_REUSED,
                "this request_id was already used for a different sale",
                sale_id=receipt["sale_id"],
            )
        return receipt, False
    session = t.open_session_of(conn, sale.device_id)
    if session is None:
        raise BoxOfficeError(SaleCode.NO_SESSION, "open a session on this device first")
    priced = price_items(request.items, t.priced_types(conn, ctx.event_id))
    settlement = settle(request.payment, total_of(priced))
    lease_ids = allocate(t.leases(conn, ctx.event_id), priced, ctx.now_ms, ctx.margin_ms)
    for lease_id, n in Counter(lease_ids).items():
        t.add_lease_sold(conn, lease_id, n)  # CHECK (sold <= count): the last guard
    tickets = _tickets(sale, priced, lease_ids)
    _append_sale_row(conn, ctx, sale, session, settlement, tickets)
    answer = _receipt(ctx, sale, session, priced, settlement, tickets)
    conn.execute(
        "INSERT INTO box_office_sales(sale_id, request_id, request_sha256, device_id,"
        " session_id, at_ms, status, receipt) VALUES (?, ?, ?, ?, ?, ?, 'completed', ?)",
        (
            sale.sale_id,
            request.request_id,
            request.request_sha256,
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


def _tickets(
    sale: SaleInput, priced: list[PricedItem], lease_ids: list[str]
) -> list[dict[str, Any]]:
    """One dict per ticket, in priced order, each with its code and the lease it uses."""
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
    return tickets


def _append_sale_row(
    conn: sqlite3.Connection,
    ctx: Context,
    sale: SaleInput,
    session: dict[str, Any],
    settlement: Settlement,
    tickets: list[dict[str, Any]],
) -> None:
    request = sale.request
    payment = request.payment
    card = payment if isinstance(payment, TerminalPayment) else None
    comp = payment if isinstance(payment, CompPayment) else None
    append_row(
        conn,
        ctx,
        entry_id=sale.entry_id,
        kind="sale",
        session_id=session["session_id"],
        device_id=sale.device_id,
        operator=session["operator"],
        sale_id=sale.sale_id,
        order_id=sale.order_id,
        count=len(tickets),
        amount_cents=settlement.total_cents,
        currency=ctx.currency,
        method=method_of(payment).value,
        tendered_cents=settlement.tendered_cents,
        change_cents=settlement.change_cents,
        card_brand=card.brand if card else None,
        card_last4=card.last4 if card else None,
        auth_ref=card.auth_ref if card else None,
        terminal_id=card.terminal_id if card else None,
        supervisor=comp.supervisor if comp else None,
        reason=comp.reason if comp else None,
        customer_name=request.customer_name,
        customer_email=request.customer_email,
        delivery=request.delivery.value,
        tickets=tickets_text(tickets),
    )


def _receipt(
    ctx: Context,
    sale: SaleInput,
    session: dict[str, Any],
    priced: list[PricedItem],
    settlement: Settlement,
    tickets: list[dict[str, Any]],
) -> dict[str, Any]:
    """The receipt the API answers (kept as JSON with the sale, QR codes added later)."""
    request = sale.request
    by_type = {p.ticket_type: p for p in priced}
    return {
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
        "payment": _payment_json(request.payment, settlement.change_cents),
        "customer": (
            None
            if request.customer_name is None and request.customer_email is None
            else {"name": request.customer_name, "email": request.customer_email}
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
            "kind": request.delivery.value,
            "printed": False,
            "email_queued": request.delivery is Delivery.EMAIL,
        },
        "void": None,
        "warnings": [],
    }


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


def mark_printed(conn: sqlite3.Connection, sale_id: str) -> None:
    """Note on the stored receipt that its tickets were printed (after the sale's commit:
    the printer is never driven inside the writer's transaction)."""
    found = t.sale_record(conn, sale_id)
    if found is None:
        return
    receipt = found[2]
    receipt["delivery"] = {**receipt["delivery"], "printed": True}
    conn.execute(
        "UPDATE box_office_sales SET receipt = ? WHERE sale_id = ?",
        (json.dumps(receipt, separators=(",", ":")), sale_id),
    )
