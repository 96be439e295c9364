"""The child ``power_loss`` runs: a writer that dies (SIGKILL, by itself) at the K-th SQL
statement of a migration or of a manifest page's parts — "the power went" at a chosen
point, exactly, every time. ``K = 0``: run to the end and print how many statements the
step took (the test then tries every K below that)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from edge_agent.ledger import opening
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.store import LedgerSyncStore
from tests.hardening.disk_full import page_doc

AGENT = "fixture-box"
PAGES, PER_PAGE = 3, 1500


class Fuse:
    """Counts statements once armed; at ``kill_at`` the process dies."""

    def __init__(self, kill_at: int) -> None:
        self.kill_at = kill_at
        self.armed = False
        self.count = 0

    def __call__(self, statement: str) -> None:
        if not self.armed and statement.startswith("BEGIN IMMEDIATE"):
            self.armed = True  # the migration's transaction (or the first page part's)
        if self.armed:
            self.count += 1
            if self.count == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)


def fused_open(fuse: Fuse) -> None:
    real = opening.open_write_connection

    def open_write_connection(path: Path) -> sqlite3.Connection:
        conn = real(path)
        conn.set_trace_callback(fuse)
        return conn

    opening.open_write_connection = open_write_connection  # type: ignore[assignment]


async def migrate(path: Path, fuse: Fuse) -> None:
    fused_open(fuse)
    writer = await LedgerWriter.open(path, AGENT)
    await writer.close()


async def pages(path: Path, fuse: Fuse) -> None:
    writer = await LedgerWriter.open(path, AGENT)  # not fused: only the pages are
    fuse.armed = False
    writer._conn.set_trace_callback(fuse)
    await resume_pages(writer, path)
    await writer.close()


async def resume_pages(writer: LedgerWriter, path: Path) -> None:
    """What the sync worker does: ask for pages from the stored cursor on."""
    from sync.manifest_page import parse_manifest_page

    store = LedgerSyncStore(writer, path, 1001)
    try:
        state = await store.load()
        start = int(state.manifest_cursor[2:]) + 1 if state.manifest_cursor else 0
        for n in range(start, PAGES):
            page = parse_manifest_page(page_doc(n, PER_PAGE, n < PAGES - 1), 1001)
            await store.commit_manifest_page(page)
        if start >= PAGES:  # all pages were in: the platform answers an empty last page
            doc = page_doc(PAGES - 1, 0, False)
            await store.commit_manifest_page(parse_manifest_page(doc, 1001))
    finally:
        await store.close()


def main() -> int:
    mode, path, kill_at = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    fuse = Fuse(kill_at)
    asyncio.run(migrate(path, fuse) if mode == "migrate" else pages(path, fuse))
    print(fuse.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
