"""The ``admission_halts`` table (migration 10): writes for ``LedgerWriter.execute`` and
the read of the halt in force at start."""

from __future__ import annotations

import sqlite3
from typing import NamedTuple


class HaltRow(NamedTuple):
    number: int
    at_ms: int
    action: str  # "halt" | "resume"
    operator: str
    reason: str


def append_halt(
    conn: sqlite3.Connection, at_ms: int, action: str, operator: str, reason: str
) -> HaltRow:
    cur = conn.execute(
        "INSERT INTO admission_halts(at_ms, action, operator, reason) VALUES (?, ?, ?, ?)",
        (at_ms, action, operator, reason),
    )
    return HaltRow(int(cur.lastrowid or 0), at_ms, action, operator, reason)


def halt_in_force(conn: sqlite3.Connection) -> HaltRow | None:
    """The last row when it is a halt; ``None`` when admissions run."""
    row = conn.execute(
        "SELECT number, at_ms, action, operator, reason FROM admission_halts"
        " ORDER BY number DESC LIMIT 1"
    ).fetchone()
    if row is None or row[2] != "halt":
        return None
    return HaltRow(*row)
