"""WAL checkpoints off the commit path.

With SQLite's default auto-checkpoint, the COMMIT that crosses 1,000 WAL pages also
copies the WAL into the database file and fsyncs it — a 10–40 ms stall for whichever
scans were in that batch. The writer turns auto-checkpoint off and this class runs
``PRAGMA wal_checkpoint(PASSIVE)`` on a connection and thread of its own every
``every_rows`` committed rows. PASSIVE never blocks the writer, so commits keep their
sub-millisecond fsync while the checkpoint works beside them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, path: Path, every_rows: int = 5000) -> None:
        self._path = path
        self._every_rows = every_rows
        self._pending_rows = 0
        self._running: asyncio.Future[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-ckpt")
        self._conn: sqlite3.Connection | None = None
        self.checkpoints = 0

    def note_committed(self, rows: int) -> None:
        """Called by the writer (on the loop) after each durable batch."""
        self._pending_rows += rows
        if self._pending_rows < self._every_rows or self._running is not None:
            return
        self._pending_rows = 0
        loop = asyncio.get_running_loop()
        self._running = loop.run_in_executor(self._executor, self._checkpoint)
        self._running.add_done_callback(self._done)

    def _done(self, fut: asyncio.Future[None]) -> None:
        self._running = None
        if not fut.cancelled() and fut.exception() is not None:
            log.warning("ledger checkpoint failed (will retry): %s", fut.exception())

    def _checkpoint(self) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, isolation_level=None)
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints += 1

    async def close(self) -> None:
        if self._running is not None:
            await asyncio.wait({self._running})
        loop = asyncio.get_running_loop()
        if self._conn is not None:
            await loop.run_in_executor(self._executor, self._conn.close)
        self._executor.shutdown(wait=True)
