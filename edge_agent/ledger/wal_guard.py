"""Telling a deleted write-ahead log from a clean stop, before SQLite opens the ledger.

Why: committed rows live in ``ledger.sqlite3-wal`` until a checkpoint copies them into
the main file. If the WAL is deleted after a crash (by hand, a "cleanup" script, a
restore that copied only the main file), SQLite opens the main file as if nothing were
missing: the newest scans — verdicts people were shown — are silently gone, and the
chain still verifies (it is only shorter). Nothing may silently rebuild the ledger, so
the writer keeps a marker in the main file: ``meta.open_state`` is ``open`` from the
moment it opens (written and checkpointed into the main file at once) until a clean
close writes ``closed`` and folds the WAL in. At the next start a main file that says
``open`` with no WAL beside it lost its WAL: the agent refuses to start and says so.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge_agent.errors import LedgerCorrupt

OPEN, CLOSED = "open", "closed"


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def marker_in_main_file(path: Path) -> str | None:
    """``meta.open_state`` as the main file alone holds it (``immutable=1``: SQLite reads
    the file as it is, ignoring and never creating a WAL); ``None`` when absent
    (a ledger written before this marker existed, or not a ledger)."""
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'open_state'").fetchone()
    except sqlite3.Error:
        return None  # damaged or not a ledger: the integrity check says which
    finally:
        conn.close()
    return None if row is None else str(row[0])


def check_wal_not_lost(path: Path) -> None:
    """Raise ``LedgerCorrupt`` when the ledger was left open (a crash) and its WAL is gone."""
    if not path.exists() or wal_path(path).exists():
        return
    if marker_in_main_file(path) == OPEN:
        raise LedgerCorrupt(
            f"ledger {path}: its write-ahead log ({wal_path(path).name}) is missing, but the "
            "agent did not stop cleanly — the newest scans were in that file and are lost "
            "with it. The agent will not start on this ledger (that would hide the loss). "
            f"Put {wal_path(path).name} back if you have it (e.g. from the backup or the "
            "disk it was moved to); otherwise keep these files for investigation, move "
            "the data dir aside and start with a new one."
        )


def mark(conn: sqlite3.Connection, state: str) -> None:
    """On the write connection (autocommit): record ``state`` and get it into the main
    file (a checkpoint), so the marker does not itself live only in the WAL."""
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('open_state', ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (state,),
    )
    conn.execute("PRAGMA wal_checkpoint(FULL)")


def mark_copy_closed(path: Path) -> None:
    """A copy made with SQLite's backup API from a running agent holds ``open``; it is a
    complete, self-contained file, so it is marked ``closed`` before it is hashed."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'open_state'", (CLOSED,))
    finally:
        conn.close()
