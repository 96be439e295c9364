"""Migration 9: the client ``request_id`` of a scan or an override, beside its row.

Never edited once shipped: see ``ledger/schema.py``.
"""

from __future__ import annotations

import sqlite3


def v9_scan_requests(conn: sqlite3.Connection) -> None:
    """``scan_requests``: which ledger row answered a device's ``request_id``.

    A network scanner that lost an answer retries with the same ``request_id`` and must
    get the same verdict back (``gate/request_ids.py``). The row is written in the same
    transaction as the scan row it names, so after a crash both exist or neither. It is
    a side table on purpose: the client's text never enters the hash-chained ``scans``
    row, and rows here are pruned after ``ledger.request_ids_kept_s`` (``answer`` is the
    verdict as given, ``request_sha256`` the fingerprint a retry's body must match).
    """
    conn.execute(
        """CREATE TABLE scan_requests (
            device_id      TEXT NOT NULL,
            request_id     TEXT NOT NULL,
            request_sha256 TEXT NOT NULL,
            seq            INTEGER NOT NULL,
            at_ms          INTEGER NOT NULL,
            answer         BLOB NOT NULL,
            PRIMARY KEY (device_id, request_id)
        ) STRICT, WITHOUT ROWID"""
    )
    conn.execute("CREATE INDEX scan_requests_at ON scan_requests(at_ms)")
