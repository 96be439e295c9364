"""Read-side queries, each on a connection from ``open_read_connection``.

Reads never go through the writer: in WAL mode they see the last committed state
without blocking it. Functions return plain tuples or the frozen rows of ``rows.py``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from edge_agent.ledger.records import SCAN_FIELDS, ScanRow, StoredScan
from edge_agent.ledger.rows import DeviceRow, PlainCodeRow

_DEVICE_COLUMNS = "device_id, coalesce(name, ''), role, token_sha256, created_at_ms, revoked_at_ms"
# Column names come from the SCAN_FIELDS constant, never from input.
_SCAN_COLUMNS = ", ".join(SCAN_FIELDS)


def admission_history(
    conn: sqlite3.Connection,
) -> Iterator[tuple[int, str, str, str, int, str, str, str | None]]:
    """(seq, ticket_id, outcome, direction, at_ms, gate, reason, ext) of every admit and
    exit, in seq order (``ext``: the row's extension text, or ``None``).

    Streamed (not a list) so rebuilding the admission index at start-up stays fast and
    small for a ledger with millions of rows.
    """
    cursor = conn.execute(
        "SELECT seq, ticket_id, outcome, direction, at_ms, gate, reason, ext FROM scans"
        " WHERE outcome IN ('admit', 'exit') AND ticket_id IS NOT NULL ORDER BY seq"
    )
    return iter(cursor)


def lookup_plain_code(conn: sqlite3.Connection, code_sha256: str) -> PlainCodeRow | None:
    row = conn.execute(
        "SELECT code_sha256, event_id, ticket_id, ticket_type, valid_from, valid_until,"
        " subevent FROM plain_codes WHERE code_sha256 = ?",
        (code_sha256,),
    ).fetchone()
    return None if row is None else PlainCodeRow(*row)


def all_revocations(conn: sqlite3.Connection) -> dict[str, str]:
    """ticket_id -> revocation kind, for the in-memory state at start-up."""
    return dict(conn.execute("SELECT ticket_id, kind FROM revocations"))


def ticket_type_names(conn: sqlite3.Connection, event_id: int) -> dict[int, str]:
    return dict(
        conn.execute("SELECT ticket_type, name FROM ticket_types WHERE event_id = ?", (event_id,))
    )


def device_by_token_hash(conn: sqlite3.Connection, token_sha256: str) -> DeviceRow | None:
    """The device (revoked or not) holding this token hash; callers check ``revoked_at_ms``."""
    row = conn.execute(
        f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE token_sha256 = ?",  # noqa: S608
        (token_sha256,),
    ).fetchone()
    return None if row is None else DeviceRow(*row)


def list_devices(conn: sqlite3.Connection) -> list[DeviceRow]:
    """Every paired device, revoked ones included, oldest first."""
    rows = conn.execute(
        f"SELECT {_DEVICE_COLUMNS} FROM devices ORDER BY created_at_ms, device_id"  # noqa: S608
    )
    return [DeviceRow(*row) for row in rows]


def scans_for_ticket(conn: sqlite3.Connection, ticket_id: str) -> list[StoredScan]:
    """Every recorded scan of one ticket, in seq order (uses the ticket_id index)."""
    rows = conn.execute(
        f"SELECT {_SCAN_COLUMNS}, ext, chain FROM scans WHERE ticket_id = ? ORDER BY seq",  # noqa: S608
        (ticket_id,),
    )
    return [StoredScan(r[0], r[2], r[-1], ScanRow(r[1], *r[3:-1])) for r in rows]


def scan_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Number of recorded scans per outcome (admit, refuse, exit, …)."""
    return dict(conn.execute("SELECT outcome, count(*) FROM scans GROUP BY outcome"))


def scan_ids_and_chain(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """(seq, scan_id, chain) of every row in seq order: what the platform must hold."""
    return [
        (r[0], r[1], r[2])
        for r in conn.execute("SELECT seq, scan_id, chain FROM scans ORDER BY seq")
    ]


def latest_known_ms(conn: sqlite3.Connection) -> int:
    """The newest time the ledger has seen: the last scan's and sale's ``at_ms`` and the
    platform's manifest time — a lower bound of "now" for a clock that is not set."""
    row = conn.execute(
        "SELECT max(coalesce((SELECT at_ms FROM scans ORDER BY seq DESC LIMIT 1), 0),"
        " coalesce((SELECT at_ms FROM sales ORDER BY seq DESC LIMIT 1), 0),"
        " coalesce((SELECT manifest_at_ms FROM sync_state WHERE id = 1), 0))"
    ).fetchone()
    return int(row[0] or 0)
