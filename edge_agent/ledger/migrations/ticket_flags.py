"""Migration 7: ticket flags and staff notes from the manifest (gate rules, issue 16).

Never edited once shipped: see ``ledger/schema.py``.
"""

from __future__ import annotations

import sqlite3


def v7_ticket_flags(conn: sqlite3.Connection) -> None:
    """``flags`` (comma-separated: attention, id_check, age_18, accessibility) and
    ``note`` (free text for staff) on ticket types and on single tickets, "" when none.

    A partial index keeps the few flagged tickets findable at start-up without reading
    a million unflagged rows (the gate holds the flagged ones in memory).
    """
    for table in ("ticket_types", "manifest_tickets"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN flags TEXT NOT NULL DEFAULT ''")
        conn.execute(f"ALTER TABLE {table} ADD COLUMN note TEXT NOT NULL DEFAULT ''")
    conn.execute(
        "CREATE INDEX manifest_tickets_flagged ON manifest_tickets(ticket_id)"
        " WHERE flags != '' OR note != ''"
    )
