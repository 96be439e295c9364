"""What every box-office ledger write shares: its ``Context`` and the ``sales`` row.

Each write (``sale_writes``, ``void_writes``, ``session_writes``, ``lease_writes``) is a
function for ``LedgerWriter.execute``: it runs in the single writer's transaction, reads
the state it decides on there and appends one chained ``sales`` row together with the
state tables, so two actions racing (e.g. for the last seats) are decided one after the
other on committed state, and the answer exists only once the commit is durable. A
refusal raises ``BoxOfficeError`` and the writer rolls back that function's changes
alone.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from edge_agent.ledger import box_office_tables as t


@dataclass(frozen=True, slots=True)
class Context:
    """Who writes, for which event, in which currency, at what time; ``margin_ms``: how
    long before its expiry a lease stops selling."""

    agent_id: str
    event_id: int
    currency: str
    now_ms: int
    margin_ms: int


def append_row(
    conn: sqlite3.Connection, ctx: Context, *, entry_id: str, kind: str, **fields: Any
) -> None:
    """Append the chained ``sales`` row of one action (``kind``) now, for this event."""
    t.append_sales_row(
        conn,
        ctx.agent_id,
        {
            "entry_id": entry_id,
            "at_ms": ctx.now_ms,
            "kind": kind,
            "event_id": ctx.event_id,
            **fields,
        },
    )
