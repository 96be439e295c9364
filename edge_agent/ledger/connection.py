"""Opening the ledger file: one write connection (owned by the writer thread) and any
number of read-only connections.

Every pragma that the durability promise depends on is set here and checked, so no
other module can open the ledger "a bit differently". SQLite's terse errors are turned
into ``LedgerError``s that tell a venue tech which file, what is wrong and what to do.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge_agent.errors import LedgerCorrupt, LedgerError, LedgerWriteFailed

#: How long a statement waits for a lock held by another connection before failing.
BUSY_TIMEOUT_MS = 5000

_CORRUPT_MARKERS = (
    "file is not a database",
    "database disk image is malformed",
    "malformed database schema",
)

_MOVE_ASIDE = (
    "keep this file for investigation, move it aside (with its -wal and -shm files), "
    "and start with a new data dir or restore a backup"
)


def is_corruption(exc: sqlite3.Error) -> bool:
    """True if SQLite says the file itself is damaged (not a lock, permission or disk issue)."""
    text = str(exc).lower()
    return any(marker in text for marker in _CORRUPT_MARKERS)


def ledger_error(path: Path, exc: sqlite3.Error, doing: str) -> LedgerError:
    """Map an ``sqlite3`` error while ``doing`` something with ``path`` to our error tree."""
    text = str(exc)
    low = text.lower()
    if "not a database" in low:
        return LedgerCorrupt(
            f"ledger {path} is not an SQLite database ({text}): it is damaged or is some "
            f"other file; {_MOVE_ASIDE}"
        )
    if is_corruption(exc):
        return LedgerCorrupt(
            f"ledger {path} is damaged ({text}), e.g. truncated or partly overwritten, found "
            f"while {doing}; {_MOVE_ASIDE}"
        )
    if "disk is full" in low or "disk i/o error" in low:
        return LedgerWriteFailed(
            f"ledger {path}: {text} while {doing}; free space on (or replace) the disk "
            f"holding {path.parent} — nothing of this write was kept"
        )
    if "unable to open database file" in low:
        return LedgerError(
            f"cannot open ledger {path} ({text}); check that {path.parent} exists and is "
            "readable and writable by the user running edge-agent"
        )
    if "readonly" in low or "read-only" in low:
        return LedgerError(
            f"ledger {path} is read-only ({text}); check file permissions and that the "
            "disk is not mounted read-only"
        )
    if "locked" in low or "busy" in low:
        return LedgerError(
            f"ledger {path} is locked by another process ({text}) while {doing}; make sure "
            "only one edge-agent uses this data dir"
        )
    return LedgerError(f"ledger {path}: {text} while {doing}")


def open_write_connection(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the ledger for the single writer.

    WAL + ``synchronous=FULL``: a COMMIT returns only after the WAL is fsynced, which is
    what lets the gate show green. ``isolation_level=None`` because the writer issues
    ``BEGIN IMMEDIATE`` / ``COMMIT`` itself; ``check_same_thread=False`` because the
    connection is created by, and then only used from, the writer's own thread.
    """
    try:
        conn = sqlite3.connect(
            str(path),
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
    except sqlite3.Error as exc:
        raise ledger_error(path, exc, "opening it for writing") from None
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise LedgerError(
                f"ledger {path}: cannot switch to WAL journal mode (got {mode!r}); the "
                "data dir must be on a local disk (not a network share)"
            )
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Reading the schema forces SQLite to parse the header and catalogue now, so a
        # damaged file fails here with a clear message rather than on the first scan.
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        raise ledger_error(path, exc, "opening it for writing") from None
    except LedgerError:
        conn.close()
        raise
    return conn


def open_read_connection(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """Open the ledger read-only (``mode=ro`` URI and ``PRAGMA query_only``).

    Readers never block the writer in WAL mode and can never change the evidence, even
    by accident. A missing file is an error here (read-only never creates one).
    """
    if not path.exists():
        raise LedgerError(f"no ledger file at {path}; it is created when edge-agent first starts")
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(
            uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=check_same_thread
        )
    except sqlite3.Error as exc:
        raise ledger_error(path, exc, "opening it for reading") from None
    try:
        conn.execute("PRAGMA query_only=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        raise ledger_error(path, exc, "opening it for reading") from None
    return conn
