"""The platform database: one SQLite file in WAL mode, one writer thread, one reader.

Every write runs ``fn(conn)`` inside ``BEGIN IMMEDIATE … COMMIT`` on the single writer
thread, so writes are serialised: a lease can never race another lease for the last
seats, and an upload batch is one transaction that is committed (``synchronous=FULL``)
before the handler answers. Reads (manifest pages, reports) run on their own connection
and thread inside a read transaction, so a page sees one consistent snapshot and never
waits for the writer.

The same ``open_connection`` and ``transaction`` serve the CLI's direct commands
(``init``, ``seed``), which may run while the server is up: ``BEGIN IMMEDIATE`` and the
busy timeout make them take turns with the server's writer.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from reference_platform.store.schema import migrate

T = TypeVar("T")

DB_NAME = "platform.sqlite3"
BUSY_TIMEOUT_MS = 10_000


def open_connection(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the platform's pragmas (autocommit mode: callers use
    ``transaction``). Creates the file with mode 0600 when writing."""
    if not readonly and not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    else:
        migrate(conn)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, *, write: bool = True) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` (or a deferred read transaction) … ``COMMIT``; rolls back
    on any exception and re-raises it."""
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Database:
    """The server's handle: ``await write(fn)`` / ``await read(fn)``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="platform-writer")
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="platform-reader")
        self._write_conn: sqlite3.Connection | None = None
        self._read_conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self._write_conn = await loop.run_in_executor(self._writer, open_connection, self.path)
        self._read_conn = await loop.run_in_executor(
            self._reader, lambda: open_connection(self.path, readonly=True)
        )

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one committed write transaction; its exception rolls back."""
        conn = self._write_conn
        assert conn is not None, "Database.open() was not awaited"

        def run() -> T:
            with transaction(conn):
                return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self._writer, run)

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one read transaction (a consistent snapshot)."""
        conn = self._read_conn
        assert conn is not None, "Database.open() was not awaited"

        def run() -> T:
            with transaction(conn, write=False):
                return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self._reader, run)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        for conn, executor in ((self._read_conn, self._reader), (self._write_conn, self._writer)):
            if conn is not None:
                await loop.run_in_executor(executor, conn.close)
            executor.shutdown(wait=True)
        self._read_conn = self._write_conn = None
