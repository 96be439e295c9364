"""The ``scan_requests`` side table (migration 9): stored, found and pruned.

The writer inserts a ``RequestRecord`` in the same transaction as the scan row it
answers (``LedgerWriter.submit_scan(row, request)``); ``gate/request_ids.py`` finds it
again when the device retries, on the agent's read connection; the writer prunes old
ones. ``INSERT OR IGNORE``: a duplicate (which the gate's in-flight check prevents) must
never roll back a batch of other gates' scans.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

INSERT_REQUEST = (
    "INSERT OR IGNORE INTO scan_requests(device_id, request_id, request_sha256, seq, at_ms,"
    " answer) VALUES (?,?,?,?,?,?)"
)


class RequestRecord(NamedTuple):
    """A device's request id for one scan row (the row's seq and time come with it)."""

    device_id: str
    request_id: str
    request_sha256: str
    #: The verdict as answered, without its seq (``gate/request_ids.py`` encodes it).
    answer: bytes


class StoredRequest(NamedTuple):
    request_sha256: str
    seq: int
    answer: bytes


def find_request(conn: sqlite3.Connection, device_id: str, request_id: str) -> StoredRequest | None:
    row = conn.execute(
        "SELECT request_sha256, seq, answer FROM scan_requests"
        " WHERE device_id = ? AND request_id = ?",
        (device_id, request_id),
    ).fetchone()
    return None if row is None else StoredRequest(row[0], int(row[1]), bytes(row[2]))


def prune_requests(conn: sqlite3.Connection, before_ms: int) -> int:
    """Forget request ids older than ``before_ms``; how many went."""
    return conn.execute("DELETE FROM scan_requests WHERE at_ms < ?", (before_ms,)).rowcount
