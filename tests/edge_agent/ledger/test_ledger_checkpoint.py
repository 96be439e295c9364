"""WAL checkpoints run beside the writer, never inside a commit, and the WAL is folded
into the database file when the writer closes."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.writer import LedgerWriter
from tests.helpers import scan_row

pytestmark = pytest.mark.integration


async def test_checkpoints_happen_off_the_commit_path_and_close_truncates(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, "box-1")
    auto = await writer.execute(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    assert auto == 0  # SQLite never checkpoints inside our COMMITs
    for start in range(0, 12_000, 1000):
        await asyncio.gather(*(writer.submit_scan(scan_row(i)) for i in range(start, start + 1000)))
    await asyncio.sleep(0.2)
    assert writer.checkpoints >= 2  # every 5,000 rows, in its own thread
    # a reader sees every row while the WAL is being checkpointed alongside
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM scans").fetchone()[0] == 12_000
    await writer.close()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    report = check_ledger(path, "box-1")
    assert report.ok and report.rows == 12_000
