"""The start-up ledger check covers every ledger table but not the manifest copies
(P8: start-up must not grow with a million-ticket manifest); ``edge-agent check``'s
full check still sees damage there. Damage is made by overwriting index pages."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.rows import ManifestTicketRow
from edge_agent.ledger.sync_tables import upsert_manifest_tickets
from edge_agent.ledger.writer import LedgerWriter
from tests.helpers import scan_row

pytestmark = pytest.mark.integration

AGENT = "gate-a"


async def make_ledger(path: Path) -> None:
    writer = await LedgerWriter.open(path, AGENT)
    for i in range(300):
        await writer.submit_scan(scan_row(i))
    tickets = [
        ManifestTicketRow(f"T-{i:06d}", 1001, 1, f"O-{i}", f"Holder {i}", f"h{i}@example.org")
        for i in range(3000)
    ]
    await writer.execute(lambda c: upsert_manifest_tickets(c, tickets))
    await writer.close()


def smash_index(path: Path, index: str) -> None:
    """Overwrite the index's (or a WITHOUT ROWID table's) whole root page with junk."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (index,)).fetchone()[0]
    conn.close()
    with path.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xa5" * page_size)


async def test_startup_check_skips_only_the_manifest_copies(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    await make_ledger(path)
    smash_index(path, "manifest_lookup")
    quick = check_ledger(path, AGENT, full_integrity=False)
    assert quick.ok, quick.summary()
    full = check_ledger(path, AGENT)
    assert not full.ok and not full.integrity_ok


async def test_startup_check_still_finds_damage_in_the_ledger_tables(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    await make_ledger(path)
    smash_index(path, "scans_ticket_id")
    report = check_ledger(path, AGENT, full_integrity=False)
    assert not report.ok and not report.integrity_ok
    assert "DAMAGED" in report.summary()
