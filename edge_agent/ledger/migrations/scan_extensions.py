"""Migration 5: scan rows may carry an extension (``records.encode_ext``).

Never edited once shipped: see ``ledger/schema.py``.
"""

from __future__ import annotations

import sqlite3


def v5_scan_extensions(conn: sqlite3.Connection) -> None:
    """``scans.ext``: the row's extension as canonical JSON text, or NULL.

    Hashed as the optional last element of the row's canonical array
    (``docs/ledger.md``, "Extensions"); rows written before this migration have none and
    keep their bytes. Adding a column fires no trigger, so the append-only guards stay.
    """
    conn.execute("ALTER TABLE scans ADD COLUMN ext TEXT")
