"""A read-only ledger connection on its own thread, for a link's uploads and reports.

Reading a batch of rows for upload never blocks the event loop or the writer: the
connection lives in a one-thread executor (SQLite connections stay on one thread), is
opened on first use, and sees the last committed state (WAL).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from edge_agent.ledger.connection import open_read_connection

T = TypeVar("T")


class LedgerReader:
    def __init__(self, path: Path, name: str = "sync-reader") -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def work() -> T:
            if self._conn is None:
                self._conn = open_read_connection(self._path)
            return fn(self._conn)

        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def close(self) -> None:
        def close_conn() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._executor, close_conn)
        self._executor.shutdown(wait=True)
