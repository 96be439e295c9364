"""The single ledger writer on real SQLite files: seqs, chain, group commit, execute(),
append-only triggers, close/reopen."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from edge_agent.errors import LedgerCorrupt, LedgerError, LedgerWriteFailed
from edge_agent.ledger.canonical_fast import canonical_values
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.device_store import insert_device, revoke_device
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.manifest_store import add_revocations, upsert_plain_codes
from edge_agent.ledger.queries import list_devices, lookup_plain_code
from edge_agent.ledger.records import (
    SCAN_FIELDS,
    canonical_scan_bytes,
    genesis_chain,
    next_chain,
)
from edge_agent.ledger.rows import PlainCodeRow, RevocationRow
from edge_agent.ledger.schema import SCHEMA_VERSION
from edge_agent.ledger.writer import LedgerWriter
from tests.helpers import scan_row

pytestmark = pytest.mark.integration

AGENT = "agent-writer-test"


def read_chain(path: Path) -> list[tuple[int, str, str]]:
    conn = open_read_connection(path)
    try:
        return conn.execute("SELECT seq, scan_id, chain FROM scans ORDER BY seq").fetchall()
    finally:
        conn.close()


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite3"


async def test_rows_get_contiguous_seqs_and_the_contract_chain(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT)
    rows = [scan_row(i) for i in range(25)]
    stored = [await writer.submit_scan(r) for r in rows[:5]]
    stored += await asyncio.gather(*(writer.submit_scan(r) for r in rows[5:]))
    await writer.close()

    assert [s.seq for s in stored] == list(range(1, 26))
    chain = genesis_chain(AGENT)
    for s, row in zip(stored, rows, strict=True):
        chain = next_chain(chain, canonical_scan_bytes(s.seq, AGENT, row))
        assert s.chain == chain.hex()
        assert s.row == row
        assert s.agent_id == AGENT
    assert writer.head_seq == 25
    assert writer.head_chain == chain.hex()
    assert [(seq, c) for seq, _, c in read_chain(ledger_path)] == [(s.seq, s.chain) for s in stored]
    assert writer.committed_rows == 25


def test_fast_canonical_form_is_byte_identical_to_the_contract() -> None:
    tricky = [
        "plain", "", 'quote " and \\ backslash', "new\nline\ttab\r\x00\x01\x1f\x7f",
        "é ü ß 東京 😀 \u2028\u2029 \ufeff", "</script>", "a/b",
    ]  # fmt: skip
    for n, text in enumerate(tricky):
        for opt in (None, text):
            row = scan_row(
                n, scan_id=text, gate=text, reason=text, ticket_id=opt, key_id=opt,
                event_id=None if opt is None else -(2**62), ticket_type=None,
                override_operator=opt, override_reason=opt,
                manifest_at_ms=None if opt is None else 1_767_205_327_000,
            )  # fmt: skip
            values = (n, *[getattr(row, f) if f != "agent_id" else AGENT for f in SCAN_FIELDS[1:]])
            assert canonical_values(values) == canonical_scan_bytes(n, AGENT, row)


async def test_concurrent_submissions_are_group_committed(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT, max_batch=300)
    futures = [writer.submit_scan(scan_row(i)) for i in range(1000)]
    stored = await asyncio.gather(*futures)
    assert sorted(s.seq for s in stored) == list(range(1, 1001))
    # Queue order is seq order.
    assert [s.row.scan_id for s in stored] == [f"scan-{i:08d}" for i in range(1000)]
    assert writer.batches_committed < 1000
    assert writer.batches_committed >= 4  # max_batch=300 bounds each batch
    assert writer.last_commit_ms > 0
    await writer.close()
    assert check_ledger(ledger_path, AGENT).ok


async def test_scans_submitted_during_a_commit_join_the_next_batch(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT)
    first = writer.submit_scan(scan_row(0))
    await asyncio.sleep(0)  # let the writer task take the lone row
    later = [writer.submit_scan(scan_row(i)) for i in range(1, 200)]
    await asyncio.gather(first, *later)
    assert writer.batches_committed <= 3
    await writer.close()


async def test_execute_runs_device_and_manifest_ops_durably(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT)
    await writer.execute(lambda c: insert_device(c, "d1", "iPad 1", "scanner", "h" * 64, 1000))
    codes = [PlainCodeRow("c" * 64, 7, "T-1", 2, 0, 0)]
    assert await writer.execute(lambda c: upsert_plain_codes(c, codes)) == 1
    assert await writer.execute(lambda c: revoke_device(c, "d1", 2000)) is True
    assert await writer.execute(lambda c: revoke_device(c, "d1", 3000)) is False
    revs = [RevocationRow("T-9", "refunded", 5, "platform")]
    assert await writer.execute(lambda c: add_revocations(c, revs)) == 1
    await writer.close()

    conn = open_read_connection(ledger_path)
    try:
        [device] = list_devices(conn)
        assert (device.device_id, device.revoked_at_ms) == ("d1", 2000)
        assert lookup_plain_code(conn, "c" * 64) == codes[0]
    finally:
        conn.close()


async def test_a_failing_op_fails_only_its_own_future(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT)
    await writer.execute(lambda c: insert_device(c, "d1", "a", "scanner", "h1", 1))

    def half_then_fail(conn: sqlite3.Connection) -> None:
        insert_device(conn, "d2", "b", "scanner", "h2", 2)  # rolled back with its savepoint
        insert_device(conn, "d3", "c", "scanner", "h1", 3)  # duplicate token hash

    scans = [writer.submit_scan(scan_row(i)) for i in range(10)]
    good = asyncio.ensure_future(
        writer.execute(lambda c: insert_device(c, "d4", "d", "supervisor", "h4", 4))
    )
    bad = asyncio.ensure_future(writer.execute(half_then_fail))
    results = await asyncio.gather(*scans, good, bad, return_exceptions=True)
    assert isinstance(results[-1], sqlite3.IntegrityError)
    assert all(not isinstance(r, BaseException) for r in results[:-1])
    await writer.close()

    conn = open_read_connection(ledger_path)
    try:
        assert [d.device_id for d in list_devices(conn)] == ["d1", "d4"]
        assert conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 10
    finally:
        conn.close()


async def test_a_non_sqlite_exception_is_passed_through_unchanged(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT)

    def boom(conn: sqlite3.Connection) -> None:
        raise ValueError("bad manifest line 3")

    with pytest.raises(ValueError, match="line 3"):
        await writer.execute(boom)
    assert (await writer.submit_scan(scan_row(1))).seq == 1
    await writer.close()


async def test_scans_are_append_only(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT)
    await writer.submit_scan(scan_row(1))

    def update(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE scans SET reason = 'edited' WHERE seq = 1")

    def delete(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM scans WHERE seq = 1")

    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await writer.execute(update)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await writer.execute(delete)
    await writer.close()
    # Also from an unrelated raw connection: the triggers live in the file.
    raw = sqlite3.connect(ledger_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("DELETE FROM scans")
    raw.close()
    assert check_ledger(ledger_path, AGENT).ok


async def test_close_drains_queued_rows_then_refuses_new_ones(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT, max_batch=7)
    futures = [writer.submit_scan(scan_row(i)) for i in range(100)]
    await writer.close()
    assert all(f.done() and f.exception() is None for f in futures)
    assert writer.head_seq == 100
    with pytest.raises(LedgerError, match="closed"):
        writer.submit_scan(scan_row(101))
    with pytest.raises(LedgerError, match="closed"):
        await writer.execute(lambda c: None)
    await writer.close()  # idempotent
    assert len(read_chain(ledger_path)) == 100


async def test_reopen_continues_the_chain(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT)
    await asyncio.gather(*(writer.submit_scan(scan_row(i)) for i in range(10)))
    head = writer.head_chain
    await writer.close()

    again = await LedgerWriter.open(ledger_path, AGENT)
    assert (again.head_seq, again.head_chain) == (10, head)
    nxt = await again.submit_scan(scan_row(10))
    await again.close()
    assert nxt.seq == 11
    assert (
        nxt.chain == next_chain(bytes.fromhex(head), canonical_scan_bytes(11, AGENT, nxt.row)).hex()
    )
    report = check_ledger(ledger_path, AGENT)
    assert report.ok
    assert report.rows == 11
    assert report.head_chain == nxt.chain


async def test_a_new_ledger_starts_at_genesis(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT)
    assert (writer.head_seq, writer.head_chain) == (0, genesis_chain(AGENT).hex())
    assert writer.agent_id == AGENT
    await writer.close()
    conn = open_read_connection(ledger_path)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        assert meta["agent_id"] == AGENT
        assert meta["format"] == "ledger-v1"
        assert int(meta["created_at_ms"]) > 0
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [r[1] for r in conn.execute("PRAGMA table_info(scans)")]
        assert columns == [*SCAN_FIELDS, "chain", "ext"]  # ext: migration 5, appended
    finally:
        conn.close()


async def test_wrong_agent_id_on_reopen_is_refused(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT)
    await writer.submit_scan(scan_row(1))
    await writer.close()
    with pytest.raises(LedgerError, match=r"belongs to agent 'agent-writer-test'.*'other-box'"):
        await LedgerWriter.open(ledger_path, "other-box")


async def test_a_newer_schema_is_refused(ledger_path: Path) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT)
    await writer.close()
    raw = sqlite3.connect(ledger_path)
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(LedgerError, match="newer edge-agent"):
        await LedgerWriter.open(ledger_path, AGENT)


@pytest.fixture
def garbage_path(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 200)
    return path


async def test_garbage_file_is_refused_as_corrupt(garbage_path: Path) -> None:
    with pytest.raises(LedgerCorrupt, match=r"not an SQLite database.*move it aside"):
        await LedgerWriter.open(garbage_path, AGENT)


async def test_a_row_that_cannot_be_encoded_fails_alone(tmp_path: Path) -> None:
    """A lone surrogate slipped into a name must not cost the other scans of its batch."""
    writer = await LedgerWriter.open(tmp_path / "ledger.sqlite3", "box-1")
    try:
        futs = [writer.submit_scan(scan_row(i)) for i in range(5)]
        futs.insert(2, writer.submit_scan(scan_row(99, lane="\ud800")))
        results = await asyncio.gather(*futs, return_exceptions=True)
        assert isinstance(results[2], LedgerWriteFailed)
        good = [r for r in results if not isinstance(r, BaseException)]
        assert [s.seq for s in good] == [1, 2, 3, 4, 5]  # no gap where the bad row was
    finally:
        await writer.close()
    assert check_ledger(tmp_path / "ledger.sqlite3", "box-1").ok


async def test_a_stopped_writer_fails_every_queued_write_each_with_its_own_error(
    ledger_path: Path,
) -> None:
    writer = await LedgerWriter.open(ledger_path, AGENT)
    scans = [writer.submit_scan(scan_row(i)) for i in (1, 2)]
    op = asyncio.ensure_future(writer.execute(lambda conn: None))
    await asyncio.sleep(0)  # the op is queued; the scans may be in the batch in flight
    assert writer._task is not None
    writer._task.cancel()  # as if the loop went away: nothing may wait forever
    errors = await asyncio.gather(*scans, op, return_exceptions=True)
    # in flight: "stopped mid-batch"; still queued: "stopped (cancelled)"
    assert all(type(e) is LedgerError and "stopped" in str(e) for e in errors), errors
    assert len({id(e) for e in errors}) == 3
    await writer.close()
