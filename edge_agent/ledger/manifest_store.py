"""Writes of the event manifest (ticket types, plain codes, revocations).

Each function takes the writer's connection and is meant to be passed to
``LedgerWriter.execute``, e.g. ``await writer.execute(lambda c: upsert_plain_codes(c,
rows))``, so it runs inside a group-commit transaction under its own SAVEPOINT: a bad
manifest fails on its own and never takes scans down with it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from edge_agent.ledger.rows import (
    ManifestTicketRow,
    PlainCodeRow,
    RevocationRow,
    TicketTypeRow,
)


def upsert_ticket_types(conn: sqlite3.Connection, rows: Iterable[TicketTypeRow]) -> int:
    """Insert or rename ticket types (with their flags and note); returns how many rows
    were given."""
    cursor = conn.executemany(
        "INSERT INTO ticket_types(event_id, ticket_type, name, flags, note) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(event_id, ticket_type) DO UPDATE SET name = excluded.name,"
        " flags = excluded.flags, note = excluded.note",
        ((r.event_id, r.ticket_type, r.name, r.flags, r.note) for r in rows),
    )
    return max(cursor.rowcount, 0)


def upsert_ticket_flags(conn: sqlite3.Connection, rows: Iterable[ManifestTicketRow]) -> int:
    """A manifest file's single tickets: holder name, flags and note (``docs/manifest-file.md``).
    A ticket the platform already sent keeps its other fields."""
    cursor = conn.executemany(
        "INSERT INTO manifest_tickets(ticket_id, event_id, ticket_type, order_id, holder_name,"
        " holder_email, valid_from, valid_until, flags, note)"
        " VALUES (?, ?, ?, '', ?, '', 0, 0, ?, ?)"
        " ON CONFLICT(ticket_id) DO UPDATE SET holder_name = excluded.holder_name,"
        " flags = excluded.flags, note = excluded.note",
        ((r.ticket_id, r.event_id, r.ticket_type, r.holder_name, r.flags, r.note) for r in rows),
    )
    return max(cursor.rowcount, 0)


def upsert_plain_codes(conn: sqlite3.Connection, rows: Iterable[PlainCodeRow]) -> int:
    """Insert or replace plain (manifest) codes keyed by the code's SHA-256."""
    cursor = conn.executemany(
        "INSERT INTO plain_codes(code_sha256, event_id, ticket_id, ticket_type, valid_from,"
        " valid_until) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(code_sha256) DO UPDATE SET event_id = excluded.event_id,"
        " ticket_id = excluded.ticket_id, ticket_type = excluded.ticket_type,"
        " valid_from = excluded.valid_from, valid_until = excluded.valid_until",
        (
            (r.code_sha256, r.event_id, r.ticket_id, r.ticket_type, r.valid_from, r.valid_until)
            for r in rows
        ),
    )
    return max(cursor.rowcount, 0)


def add_revocations(conn: sqlite3.Connection, rows: Iterable[RevocationRow]) -> int:
    """Record revocations. A ticket revoked again keeps its first time and source but
    takes the newer kind (e.g. ``refunded`` after ``suspended``)."""
    cursor = conn.executemany(
        "INSERT INTO revocations(ticket_id, kind, at_ms, source) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(ticket_id) DO UPDATE SET kind = excluded.kind",
        ((r.ticket_id, r.kind, r.at_ms, r.source) for r in rows),
    )
    return max(cursor.rowcount, 0)
