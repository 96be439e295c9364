"""``scans_for_upload`` bounds a batch by its JSON size: measured for the whole batch at
once when it fits, row by row when it does not, with the same cut either way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.sync_tables import scans_for_upload
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.store import LedgerSyncStore
from tests.helpers import scan_row

pytestmark = pytest.mark.integration

REASONS = [None, "x", "é" * 300, "😀" * 500, "line", "\u00a0" * 40, "y" * 3000]


def cut_row_by_row(rows: list[dict[str, Any]], max_bytes: int) -> int:
    """How many rows the contract's rule takes: ``[`` + rows joined by ``,`` + ``]``."""
    total, taken = 2, 0
    for row in rows:
        size = len(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode()) + 1
        if taken and total + size > max_bytes:
            break
        total += size
        taken += 1
    return taken


async def test_the_cut_is_the_same_whichever_way_it_is_measured(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, "gate-a")
    try:
        for i in range(40):
            await writer.submit_scan(scan_row(i, override_reason=REASONS[i % len(REASONS)]))
    finally:
        await writer.close()
    conn = open_read_connection(path)
    try:
        everything = scans_for_upload(conn, 0, 1000, 1 << 40)
        assert [r["seq"] for r in everything] == list(range(1, 41))
        for after in (0, 7):
            expected = everything[after : after + 30]
            # the batch's exact JSON size and its neighbours: where the two ways meet
            exact = len(json.dumps(expected, ensure_ascii=False, separators=(",", ":")).encode())
            for max_bytes in (1, 100, 5_000, 20_000, exact - 1, exact, exact + 1, 1 << 20):
                got = scans_for_upload(conn, after, 30, max_bytes)
                assert got == expected[: cut_row_by_row(expected, max_bytes)], max_bytes
            # (the rule counts a comma after every row: one byte of slack)
            assert len(scans_for_upload(conn, after, 30, exact + 1)) == 30
            assert len(scans_for_upload(conn, after, 30, exact)) == 29
    finally:
        conn.close()


async def test_the_batch_read_ahead_is_used_only_for_the_request_it_expected(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, "gate-a")
    store = LedgerSyncStore(writer, path, 7)
    try:
        for i in range(25):
            await writer.submit_scan(scan_row(i))

        async def seqs(after: int, rows: int = 10) -> list[int]:
            return [r["seq"] for r in await store.read_rows("scans", after, rows, 1 << 20)]

        assert await seqs(0) == list(range(1, 11))
        assert await seqs(10) == list(range(11, 21))  # the read ahead, as asked
        assert await seqs(5) == list(range(6, 16))  # a rewind: read afresh
        assert await seqs(15, 3) == [16, 17, 18]  # other limits: read afresh
        assert await seqs(18, 3) == [19, 20, 21]
        # read ahead when the head was 25: rows added meanwhile may come only in the
        # batch after (a short batch), never skipped or doubled
        assert await seqs(11, 10) == list(range(12, 22))
        for i in range(25, 30):
            await writer.submit_scan(scan_row(i))
        got = await seqs(21, 10)
        assert got[:4] == [22, 23, 24, 25] and got == list(range(22, 22 + len(got)))
        if got[-1] < 30:
            assert await seqs(got[-1], 10) == list(range(got[-1] + 1, 31))
        # at the head nothing is read ahead; a row added later is found at once
        assert await seqs(30) == []
        await writer.submit_scan(scan_row(30))
        assert await seqs(30) == [31]
    finally:
        await store.close()
        await writer.close()
