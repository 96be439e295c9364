"""The end of a first manifest load: ``plain_codes`` filled in code order, in parts.

Why in parts: one ``INSERT … SELECT … ORDER BY`` of a million codes held the single
writer for 2–3 s, and every gate's scan waited behind it. Why in code order: random-key
inserts into a million-row B-tree cost minutes (``sync_tables.apply_manifest_page``).

So the sort runs on a *read* connection into its own TEMP table (it holds no write lock
and, in SQLite, releases the GIL), and the writer then appends the sorted rows a part at
a time, each part a transaction of its own that queued scans go before
(``LedgerWriter.execute(..., alone=True)``). Before that, codes of these tickets left by
an earlier fill (a load resumed after a crash) whose ticket now has another code are
deleted, also in parts; the fill then re-inserts every current code (an upsert).
"""

from __future__ import annotations

import sqlite3
from typing import Any

#: Rows per part: a few milliseconds of writing on the dev VM.
PART_ROWS = 2000

_SORTED = "gatehouse_fill_codes"
_COLUMNS = "plain_code_sha256, event_id, ticket_id, ticket_type, valid_from, valid_until"


def sort_codes(read_conn: sqlite3.Connection) -> int:
    """On a read connection: every plain code of ``manifest_tickets`` into a TEMP table
    in code order; returns how many. ``query_only`` is lifted for the TEMP database only
    (the connection's main database is opened ``mode=ro`` and stays so)."""
    read_conn.execute("PRAGMA query_only=OFF")
    try:
        read_conn.execute("PRAGMA temp_store=FILE")  # a million rows stay out of memory
        read_conn.execute(f"DROP TABLE IF EXISTS temp.{_SORTED}")
        read_conn.execute(
            f"CREATE TEMP TABLE {_SORTED} AS SELECT {_COLUMNS} FROM main.manifest_tickets"  # noqa: S608
            " WHERE plain_code_sha256 IS NOT NULL ORDER BY plain_code_sha256"
        )
    finally:
        read_conn.execute("PRAGMA query_only=ON")
    return int(read_conn.execute(f"SELECT count(*) FROM temp.{_SORTED}").fetchone()[0])  # noqa: S608


def sorted_part(read_conn: sqlite3.Connection, after: int, rows: int = PART_ROWS) -> list[Any]:
    """The next ``rows`` sorted codes after position ``after`` (the TEMP table's rowid
    is the position: it was filled in code order)."""
    return read_conn.execute(
        f"SELECT rowid, {_COLUMNS} FROM temp.{_SORTED} WHERE rowid > ? ORDER BY rowid LIMIT ?",  # noqa: S608
        (after, rows),
    ).fetchall()


def drop_sorted(read_conn: sqlite3.Connection) -> None:
    read_conn.execute("PRAGMA query_only=OFF")
    try:
        read_conn.execute(f"DROP TABLE IF EXISTS temp.{_SORTED}")
    finally:
        read_conn.execute("PRAGMA query_only=ON")


def insert_codes(conn: sqlite3.Connection, part: list[Any]) -> None:
    """A writer op: append one sorted part (``sorted_part``'s rows)."""
    conn.executemany(
        "INSERT INTO plain_codes(code_sha256, event_id, ticket_id, ticket_type, valid_from,"
        " valid_until) VALUES (?2, ?3, ?4, ?5, ?6, ?7)"
        " ON CONFLICT(code_sha256) DO UPDATE SET event_id = excluded.event_id,"
        " ticket_id = excluded.ticket_id, ticket_type = excluded.ticket_type,"
        " valid_from = excluded.valid_from, valid_until = excluded.valid_until",
        part,  # ?1 (the position) is not used
    )


def delete_stale_part(conn: sqlite3.Connection, after: str, rows: int = PART_ROWS) -> str | None:
    """A writer op: of the next ``rows`` stored codes after ``after``, delete those whose
    ticket is in ``manifest_tickets`` with another code (or none). Returns the last code
    looked at, ``None`` when there are no more."""
    codes = conn.execute(
        "SELECT code_sha256, ticket_id FROM plain_codes WHERE code_sha256 > ?"
        " ORDER BY code_sha256 LIMIT ?",
        (after, rows),
    ).fetchall()
    if not codes:
        return None
    conn.executemany(
        "DELETE FROM plain_codes WHERE code_sha256 = ?1 AND EXISTS (SELECT 1 FROM"
        " manifest_tickets WHERE ticket_id = ?2 AND plain_code_sha256 IS NOT ?1)",
        codes,
    )
    last: str = codes[-1][0]
    return last
