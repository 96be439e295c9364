"""The ledger's ``sales`` rows: append-only, chained like scans, checked at start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge_agent.ledger.box_office_tables import append_sales_row, sales_for_upload
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.records import genesis_chain, next_chain
from edge_agent.ledger.sale_records import SALE_FIELDS, canonical_sale_bytes
from edge_agent.ledger.writer import LedgerWriter

pytestmark = pytest.mark.integration

AGENT = "door-a"


async def _ledger(path: Path, n: int) -> None:
    writer = await LedgerWriter.open(path, AGENT)
    try:
        for i in range(1, n + 1):
            fields = {"entry_id": f"e-{i}", "at_ms": 1_767_000_000_000 + i,
                      "kind": "session_open", "operator": "Zoë", "amount_cents": i}  # fmt: skip
            await writer.execute(lambda c, f=fields: append_sales_row(c, AGENT, f))
    finally:
        await writer.close()


async def test_rows_chain_from_genesis_by_the_documented_rule(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    await _ledger(path, 3)
    conn = sqlite3.connect(path)
    try:
        rows = sales_for_upload(conn, 0, 10, 1_000_000)
    finally:
        conn.close()
    prev = genesis_chain(AGENT)
    for seq, row in enumerate(rows, start=1):
        assert row["seq"] == seq and row["agent_id"] == AGENT
        prev = next_chain(prev, canonical_sale_bytes([row[k] for k in SALE_FIELDS]))
        assert row["chain"] == prev.hex()
    assert check_ledger(path, AGENT).ok


async def test_an_altered_sales_row_fails_the_start_up_check(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    await _ledger(path, 3)
    conn = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE sales SET amount_cents = 99 WHERE seq = 2")
        conn.execute("DROP TRIGGER sales_no_update")  # what an attacker with the file can do
        conn.execute("UPDATE sales SET amount_cents = 99 WHERE seq = 2")
        conn.commit()
    finally:
        conn.close()
    report = check_ledger(path, AGENT)
    assert not report.ok and "sales seq 2" in (report.problem or "")
