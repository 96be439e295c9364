"""The upload cursor: it moves only on the platform's word, is saved durably, rewinds
on a gap and halts on chain_mismatch / bad_row. A scripted platform on loopback gives
each answer; the ledger is a real file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from edge_agent.ledger.records import SCAN_FIELDS
from sync.errors import ProtocolError, UploadHalted
from tests.edge_agent.platform_link.scripted import PLATFORM_TIME_MS, ScriptedPlatform, error
from tests.edge_agent.platform_link.stack import AGENT, TOKEN, Stack, sync_stack
from tests.helpers import scan_row

pytestmark = pytest.mark.integration


@pytest.fixture
async def platform(aiohttp_server: Any) -> tuple[ScriptedPlatform, TestServer]:
    scripted = ScriptedPlatform()
    return scripted, await aiohttp_server(scripted.app())


async def fill(stack: Stack, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        await stack.writer.submit_scan(scan_row(i, manifest_at_ms=None if i % 2 else 1234))


def ok(through: int, duplicates: int = 0) -> tuple[int, dict[str, int]]:
    return 200, {"stored_through_seq": through, "received": 0, "duplicates": duplicates}


async def test_batches_carry_the_contract_and_the_cursor_follows_the_answer(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    path = tmp_path / "ledger.sqlite3"
    async with sync_stack(path, str(server.make_url(""))) as stack:
        await fill(stack, 25)
        scripted.answers.extend([ok(10), ok(17), ok(20), ok(25)])  # the platform's pace
        outbox = await stack.outbox(batch_rows=10)
        done = await outbox.upload()
        assert (done.batches, done.uploaded_through) == (4, 25)
        firsts = [r.body["rows"][0]["seq"] for r in scripted.received]
        assert firsts == [1, 11, 18, 21]  # each batch starts after what the platform holds
        assert [len(r.body["rows"]) for r in scripted.received] == [10, 10, 8, 5]
        first = scripted.received[0]
        assert first.path == f"/v1/agents/{AGENT}/scans"
        assert first.headers["Authorization"] == f"Bearer {TOKEN}"
        assert first.headers["Content-Encoding"] == "gzip"  # a 10-row body is > 1 KiB
        assert first.body["agent_id"] == AGENT and first.body["software_version"] == "test"
        row = first.body["rows"][0]
        assert list(row) == [*SCAN_FIELDS, "chain"]  # every ledger-v1 field + chain
        assert row["manifest_at_ms"] == 1234 and first.body["rows"][1]["manifest_at_ms"] is None
        stored = stack.sql("SELECT seq, scan_id, chain FROM scans WHERE seq = 1")[0]
        assert (row["seq"], row["scan_id"], row["chain"]) == stored
        # the clock object: the agent's time, and from the 2nd request on a measured offset
        assert scripted.received[0].body["clock"]["agent_time_ms"] > 0
        clock = scripted.received[1].body["clock"]
        assert clock["offset_ms"] is not None and clock["rtt_ms"] >= 0
        assert abs(clock["offset_ms"] - (PLATFORM_TIME_MS - clock["agent_time_ms"])) < 60_000
        assert stack.sql("SELECT stream, uploaded_through_seq FROM upload_cursors") == [
            ("scans", 25)
        ]
        assert outbox.pending == 0
        await fill(stack, 3, start=25)
        assert outbox.pending == 3
    # a restarted agent resumes from the stored cursor
    async with sync_stack(path, str(server.make_url(""))) as stack:
        scripted.received.clear()
        scripted.answers.clear()
        scripted.queue(*ok(28))
        outbox = await stack.outbox()
        assert outbox.cursor == 25
        await outbox.upload()
        assert [r["seq"] for r in scripted.received[0].body["rows"]] == [26, 27, 28]


async def test_batches_are_bounded_by_bytes_too(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    async with sync_stack(tmp_path / "ledger.sqlite3", str(server.make_url(""))) as stack:
        for i in range(6):
            await stack.writer.submit_scan(scan_row(i, override_reason="x" * 6000))
        scripted.answers.extend([ok(2), ok(4), ok(6)])
        outbox = await stack.outbox(batch_bytes=16_384)
        await outbox.upload()
        assert [len(r.body["rows"]) for r in scripted.received] == [2, 2, 2]


async def test_a_gap_rewinds_to_the_platforms_seq_and_resends(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    async with sync_stack(tmp_path / "ledger.sqlite3", str(server.make_url(""))) as stack:
        await fill(stack, 12)
        await stack.store.save_upload_cursor("scans", 10)  # we believe 1..10 are up there
        scripted.queue(409, error("gap", "restored from a backup", stored_through_seq=4))
        scripted.queue(*ok(12))
        outbox = await stack.outbox()
        await outbox.upload()
        assert [r.body["rows"][0]["seq"] for r in scripted.received] == [11, 5]
        assert outbox.cursor == 12
        # a "gap" that would move the cursor forward is nonsense: refused, cursor kept
        await fill(stack, 1, start=12)
        scripted.answers.clear()
        scripted.queue(409, error("gap", stored_through_seq=12))
        with pytest.raises(ProtocolError, match="409 gap at 12"):
            await outbox.upload()
        assert outbox.cursor == 12


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (409, error("chain_mismatch", "row differs", seq=3), "chain_mismatch at seq 3"),
        (422, error("bad_row", "bad lane", seq=2, field="lane"), "bad_row at seq 2"),
    ],
)
async def test_chain_mismatch_and_bad_row_halt_the_stream_for_good(
    tmp_path: Path,
    platform: tuple[ScriptedPlatform, TestServer],
    status: int,
    body: dict[str, Any],
    reason: str,
) -> None:
    scripted, server = platform
    async with sync_stack(tmp_path / "ledger.sqlite3", str(server.make_url(""))) as stack:
        await fill(stack, 5)
        scripted.queue(status, body)
        outbox = await stack.outbox()
        with pytest.raises(UploadHalted, match=reason):
            await outbox.upload()
        assert outbox.halted is not None and reason in outbox.halted
        assert outbox.cursor == 0
        scripted.queue(*ok(5))
        with pytest.raises(UploadHalted):
            await outbox.upload()  # never retried automatically
        assert len(scripted.received) == 1


async def test_answers_that_make_no_sense_move_nothing(
    tmp_path: Path, platform: tuple[ScriptedPlatform, TestServer]
) -> None:
    scripted, server = platform
    async with sync_stack(tmp_path / "ledger.sqlite3", str(server.make_url(""))) as stack:
        await fill(stack, 5)
        outbox = await stack.outbox()
        for answer, message in [
            (ok(9), "claims rows through 9"),
            (ok(0), "accepted nothing"),
            ((200, {"stored": 5}), "stored_through_seq"),
        ]:
            scripted.answers.clear()
            scripted.queue(*answer)
            with pytest.raises(ProtocolError, match=message):
                await outbox.upload()
            assert outbox.cursor == 0
        assert stack.sql("SELECT count(*) FROM upload_cursors") == [(0,)]
