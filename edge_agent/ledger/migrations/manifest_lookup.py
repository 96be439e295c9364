"""Migration 11: the box office's ticket lookups as a table filled in parts, not indexes.

Never edited once shipped: see ``ledger/schema.py``.
"""

from __future__ import annotations

import sqlite3

#: What ``manifest_lookup`` is kept in step by (dropped while a first manifest loads,
#: made again once it is filled: ``ledger/manifest_lookup_fill.py``). ``kind`` is
#: ``o`` (order id), ``e`` (holder e-mail) or ``n`` (holder name); empty values are left
#: out, as a lookup never asks for them.
LOOKUP_TRIGGERS: dict[str, str] = {
    "manifest_lookup_insert": """CREATE TRIGGER IF NOT EXISTS manifest_lookup_insert
        AFTER INSERT ON manifest_tickets BEGIN
            INSERT OR IGNORE INTO manifest_lookup(kind, key, ticket_id)
                SELECT k, v, NEW.ticket_id FROM (SELECT 'o' AS k, NEW.order_id AS v
                UNION ALL SELECT 'e', NEW.holder_email UNION ALL SELECT 'n', NEW.holder_name)
                WHERE v <> '';
        END""",
    "manifest_lookup_update": """CREATE TRIGGER IF NOT EXISTS manifest_lookup_update
        AFTER UPDATE OF ticket_id, order_id, holder_email, holder_name ON manifest_tickets
        BEGIN
            DELETE FROM manifest_lookup WHERE ticket_id = OLD.ticket_id;
            INSERT OR IGNORE INTO manifest_lookup(kind, key, ticket_id)
                SELECT k, v, NEW.ticket_id FROM (SELECT 'o' AS k, NEW.order_id AS v
                UNION ALL SELECT 'e', NEW.holder_email UNION ALL SELECT 'n', NEW.holder_name)
                WHERE v <> '';
        END""",
    "manifest_lookup_delete": """CREATE TRIGGER IF NOT EXISTS manifest_lookup_delete
        AFTER DELETE ON manifest_tickets BEGIN
            DELETE FROM manifest_lookup WHERE ticket_id = OLD.ticket_id;
        END""",
}

#: The lookup rows of every ticket, in the table's key order (a sorted fill appends).
LOOKUP_ROWS = (
    "SELECT 'e' AS kind, holder_email AS key, ticket_id FROM manifest_tickets"
    " WHERE holder_email <> ''"
    " UNION ALL SELECT 'n', holder_name, ticket_id FROM manifest_tickets WHERE holder_name <> ''"
    " UNION ALL SELECT 'o', order_id, ticket_id FROM manifest_tickets WHERE order_id <> ''"
    " ORDER BY 1, 2 COLLATE NOCASE, 3"
)


def v11_manifest_lookup(conn: sqlite3.Connection) -> None:
    """``manifest_lookup(kind, key COLLATE NOCASE, ticket_id)`` replaces migration 2's
    three indexes on ``manifest_tickets``.

    Why: after a first load of a million tickets each index was built by one ``CREATE
    INDEX`` that held the single writer 0.6–1 s while every gate's scan waited (issue
    17). A table can be filled in sorted parts between scans; triggers keep it in step
    afterwards, as the indexes were. Lookups join it to ``manifest_tickets``.
    """
    conn.execute(
        """CREATE TABLE manifest_lookup (
            kind      TEXT NOT NULL,
            key       TEXT NOT NULL COLLATE NOCASE,
            ticket_id TEXT NOT NULL,
            PRIMARY KEY (kind, key, ticket_id)
        ) WITHOUT ROWID"""
    )
    conn.execute(f"INSERT INTO manifest_lookup(kind, key, ticket_id) {LOOKUP_ROWS}")
    for name in ("manifest_tickets_order", "manifest_tickets_email", "manifest_tickets_name"):
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    for sql in LOOKUP_TRIGGERS.values():
        conn.execute(sql)
