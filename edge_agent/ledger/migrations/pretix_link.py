"""Migration 6: what a pretix link keeps (``docs/pretix.md``, ``docs/ledger.md``).

Never edited once shipped: see ``ledger/schema.py``.
"""

from __future__ import annotations

import sqlite3


def v6_pretix_link(conn: sqlite3.Connection) -> None:
    """The pretix link's tables, and a date (subevent) for plain codes.

    * ``plain_codes.subevent``: the date of an event series a plain code is for (pretix's
      random secrets; 0 = none), so the gate's one look-up also says the date.
    * ``pretix_products``: pretix's products (item, variation) → the box's ticket type,
      numbered once and kept (the gate's rules and staff messages use the numbers).
    * ``pretix_state``: one row, the check-in list's rules as JSON (admitted types and
      dates, date names) and which pretix organizer, event and list they came from.
    * ``pretix_positions``: ticket → pretix order position (uploads go by position id,
      so the agent keeps no ticket's secret).
    * ``pretix_checkins``: check-ins pretix reports for a ticket (other devices' too):
      the gate's "remote" admission state.
    * ``pretix_conflicts``: rows pretix disagreed with, for the conflicts report.
    """
    conn.execute("ALTER TABLE plain_codes ADD COLUMN subevent INTEGER NOT NULL DEFAULT 0")
    conn.execute(
        """CREATE TABLE pretix_products (
            item        INTEGER NOT NULL,
            variation   INTEGER NOT NULL,
            ticket_type INTEGER NOT NULL UNIQUE,
            PRIMARY KEY (item, variation)
        ) WITHOUT ROWID"""
    )
    conn.execute(
        """CREATE TABLE pretix_state (
            id          INTEGER PRIMARY KEY CHECK (id = 1),
            rules_json  TEXT,
            link_json   TEXT
        )"""
    )
    conn.execute("INSERT INTO pretix_state(id) VALUES (1)")
    conn.execute(
        """CREATE TABLE pretix_positions (
            ticket_id   TEXT PRIMARY KEY,
            position_id INTEGER NOT NULL,
            order_code  TEXT NOT NULL
        ) WITHOUT ROWID"""
    )
    conn.execute(
        """CREATE TABLE pretix_checkins (
            ticket_id  TEXT PRIMARY KEY,
            inside     INTEGER NOT NULL,
            first_ms   INTEGER NOT NULL,
            first_gate TEXT NOT NULL,
            last_ms    INTEGER NOT NULL,
            last_gate  TEXT NOT NULL,
            entries    INTEGER NOT NULL
        ) WITHOUT ROWID"""
    )
    conn.execute(
        """CREATE TABLE pretix_conflicts (
            seq         INTEGER PRIMARY KEY,
            scan_id     TEXT NOT NULL,
            ticket_id   TEXT,
            at_ms       INTEGER NOT NULL,
            reason      TEXT NOT NULL,
            detail      TEXT NOT NULL,
            others      TEXT NOT NULL,
            noted_at_ms INTEGER NOT NULL
        )"""
    )
