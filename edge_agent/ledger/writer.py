"""The single ledger writer: one task, one thread, one SQLite connection, group commit.

Everything that changes the ledger goes through here. Callers on the event loop hand
over scan rows (``submit_scan``) or small write functions (``execute``); the writer task
takes everything queued (up to ``max_batch``) and, in its own thread, writes it all in
one ``BEGIN IMMEDIATE … COMMIT``. While a commit is in flight new work queues up, so
batches grow with load and a lone scan never waits for company.

The promise: a scan's future resolves only after the COMMIT that contains it returned,
with ``synchronous=FULL`` (the WAL is fsynced). The gate shows a verdict only then.
A failed batch is rolled back as a whole, every future of it fails with
``LedgerWriteFailed``, the chain head stays where it was, and the writer keeps going.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from edge_agent.errors import LedgerError, LedgerWriteFailed
from edge_agent.ledger.canonical_fast import canonical_values
from edge_agent.ledger.opening import open_for_writing
from edge_agent.ledger.records import ScanRow, StoredScan
from edge_agent.ledger.request_ids import INSERT_REQUEST, RequestRecord
from edge_agent.ledger.wal_checkpointer import WalCheckpointer
from edge_agent.ledger.wal_guard import CLOSED, mark
from edge_agent.ledger.writer_batch import (
    INSERT_SCAN,
    Batch,
    OpItem,
    Outside,
    ScanItem,
    batch_failed,
    fail_all,
    rollback_quietly,
    run_op,
)
from edge_agent.ledger.writer_waits import ScanWaits

T = TypeVar("T")
log = logging.getLogger(__name__)

_sha256 = hashlib.sha256


class LedgerWriter:
    """Owns the ledger's write connection; see the module docstring for the guarantees.

    Create with ``await LedgerWriter.open(...)``; call ``submit_scan`` / ``execute`` only
    from the event loop that opened it; always ``await close()``.
    """

    def __init__(
        self,
        *,
        path: Path,
        agent_id: str,
        max_batch: int,
        conn: sqlite3.Connection,
        executor: ThreadPoolExecutor,
        head_seq: int,
        head_chain: bytes,
    ) -> None:
        self._path = path
        self._agent_id = agent_id
        self._max_batch = max_batch
        self._conn = conn
        self._executor = executor
        self._loop = asyncio.get_running_loop()
        self._head_seq = head_seq
        self._head_chain = head_chain
        self._scans: list[ScanItem] = []
        self._ops: list[OpItem] = []
        #: Ops that run in a transaction of their own, only when no scan is queued
        #: (``execute(..., alone=True)``): slices of long work such as a manifest load.
        self._alone: list[OpItem] = []
        #: How long scans waited for their commit (status, docs/hardening.md).
        self.scan_waits = ScanWaits()
        self._wakeup = asyncio.Event()
        self._closing = False
        self._closed = False
        self._committed_rows = 0
        self._batches_committed = 0
        self._last_commit_ms = 0.0
        self._task: asyncio.Task[None] | None = None
        self._checkpointer = WalCheckpointer(path)
        #: Called on the event loop with each committed batch's duration in ms (the
        #: metrics' commit-latency histogram); must be quick and must not raise.
        self.commit_listeners: list[Callable[[float], None]] = []
        #: Called on the event loop with the message of each batch that failed (disk
        #: full, I/O error): the agent's ``ledger_not_recording`` alarm. Must not raise.
        self.failure_listeners: list[Callable[[str], None]] = []

    @classmethod
    async def open(cls, path: Path, agent_id: str, *, max_batch: int = 1000) -> LedgerWriter:
        """Open (creating and migrating if needed) the ledger at ``path`` for ``agent_id``.

        Raises ``LedgerError`` (or ``LedgerCorrupt``) with a message that says what to
        do if the file is damaged, newer than this code, or belongs to another agent.
        """
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-writer")
        try:
            conn, head_seq, head_chain = await loop.run_in_executor(
                executor, open_for_writing, path, agent_id
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        writer = cls(
            path=path,
            agent_id=agent_id,
            max_batch=max_batch,
            conn=conn,
            executor=executor,
            head_seq=head_seq,
            head_chain=head_chain,
        )
        writer._task = loop.create_task(writer._run(), name="ledger-writer")
        log.debug("ledger writer open", extra={"path": str(path), "head_seq": head_seq})
        return writer

    # ----------------------------------------------------------------- submitting

    def submit_scan(
        self, row: ScanRow, request: RequestRecord | None = None
    ) -> asyncio.Future[StoredScan]:
        """Queue ``row`` (with the device's ``request`` id, stored in the same
        transaction); the future resolves once it is committed (fsynced), or fails with
        ``LedgerWriteFailed``. Cheap and synchronous: call it on the event loop."""
        if self._closing:
            raise self._not_accepting()
        fut: asyncio.Future[StoredScan] = self._loop.create_future()
        self.scan_waits.note_queued()
        self._scans.append((row, fut, request))
        self._wakeup.set()
        return fut

    async def execute(
        self, fn: Callable[[sqlite3.Connection], T], *, alone: bool = False, outside: bool = False
    ) -> T:
        """Run ``fn(conn)`` in the writer thread inside the next group-commit transaction.

        ``alone=True``: in a transaction of its own, and only when no scan or other write
        is queued — for one slice of long work (a manifest page in parts, the plain-code
        fill), so a scan waits at most for one slice, never for the whole job.
        ``outside=True`` (implies alone): ``fn`` runs between transactions, not in one —
        for what SQLite refuses inside a transaction (``ATTACH``/``DETACH``).

        ``fn`` runs under its own SAVEPOINT: if it raises, only its own changes are
        rolled back and the exception is raised here, unchanged; the rest of the batch
        commits. It returns once the COMMIT is durable. ``fn`` must not BEGIN/COMMIT
        itself, must not touch ``scans`` (append-only, chained by this class) and should
        be quick: every gate waits for the batch it is in.
        """
        if self._closing:
            raise self._not_accepting()
        fut: asyncio.Future[T] = self._loop.create_future()
        if outside:
            self._alone.append((Outside(fn), fut))
        else:
            (self._alone if alone else self._ops).append((fn, fut))
        self._wakeup.set()
        return await fut

    def _not_accepting(self) -> LedgerError:
        return LedgerError(
            f"ledger writer for {self._path} is closed (the agent is stopping); "
            "nothing more can be recorded"
        )

    # ---------------------------------------------------------------- the writer task

    async def _run(self) -> None:
        try:
            while True:
                if not self._scans and not self._ops:
                    if self._alone:  # nothing else waits: one slice of long work
                        item = self._alone.pop(0)
                        if isinstance(item[0], Outside):
                            await self._run_outside(item)
                        else:
                            await self._commit([], [item], fsync=False)
                        continue
                    if self._closing:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                n = self._max_batch
                scans = self._scans[:n]
                del self._scans[:n]
                ops = self._ops[:n]
                del self._ops[:n]
                since = self.scan_waits.take(bool(self._scans)) if scans else None
                await self._commit(scans, ops)
                self.scan_waits.note_committed(since)
        except BaseException as exc:
            # Cancelled or a bug: nothing queued may wait forever for a verdict.
            self._closing = True
            why = "cancelled" if isinstance(exc, asyncio.CancelledError) else repr(exc)
            self._fail_queued(f"ledger writer for {self._path} stopped ({why})")
            raise

    async def _commit(
        self, scans: list[ScanItem], ops: list[OpItem], *, fsync: bool = True
    ) -> None:
        try:
            batch = await self._loop.run_in_executor(
                self._executor, self._write_batch, scans, ops, fsync
            )
        except LedgerWriteFailed as exc:
            log.error("ledger batch failed: %s", exc)
            fail_all(scans, ops, LedgerWriteFailed, str(exc))
            for failed in self.failure_listeners:
                failed(str(exc))
            return
        except BaseException:
            fail_all(scans, ops, LedgerError, "ledger writer stopped mid-batch")
            raise
        self._head_seq = batch.head_seq
        self._head_chain = batch.head_chain
        self._committed_rows += len(scans)
        self._batches_committed += 1
        self._last_commit_ms = batch.duration_ms
        if not fsync:  # a slice of long work
            self.scan_waits.note_slice(batch.duration_ms)
        for listener in self.commit_listeners:
            listener(batch.duration_ms)
        # Rows changed, not items: one manifest page op writes thousands of rows, and the
        # WAL must be folded back while a million-ticket load streams in.
        self._checkpointer.note_committed(batch.changes)
        for (_, fut, _), stored in zip(scans, batch.stored, strict=True):
            if fut.done():
                continue
            if isinstance(stored, LedgerWriteFailed):
                fut.set_exception(stored)
            else:
                fut.set_result(stored)
        for (_, op_fut), (ok, value) in zip(ops, batch.op_results, strict=True):
            if op_fut.done():
                continue
            if ok:
                op_fut.set_result(value)
            else:
                op_fut.set_exception(value)

    async def _run_outside(self, item: OpItem) -> None:
        fn, fut = item
        try:
            value = await self._loop.run_in_executor(self._executor, fn, self._conn)
        except Exception as exc:
            if not fut.done():
                fut.set_exception(exc)
            return
        if not fut.done():
            fut.set_result(value)

    def _fail_queued(self, message: str) -> None:
        """Fail everything still queued (the writer stopped or closed)."""
        scans, self._scans = self._scans, []
        ops, self._ops = self._ops + self._alone, []
        self._alone = []
        fail_all(scans, ops, LedgerError, message)

    # ------------------------------------------------------------ the writer thread

    def _write_batch(
        self, scans: Sequence[ScanItem], ops: Sequence[OpItem], fsync: bool = True
    ) -> Batch:
        """``_write_one``; a slice of long work (``alone``, never a scan) commits without
        its own fsync (``synchronous=NORMAL``): it is the platform's data, downloaded
        again if a power cut takes it, and the next scan's fsync makes it durable anyway
        (the WAL is written in order). An fsync per slice only made the next scan wait
        behind the disk."""
        if fsync:
            return self._write_one(scans, ops)
        self._conn.execute("PRAGMA synchronous=NORMAL")
        try:
            return self._write_one(scans, ops)
        finally:
            self._conn.execute("PRAGMA synchronous=FULL")

    def _write_one(self, scans: Sequence[ScanItem], ops: Sequence[OpItem]) -> Batch:
        """One transaction: scans (seq + chain assigned in queue order), then each op
        under its own SAVEPOINT, then COMMIT. Runs in the writer thread only."""
        conn = self._conn
        started = time.perf_counter()
        changes_before = conn.total_changes
        seq = self._head_seq
        chain = self._head_chain
        agent = self._agent_id
        try:
            conn.execute("BEGIN IMMEDIATE")
            params: list[tuple[Any, ...]] = []
            requests: list[tuple[Any, ...]] = []  # request ids: in the same transaction
            stored: list[StoredScan | LedgerWriteFailed] = []
            for row, _, request in scans:
                values = (seq + 1, row[0], agent, *row[1:-1])  # records.scan_values, inlined
                ext = row[-1]
                try:
                    canonical = canonical_values(values)
                    if ext is not None:  # records.with_ext, inlined
                        canonical = canonical[:-1] + b"," + ext.encode("utf-8") + b"]"
                except (UnicodeEncodeError, TypeError, ValueError) as exc:
                    # This row alone cannot be stored (e.g. a lone surrogate in a name):
                    # it gets no seq and fails by itself; the rest of the batch commits.
                    stored.append(LedgerWriteFailed(f"scan {row[0]} NOT recorded: {exc}"))
                    continue
                seq += 1
                chain = _sha256(chain + canonical).digest()
                chain_hex = chain.hex()
                params.append((*values, ext, chain_hex))
                stored.append(StoredScan(seq, agent, chain_hex, row))
                if request is not None:
                    requests.append((*request[:3], seq, row[1], request[3]))
            if params:
                conn.executemany(INSERT_SCAN, params)
            if requests:
                conn.executemany(INSERT_REQUEST, requests)
            op_results = [run_op(conn, fn) for fn, _ in ops]
            conn.execute("COMMIT")
        except Exception as exc:
            rollback_quietly(conn)
            raise batch_failed(self._path, len(scans), len(ops), exc) from exc
        except BaseException:
            rollback_quietly(conn)
            raise
        duration_ms = (time.perf_counter() - started) * 1000.0
        changes = conn.total_changes - changes_before
        return Batch(stored, op_results, seq, chain, duration_ms, changes)

    def _close_connection(self) -> None:
        """Fold the WAL into the database before closing, so a stopped agent leaves one
        compact file (and the next start reads no long WAL)."""
        try:
            mark(self._conn, CLOSED)  # a clean stop: no WAL is missing at the next start
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            log.warning("final ledger checkpoint failed: %s", exc)
        self._conn.close()

    # ----------------------------------------------------------------------- closing

    async def close(self) -> None:
        """Stop accepting, commit everything already queued, close the connection."""
        if self._closed:
            return
        self._closing = True
        self._wakeup.set()
        try:
            if self._task is not None:
                await asyncio.wait({self._task})
                if not self._task.cancelled() and self._task.exception() is not None:
                    log.error("ledger writer task had failed: %r", self._task.exception())
        finally:
            self._closed = True
            self._fail_queued(f"ledger writer for {self._path} closed")
            try:
                await self._checkpointer.close()
                await self._loop.run_in_executor(self._executor, self._close_connection)
            finally:
                self._executor.shutdown(wait=True)
            log.debug("ledger writer closed", extra={"head_seq": self._head_seq})

    # -------------------------------------------------------------------- properties

    @property
    def path(self) -> Path:
        return self._path

    @property
    def agent_id(self) -> str:
        return self._agent_id

    @property
    def head_seq(self) -> int:
        """Seq of the last committed row (0 for an empty ledger)."""
        return self._head_seq

    @property
    def head_chain(self) -> str:
        """Chain value (hex) after the last committed row; the genesis value if none."""
        return self._head_chain.hex()

    @property
    def committed_rows(self) -> int:
        """Scan rows committed by this writer since it was opened."""
        return self._committed_rows

    @property
    def batches_committed(self) -> int:
        return self._batches_committed

    @property
    def last_commit_ms(self) -> float:
        """How long the last successful transaction took, BEGIN to fsynced COMMIT."""
        return self._last_commit_ms

    @property
    def checkpoints(self) -> int:
        """WAL checkpoints completed beside the writer since it was opened."""
        return self._checkpointer.checkpoints

    @property
    def queued(self) -> int:
        """Scans and writes waiting for the next batch (not counting one in flight)."""
        return len(self._scans) + len(self._ops) + len(self._alone)
