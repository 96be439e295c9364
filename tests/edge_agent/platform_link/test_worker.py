"""The sync worker's schedule: new rows go up on their own, failures back off and show
in the snapshot, ``sync now`` skips the wait, a halted stream stays halted."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from edge_agent.runtime import wall_clock_ms
from sync.backoff import Backoff
from sync.worker import SyncWorker
from tests.edge_agent.platform_link.scripted import ScriptedPlatform, error
from tests.edge_agent.platform_link.stack import Stack, sync_stack
from tests.edge_agent.platform_link.test_manifest_apply import page
from tests.helpers import scan_row

pytestmark = pytest.mark.integration


@pytest.fixture
async def platform(aiohttp_server: Any) -> tuple[ScriptedPlatform, TestServer]:
    scripted = ScriptedPlatform()
    return scripted, await aiohttp_server(scripted.app())


async def make_worker(stack: Stack, backoff_cap_s: float = 30.0) -> SyncWorker:
    return SyncWorker(
        manifest=await stack.manifest(),
        outboxes=[await stack.outbox()],
        store=stack.store,
        clock=stack.clock,
        backoff=Backoff(1.0, backoff_cap_s, random.Random(3)),
        manifest_interval_s=3600,
        upload_interval_s=3600,
        clock_ms=wall_clock_ms,
        poll_s=0.05,
    )


async def wait_for(predicate: Any, within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_new_rows_go_up_by_themselves_and_failures_back_off(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    async with sync_stack(tmp_path / "ledger.sqlite3", str(server.make_url(""))) as stack:
        scripted.queue(200, page("c:1", False))
        worker = await make_worker(stack)
        worker.start()
        try:
            await wait_for(lambda: worker.snapshot().rounds >= 1)
            snap = worker.snapshot()
            assert snap.last_error is None and snap.manifest_at_ms is not None
            # a new row goes up without waiting for upload_interval_s (3600 s)
            scripted.answers.clear()
            scripted.queue(200, {"stored_through_seq": 1, "received": 1, "duplicates": 0})
            await stack.writer.submit_scan(scan_row(1))
            await wait_for(lambda: worker.snapshot().upload_cursors["scans"] == 1)
            # the platform fails: the error shows, the worker backs off
            scripted.answers.clear()
            scripted.queue(503, error("unavailable", "down for maintenance"))
            await stack.writer.submit_scan(scan_row(2))
            await wait_for(lambda: worker.snapshot().failures >= 1)
            snap = worker.snapshot()
            assert snap.last_error is not None and "down for maintenance" in snap.last_error
            assert snap.pending == {"scans": 1}
            # the round counts the failure, then persists it (a writer op of its own)
            await wait_for(
                lambda: stack.sql("SELECT last_error IS NOT NULL FROM sync_state") == [(1,)]
            )
            # sync now skips the backoff wait and, with the platform back, succeeds
            scripted.answers.clear()
            scripted.queue(200, page("c:2", False))
            scripted.queue(200, {"stored_through_seq": 2, "received": 1, "duplicates": 0})
            assert await worker.sync_now(5.0) is True
            snap = worker.snapshot()
            assert snap.failures == 0 and snap.backoff_until_ms is None
            assert snap.upload_cursors == {"scans": 2} and snap.pending == {"scans": 0}
            assert snap.last_success_ms is not None
            assert snap.clock is not None  # measured from the answers' platform time
            assert stack.sql("SELECT clock_rtt_ms IS NOT NULL FROM sync_state") == [(1,)]
        finally:
            await worker.stop()
        assert not worker.snapshot().running


async def test_a_halted_stream_stays_halted_while_the_manifest_keeps_coming(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    async with sync_stack(tmp_path / "ledger.sqlite3", str(server.make_url(""))) as stack:
        await stack.writer.submit_scan(scan_row(1))
        scripted.queue(200, page("c:1", False))
        scripted.queue(409, error("chain_mismatch", "row 1 differs", seq=1))
        scripted.queue(200, page("c:2", False))
        worker = await make_worker(stack)
        worker.start()
        try:
            await wait_for(lambda: worker.snapshot().rounds >= 1)
            assert await worker.sync_now(5.0)
            snap = worker.snapshot()
            assert "chain_mismatch at seq 1" in snap.halted["scans"]
            assert snap.manifest_cursor == "c:2"
            uploads = [r for r in scripted.received if r.method == "POST"]
            assert len(uploads) == 1  # never re-sent
        finally:
            await worker.stop()
