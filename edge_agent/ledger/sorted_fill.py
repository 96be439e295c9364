"""The end of a first manifest load: ``plain_codes`` and ``manifest_lookup`` filled in key
order, in parts, between scans.

Why in parts: one ``INSERT … SELECT … ORDER BY`` of a million codes (and one ``CREATE
INDEX`` per lookup) held the single writer for seconds, and every gate's scan waited
behind it (issue 17). Why in key order: random-key inserts into a million-row B-tree
cost minutes (``sync_tables.apply_manifest_page``).

So the sorting happens off the writer: a thread with its own connection copies the rows
in key order into a scratch file beside the ledger (``<ledger>-fill``: no journal, no
fsync — it is rebuilt if lost), reading the ledger read-only, so it holds no lock the
writer needs. The writer then attaches the scratch file (between transactions) and
appends the sorted rows a part at a time with ``INSERT … SELECT`` — SQLite's C from file
to file, no Python row in between — each part a transaction of its own that queued scans
go before (``LedgerWriter.execute(..., alone=True)``), and detaches and deletes it.
Before that, what an earlier fill left (a load resumed after a crash) is cleared, also in
parts: codes whose ticket now has another code, and the whole lookup table (its triggers
are off until the fill is done).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from edge_agent.ledger.migrations.manifest_lookup import LOOKUP_ROWS

#: Rows per part: a few milliseconds of writing on the dev VM.
PART_ROWS = 1000


@dataclass(frozen=True)
class SortedFill:
    """A scratch table's rows (``select`` over the ledger, attached as ``src``, in key
    order) and how a part of them goes into the ledger (``insert``, reading the scratch
    file attached as ``fill``; ?1 and ?2 bound the part's positions)."""

    table: str
    select: str
    insert: str


PLAIN_CODES = SortedFill(
    "codes",
    "SELECT plain_code_sha256, event_id, ticket_id, ticket_type, valid_from, valid_until"
    " FROM src.manifest_tickets WHERE plain_code_sha256 IS NOT NULL"
    " ORDER BY plain_code_sha256",
    "INSERT INTO main.plain_codes(code_sha256, event_id, ticket_id, ticket_type, valid_from,"
    " valid_until) SELECT plain_code_sha256, event_id, ticket_id, ticket_type, valid_from,"
    " valid_until FROM fill.codes WHERE rowid > ?1 AND rowid <= ?2 ORDER BY rowid"
    " ON CONFLICT(code_sha256) DO UPDATE SET event_id = excluded.event_id,"
    " ticket_id = excluded.ticket_id, ticket_type = excluded.ticket_type,"
    " valid_from = excluded.valid_from, valid_until = excluded.valid_until",
)

LOOKUP = SortedFill(
    "lookup",
    LOOKUP_ROWS.replace("FROM manifest_tickets", "FROM src.manifest_tickets"),
    "INSERT OR IGNORE INTO main.manifest_lookup(kind, key, ticket_id) SELECT kind, key,"
    " ticket_id FROM fill.lookup WHERE rowid > ?1 AND rowid <= ?2 ORDER BY rowid",
)

FILLS = (PLAIN_CODES, LOOKUP)


def scratch_path(ledger: Path) -> Path:
    return ledger.with_name(ledger.name + "-fill")


def remove_scratch(ledger: Path) -> None:
    for suffix in ("", "-journal"):
        Path(f"{scratch_path(ledger)}{suffix}").unlink(missing_ok=True)


def build_scratch(ledger: Path) -> dict[str, int]:
    """In a thread of its own: every fill's rows, sorted, into a new scratch file;
    returns each table's row count."""
    remove_scratch(ledger)
    conn = sqlite3.connect(scratch_path(ledger).resolve().as_uri(), uri=True,
                           isolation_level=None)  # fmt: skip
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA temp_store=FILE")  # a million rows' sort stays out of memory
        conn.execute("ATTACH DATABASE ? AS src", (ledger.resolve().as_uri() + "?mode=ro",))
        counts: dict[str, int] = {}
        for fill in FILLS:
            conn.execute(f"CREATE TABLE {fill.table} AS {fill.select}")
            counts[fill.table] = int(conn.execute(f"SELECT max(rowid) FROM {fill.table}")  # noqa: S608
                                     .fetchone()[0] or 0)  # fmt: skip
        return counts
    finally:
        conn.close()


def attach_scratch(conn: sqlite3.Connection, ledger: Path) -> None:
    """A writer op run between transactions (``execute(..., outside=True)``)."""
    conn.execute("ATTACH DATABASE ? AS fill", (str(scratch_path(ledger)),))


def detach_scratch(conn: sqlite3.Connection) -> None:
    """A writer op run between transactions; a no-op when nothing is attached."""
    if any(row[1] == "fill" for row in conn.execute("PRAGMA database_list")):
        conn.execute("DETACH DATABASE fill")


def insert_part(
    conn: sqlite3.Connection, fill: SortedFill, after: int, rows: int = PART_ROWS
) -> None:
    """A writer op: the sorted rows at positions ``after+1 .. after+rows``."""
    conn.execute(fill.insert, (after, after + rows))


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


def clear_lookup_part(conn: sqlite3.Connection, rows: int = PART_ROWS) -> bool:
    """A writer op: delete up to ``rows`` lookup rows; False once the table is empty."""
    cur = conn.execute(
        "DELETE FROM manifest_lookup WHERE (kind, key, ticket_id) IN"
        " (SELECT kind, key, ticket_id FROM manifest_lookup LIMIT ?)",
        (rows,),
    )
    return cur.rowcount > 0
