"""The single writer's small parts: the scan INSERT, the queued items' shapes, what a
committed batch hands back to the loop, and failing a batch's futures. Kept apart so
``writer.py`` holds only the writer's flow."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from edge_agent.errors import LedgerError, LedgerWriteFailed
from edge_agent.ledger.connection import ledger_error
from edge_agent.ledger.records import ScanRow, StoredScan
from edge_agent.ledger.request_ids import RequestRecord

log = logging.getLogger("edge_agent.ledger.writer")

INSERT_SCAN = (
    "INSERT INTO scans(seq, scan_id, agent_id, at_ms, gate, lane, device_id, device_kind,"
    " direction, credential_kind, event_id, ticket_id, ticket_type, key_id, code_sha256,"
    " outcome, reason, override_operator, override_reason, manifest_at_ms, ext, chain)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)

#: A queued scan: its row, the future its verdict waits on, and the device's request
#: id (stored in the same transaction; ``None`` without one).
ScanItem = tuple[ScanRow, "asyncio.Future[StoredScan]", RequestRecord | None]
OpItem = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]


def fail_all(
    scans: Sequence[ScanItem],
    ops: Sequence[OpItem],
    kind: type[LedgerError],
    message: str,
) -> None:
    """Fail every future of ``scans`` and ``ops`` not yet done, each with its own
    ``kind(message)`` (one exception object per future: a shared one would collect
    every awaiter's traceback)."""
    futures: list[asyncio.Future[Any]] = [fut for _, fut, _ in scans]
    futures.extend(fut for _, fut in ops)
    for fut in futures:
        if not fut.done():
            fut.set_exception(kind(message))


class Outside:
    """An op to run between transactions (``execute(..., outside=True)``)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[sqlite3.Connection], Any]) -> None:
        self.fn = fn

    def __call__(self, conn: sqlite3.Connection) -> Any:
        return self.fn(conn)


class Batch:
    """What one committed transaction produced, handed from the thread back to the loop."""

    __slots__ = ("changes", "duration_ms", "head_chain", "head_seq", "op_results", "stored")

    def __init__(
        self,
        stored: list[StoredScan | LedgerWriteFailed],
        op_results: list[tuple[bool, Any]],
        head_seq: int,
        head_chain: bytes,
        duration_ms: float,
        changes: int,
    ) -> None:
        self.changes = changes
        self.stored = stored
        self.op_results = op_results
        self.head_seq = head_seq
        self.head_chain = head_chain
        self.duration_ms = duration_ms


def run_op(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any]) -> tuple[bool, Any]:
    """One op of a batch under its own SAVEPOINT: its failure rolls back only itself."""
    conn.execute("SAVEPOINT ledger_op")
    try:
        value = fn(conn)
    except Exception as exc:
        if not conn.in_transaction:
            # SQLite rolled back the whole transaction (e.g. disk full): the scans
            # of this batch are gone too, so the batch must fail as a whole.
            raise
        conn.execute("ROLLBACK TO ledger_op")
        conn.execute("RELEASE ledger_op")
        return False, exc
    conn.execute("RELEASE ledger_op")
    return True, value


def rollback_quietly(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:  # the original error is what matters
        log.warning("ledger rollback failed: %s", exc)


def batch_failed(path: Path, n_scans: int, n_ops: int, exc: Exception) -> LedgerWriteFailed:
    what = f"{n_scans} scan(s)" + (f" and {n_ops} other write(s)" if n_ops else "")
    if isinstance(exc, sqlite3.Error):
        detail = str(ledger_error(path, exc, "committing a batch"))
    else:
        detail = f"ledger {path}: unexpected {exc!r} while committing a batch"
    return LedgerWriteFailed(f"{what} NOT recorded — {detail}")
