"""Long writes in slices: a manifest page in parts, the plain-code fill in sorted parts,
and the writer running such slices only when no scan waits (issue 17: the writer never
blocks a scan for long)."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import time
from pathlib import Path

import pytest

from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.sorted_fill import (
    PLAIN_CODES,
    attach_scratch,
    build_scratch,
    delete_stale_part,
    detach_scratch,
    insert_part,
    remove_scratch,
    scratch_path,
)
from edge_agent.ledger.sync_tables import PageChanges, apply_manifest_page, page_parts
from edge_agent.ledger.writer import LedgerWriter
from tests.helpers import scan_row

pytestmark = pytest.mark.integration


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def page(n_tickets: int, n_revocations: int, first: int = 0) -> PageChanges:
    tickets = [
        (f"{i:032x}", 1, f"O-{i}", f"Guest {i}", f"g{i}@example.org", sha(f"code-{i}"), 0, 0)
        for i in range(first, first + n_tickets)
    ]
    revocations = [(f"{i:032x}", "refunded", 5) for i in range(n_revocations)]
    return PageChanges(1001, "c:9", 77, "on_sale", "Gala", "Hall", None, "{}", [], tickets,
                       revocations)  # fmt: skip


def test_a_page_is_cut_into_parts_and_only_the_last_moves_the_cursor() -> None:
    whole = page(1200, 300)
    parts = page_parts(whole, rows=500)
    assert [len(p.tickets) + len(p.revocations) for p in parts] == [500, 500, 500]
    assert [p.last_part for p in parts] == [False, False, True]
    assert [t for p in parts for t in p.tickets] == list(whole.tickets)
    assert [r for p in parts for r in p.revocations] == list(whole.revocations)
    assert page_parts(page(10, 2), rows=500) == [page(10, 2)]


async def test_parts_applied_twice_change_nothing_and_the_cursor_waits(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, "agent-parts")
    try:
        parts = page_parts(page(1200, 300), rows=500)
        await writer.execute(lambda c: apply_manifest_page(c, parts[0]), alone=True)
        read = open_read_connection(path)
        # a crash here: the tickets of part 1 are stored, the cursor is not
        assert read.execute("SELECT manifest_cursor FROM sync_state").fetchone() == ("",)
        for part in parts:  # the next start re-applies the whole page
            await writer.execute(lambda c, p=part: apply_manifest_page(c, p), alone=True)
        counts = read.execute(
            "SELECT (SELECT count(*) FROM manifest_tickets), (SELECT count(*) FROM"
            " revocations), (SELECT manifest_cursor FROM sync_state)"
        ).fetchone()
        assert counts == (1200, 300, "c:9")
        read.close()
    finally:
        await writer.close()


async def test_a_slice_runs_only_when_no_scan_waits(tmp_path: Path) -> None:
    writer = await LedgerWriter.open(tmp_path / "ledger.sqlite3", "agent-slices")
    seen: list[tuple[str, int]] = []
    loop = asyncio.get_running_loop()
    started = asyncio.Event()

    def slow(conn: sqlite3.Connection, name: str) -> None:
        seen.append((name, conn.execute("SELECT count(*) FROM scans").fetchone()[0]))
        loop.call_soon_threadsafe(started.set)
        time.sleep(0.05)

    try:
        first = asyncio.ensure_future(writer.execute(lambda c: slow(c, "slice 1"), alone=True))
        second = asyncio.ensure_future(writer.execute(lambda c: slow(c, "slice 2"), alone=True))
        await started.wait()
        scan = writer.submit_scan(scan_row(1))  # arrives while slice 1 is being written
        await asyncio.gather(first, second, scan)
    finally:
        await writer.close()
    # the scan went between the slices, in a commit of its own
    assert seen == [("slice 1", 0), ("slice 2", 1)]
    waits = writer.scan_waits
    assert waits.batches == 1 and 0 < waits.max_ms < 1000


async def test_the_fill_goes_in_code_order_and_drops_codes_that_changed(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, "agent-fill")
    try:
        await writer.execute(lambda c: apply_manifest_page(c, page(5000, 0)))  # bulk: no codes
        stale = ("f" * 64, 1001, f"{7:032x}", 1, 0, 0)  # ticket 7's code before it changed
        kept = ("e" * 64, 1001, "not-in-manifest", 1, 0, 0)

        def put(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO plain_codes(code_sha256, event_id, ticket_id, ticket_type,"
                " valid_from, valid_until) VALUES (?, ?, ?, ?, ?, ?)",
                [stale, kept],
            )

        await writer.execute(put)
        after: str | None = ""
        while after is not None:
            after = await writer.execute(lambda c, a=after: delete_stale_part(c, a, rows=700))
        counts = build_scratch(path)
        assert counts == {"codes": 5000, "lookup": 15000}
        await writer.execute(lambda c: attach_scratch(c, path), outside=True)
        for start in range(0, counts["codes"], 1500):
            await writer.execute(
                lambda c, s=start: insert_part(c, PLAIN_CODES, s, 1500), alone=True
            )
        await writer.execute(detach_scratch, outside=True)
        remove_scratch(path)
        read = open_read_connection(path)
        codes = [r[0] for r in read.execute("SELECT code_sha256 FROM plain_codes")]
        read.close()
    finally:
        await writer.close()
    assert len(codes) == 5001 and "f" * 64 not in codes and "e" * 64 in codes
    assert sha("code-7") in codes and not scratch_path(path).exists()
