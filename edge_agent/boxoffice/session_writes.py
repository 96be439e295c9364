"""The ledger writes of a till (session): opening it with a float, closing it counted.

A device has at most one open session (checked in the writer's transaction, so two
opens racing cannot both win); sales and voids add to its cash in and out, and closing
answers the cash it should hold (``domain.sale.expected_cash``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from edge_agent.boxoffice.write_context import Context, append_row
from edge_agent.domain.sale import expected_cash
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.errors import BoxOfficeError
from edge_agent.ledger import box_office_tables as t


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
    """Open this device's session; returns its row."""
    if t.open_session_of(conn, device_id) is not None:
        raise BoxOfficeError(SaleCode.SESSION_OPEN, "this device already has an open session")
    conn.execute(
        "INSERT INTO box_office_sessions(session_id, device_id, operator, float_cents,"
        " opened_at_ms) VALUES (?, ?, ?, ?, ?)",
        (session_id, device_id, operator, float_cents, ctx.now_ms),
    )
    append_row(
        conn,
        ctx,
        entry_id=entry_id,
        kind="session_open",
        session_id=session_id,
        device_id=device_id,
        operator=operator,
        amount_cents=float_cents,
        currency=ctx.currency,
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
    append_row(
        conn,
        ctx,
        entry_id=entry_id,
        kind="session_close",
        session_id=current["session_id"],
        device_id=device_id,
        operator=current["operator"],
        amount_cents=counted_cents,
        currency=ctx.currency,
    )
    closed = t.session(conn, current["session_id"])
    assert closed is not None
    return closed, expected
