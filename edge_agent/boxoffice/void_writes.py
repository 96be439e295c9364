"""The ledger write of a void (``record_void``): a door sale undone while its till is open.

Its seats go back to their leases, its tickets are revoked (``refunded``) in the ledger
in the same transaction as the chained ``void`` row, and the till's cash out grows by
what was handed back; after the till closes a refund is the platform's business.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any

from edge_agent.boxoffice.write_context import Context, append_row
from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.errors import BoxOfficeError
from edge_agent.ledger import box_office_tables as t
from edge_agent.ledger.sale_records import tickets_text


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
    append_row(
        conn,
        ctx,
        entry_id=entry_id,
        kind="void",
        session_id=session_id,
        device_id=device_id,
        operator=receipt["operator"],
        sale_id=sale_id,
        order_id=receipt["order_id"],
        count=len(rows),
        amount_cents=handed_back,
        currency=receipt["currency"],
        method=method,
        reason=reason,
        tickets=tickets_text(
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
