"""Migration 2: what platform sync needs (the manifest's tickets, sync state, cursors).

Never edited once shipped: see ``ledger/schema.py``.
"""

from __future__ import annotations

import sqlite3

#: The secondary indexes of ``manifest_tickets`` (migration 2; never change a shipped
#: one — add a migration). A first manifest load drops them and builds them once at the
#: end (``sync_tables``): a million random-key index inserts take minutes, one sorted
#: build seconds.
MANIFEST_TICKET_INDEXES: dict[str, str] = {
    "manifest_tickets_order": (
        "CREATE INDEX IF NOT EXISTS manifest_tickets_order ON manifest_tickets(order_id)"
    ),
    "manifest_tickets_email": (
        "CREATE INDEX IF NOT EXISTS manifest_tickets_email"
        " ON manifest_tickets(holder_email COLLATE NOCASE)"
    ),
    "manifest_tickets_name": (
        "CREATE INDEX IF NOT EXISTS manifest_tickets_name"
        " ON manifest_tickets(holder_name COLLATE NOCASE)"
    ),
}


def v2_sync(conn: sqlite3.Connection) -> None:
    """What platform sync needs: the manifest's tickets and the sync state.

    ``manifest_tickets`` holds every ticket of the event as the platform last sent it
    (holder details for the box office's lookup, the plain code's hash); the gate itself
    reads ``plain_codes`` and ``revocations``. Indexes serve lookups by order, holder
    e-mail and holder name (case-insensitive, prefix ranges work on them).
    """
    conn.execute(
        """CREATE TABLE manifest_tickets (
            ticket_id         TEXT PRIMARY KEY,
            event_id          INTEGER NOT NULL,
            ticket_type       INTEGER NOT NULL,
            order_id          TEXT NOT NULL DEFAULT '',
            holder_name       TEXT NOT NULL DEFAULT '',
            holder_email      TEXT NOT NULL DEFAULT '',
            plain_code_sha256 TEXT,
            valid_from        INTEGER NOT NULL DEFAULT 0,
            valid_until       INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID"""
    )
    for sql in MANIFEST_TICKET_INDEXES.values():
        conn.execute(sql)
    # One row (id = 1): where the manifest download stands and what it last said.
    conn.execute(
        """CREATE TABLE sync_state (
            id                   INTEGER PRIMARY KEY CHECK (id = 1),
            event_id             INTEGER,
            manifest_cursor      TEXT NOT NULL DEFAULT '',
            manifest_at_ms       INTEGER,
            event_status         TEXT NOT NULL DEFAULT '',
            event_name           TEXT NOT NULL DEFAULT '',
            event_venue          TEXT NOT NULL DEFAULT '',
            event_postponed_to   TEXT,
            keyring_json         TEXT,
            bulk_load            INTEGER NOT NULL DEFAULT 0,
            clock_offset_ms      INTEGER,
            clock_rtt_ms         INTEGER,
            clock_measured_at_ms INTEGER,
            last_success_ms      INTEGER,
            last_error           TEXT,
            last_error_ms        INTEGER
        )"""
    )
    conn.execute("INSERT INTO sync_state(id) VALUES (1)")
    # Per upload stream ("scans", later "sales"): every row up to this seq is on the
    # platform (its stored_through_seq answer, never our own guess).
    conn.execute(
        """CREATE TABLE upload_cursors (
            stream               TEXT PRIMARY KEY,
            uploaded_through_seq INTEGER NOT NULL
        )"""
    )
