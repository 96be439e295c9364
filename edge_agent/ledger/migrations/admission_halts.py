"""Migration 10: a supervisor's halts of admissions, kept across restarts.

Never edited once shipped: see ``ledger/schema.py``.
"""

from __future__ import annotations

import sqlite3


def v10_admission_halts(conn: sqlite3.Connection) -> None:
    """``admission_halts``: every stop and resume, append-only (the last row is the state
    in force). A halt is a decision a person made; the row says who, when and why, so
    it survives a restart and stays as the night's record."""
    conn.execute(
        """CREATE TABLE admission_halts (
            number   INTEGER PRIMARY KEY,
            at_ms    INTEGER NOT NULL,
            action   TEXT NOT NULL CHECK (action IN ('halt', 'resume')),
            operator TEXT NOT NULL,
            reason   TEXT NOT NULL
        ) STRICT"""
    )
    for op in ("UPDATE", "DELETE"):
        conn.execute(
            f"CREATE TRIGGER admission_halts_no_{op.lower()} BEFORE {op} ON admission_halts"
            f" BEGIN SELECT RAISE(ABORT, 'admission_halts is append-only'); END"
        )
