"""A full disk (simulated with ``PRAGMA max_page_count`` on the writer's connection)
fails the whole batch with LedgerWriteFailed, keeps the chain head where it was, and
the writer recovers by itself once there is room again."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from edge_agent.errors import LedgerWriteFailed
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.records import ScanRow
from edge_agent.ledger.writer import LedgerWriter
from tests.helpers import scan_row

pytestmark = pytest.mark.integration

AGENT = "agent-disk-full"


def make_row(i: int) -> ScanRow:
    # Long-ish values so a batch needs fresh pages quickly.
    return scan_row(i, ticket_id=f"ticket-{i:08d}-" + "x" * 100)


def cap_pages(extra: int) -> object:
    """An execute() op that limits the file to its current size plus ``extra`` pages."""

    def op(conn: sqlite3.Connection) -> int:
        current = int(conn.execute("PRAGMA page_count").fetchone()[0])
        return int(conn.execute(f"PRAGMA max_page_count={current + extra}").fetchone()[0])

    return op


def lift_cap(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA max_page_count=1073741823").fetchone()[0])


async def test_full_disk_fails_the_batch_and_the_writer_recovers(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, AGENT)
    before = await asyncio.gather(*(writer.submit_scan(make_row(i)) for i in range(20)))
    head_seq, head_chain = writer.head_seq, writer.head_chain
    batches = writer.batches_committed

    await writer.execute(cap_pages(0))  # type: ignore[arg-type]
    futures = [writer.submit_scan(make_row(i)) for i in range(20, 520)]
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert all(isinstance(r, LedgerWriteFailed) for r in results)
    message = str(results[0])
    assert "NOT recorded" in message
    assert "full" in message
    assert str(path) in message
    assert (writer.head_seq, writer.head_chain) == (head_seq, head_chain)
    assert writer.batches_committed == batches + 1  # only the cap op's own batch

    # Space is back: the very next rows commit and continue the chain at the right seq.
    await writer.execute(lift_cap)
    after = await asyncio.gather(*(writer.submit_scan(make_row(i)) for i in range(520, 620)))
    assert [s.seq for s in after] == list(range(21, 121))
    await writer.close()

    report = check_ledger(path, AGENT)
    assert report.ok, report.summary()
    assert report.rows == 120
    assert report.head_chain == after[-1].chain
    conn = open_read_connection(path)
    try:
        ids = [r[0] for r in conn.execute("SELECT scan_id FROM scans ORDER BY seq")]
    finally:
        conn.close()
    assert ids == [s.row.scan_id for s in (*before, *after)]


async def test_an_op_hitting_a_full_disk_fails_alone_or_with_its_batch(tmp_path: Path) -> None:
    """Whatever SQLite rolls back, no future resolves for a row that is not stored."""
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, AGENT)
    await writer.submit_scan(make_row(0))
    await writer.execute(cap_pages(0))  # type: ignore[arg-type]

    def big_write(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO revocations VALUES (?, 'refunded', 1, 'test')",
            ((f"T{i:06d}" + "y" * 200,) for i in range(2000)),
        )

    scan = writer.submit_scan(make_row(1))
    op = asyncio.ensure_future(writer.execute(big_write))
    scan_result, op_result = await asyncio.gather(scan, op, return_exceptions=True)
    assert isinstance(op_result, sqlite3.OperationalError | LedgerWriteFailed)
    await writer.execute(lift_cap)
    await writer.close()

    conn = open_read_connection(path)
    try:
        stored = [r[0] for r in conn.execute("SELECT scan_id FROM scans ORDER BY seq")]
        assert conn.execute("SELECT count(*) FROM revocations").fetchone()[0] == 0
    finally:
        conn.close()
    if isinstance(scan_result, BaseException):
        assert stored == ["scan-00000000"]
    else:
        assert stored == ["scan-00000000", "scan-00000001"]
    assert check_ledger(path, AGENT).ok


@pytest.mark.parametrize("max_batch", [1, 64])
async def test_repeated_failures_never_move_the_head(tmp_path: Path, max_batch: int) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, AGENT, max_batch=max_batch)
    await writer.submit_scan(make_row(0))
    await writer.execute(cap_pages(0))  # type: ignore[arg-type]
    for attempt in range(3):
        results = await asyncio.gather(
            *(writer.submit_scan(make_row(1000 * attempt + i)) for i in range(300)),
            return_exceptions=True,
        )
        assert any(isinstance(r, LedgerWriteFailed) for r in results)
    # Some small batches may have fit in the last free page; the head counts exactly those.
    committed = writer.head_seq
    await writer.execute(lift_cap)
    last = await writer.submit_scan(make_row(99_999))
    assert last.seq == committed + 1
    await writer.close()
    report = check_ledger(path, AGENT)
    assert report.ok
    assert report.head_seq == committed + 1
