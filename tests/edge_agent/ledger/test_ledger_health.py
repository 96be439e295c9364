"""check_ledger on good, tampered, truncated, foreign and missing files: always a
report with a clear problem, never a raw traceback."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.records import ScanRow, canonical_scan_bytes, next_chain
from edge_agent.ledger.writer import LedgerWriter
from tests.helpers import scan_row

pytestmark = pytest.mark.integration

AGENT = "agent-health"
ROWS = 40


def make_row(i: int) -> ScanRow:
    return scan_row(i, ticket_id=f"T{i:04d}", outcome="admit" if i % 3 else "refuse")


@pytest.fixture
async def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, AGENT)
    await asyncio.gather(*(writer.submit_scan(make_row(i)) for i in range(ROWS)))
    await writer.close()
    return path


def tamper(path: Path, *sql: str) -> None:
    """What an attacker with file access could do: drop the guards and edit."""
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER scans_no_update")
    raw.execute("DROP TRIGGER scans_no_delete")
    for statement in sql:
        raw.execute(statement)
    raw.commit()
    raw.close()


def test_a_good_ledger_reports_ok(ledger: Path) -> None:
    report = check_ledger(ledger, AGENT)
    assert report.ok
    assert report.exists
    assert report.integrity_ok
    assert report.chain_ok
    assert (report.rows, report.head_seq, report.first_bad_seq) == (ROWS, ROWS, None)
    assert report.agent_id == AGENT
    assert report.problem is None
    assert report.integrity_messages == ("ok",)
    text = report.summary()
    assert text.startswith(f"ledger OK: {ROWS} rows, head seq {ROWS} chain {report.head_chain[:8]}")  # type: ignore[index]
    assert str(ledger) in text


def test_without_chain_verification_counts_still_come_back(ledger: Path) -> None:
    report = check_ledger(ledger, AGENT, verify_chain=False)
    full = check_ledger(ledger, AGENT)
    assert report.ok
    assert report.chain_ok is None
    assert (report.rows, report.head_seq, report.head_chain) == (
        full.rows, full.head_seq, full.head_chain,
    )  # fmt: skip
    assert "chain not verified" in report.summary()


def test_an_edited_row_breaks_the_chain_there(ledger: Path) -> None:
    tamper(ledger, "UPDATE scans SET reason = 'vip' WHERE seq = 17")
    report = check_ledger(ledger, AGENT)
    assert not report.ok
    assert report.chain_ok is False
    assert report.first_bad_seq == 17
    assert report.integrity_ok
    assert report.summary().startswith(
        "ledger CHAIN BROKEN at seq 17: row altered or removed — keep this file for "
        "investigation, move it aside"
    )


def test_an_edit_with_its_own_chain_recomputed_breaks_at_the_next_row(ledger: Path) -> None:
    # A careful forger re-hashes the edited row; the next row's link no longer fits.
    raw = sqlite3.connect(ledger)
    prev = bytes.fromhex(raw.execute("SELECT chain FROM scans WHERE seq = 9").fetchone()[0])
    raw.close()
    original = make_row(9)  # seq 10 holds make_row(9), a refusal
    assert original.outcome == "refuse"
    forged = original._replace(outcome="admit")
    forged_chain = next_chain(prev, canonical_scan_bytes(10, AGENT, forged)).hex()
    tamper(ledger, f"UPDATE scans SET outcome = 'admit', chain = '{forged_chain}' WHERE seq = 10")
    report = check_ledger(ledger, AGENT)
    assert report.chain_ok is False
    assert report.first_bad_seq == 11


def test_a_deleted_row_is_found(ledger: Path) -> None:
    tamper(ledger, "DELETE FROM scans WHERE seq = 23")
    report = check_ledger(ledger, AGENT)
    assert report.chain_ok is False
    assert report.first_bad_seq == 23
    assert "row 23 removed" in (report.problem or "")
    assert report.rows == ROWS - 1


def test_deleting_the_first_rows_is_found(ledger: Path) -> None:
    tamper(ledger, "DELETE FROM scans WHERE seq <= 3")
    report = check_ledger(ledger, AGENT)
    assert report.first_bad_seq == 1
    assert "rows 1–3 removed" in (report.problem or "")


def test_swapped_rows_are_found(ledger: Path) -> None:
    # Move row 12's content (and chain) to seq 11 and vice versa.
    cols = (
        "scan_id, agent_id, at_ms, gate, lane, device_id, device_kind, direction, "
        "credential_kind, event_id, ticket_id, ticket_type, key_id, code_sha256, outcome, "
        "reason, override_operator, override_reason, manifest_at_ms, chain"
    )
    tamper(
        ledger,
        f"CREATE TEMP TABLE t AS SELECT seq, {cols} FROM scans WHERE seq IN (11, 12)",
        "DELETE FROM scans WHERE seq IN (11, 12)",
        f"INSERT INTO scans(seq, {cols}) SELECT 23 - seq, {cols} FROM t",
    )
    report = check_ledger(ledger, AGENT)
    assert report.chain_ok is False
    assert report.first_bad_seq == 11
    assert report.rows == ROWS


def test_wrong_agent_is_reported(ledger: Path) -> None:
    report = check_ledger(ledger, "someone-else")
    assert not report.ok
    assert report.agent_id == AGENT
    assert "belongs to agent 'agent-health'" in (report.problem or "")
    assert "someone-else" in report.summary()


def test_truncated_file_is_reported_clearly(ledger: Path) -> None:
    data = ledger.read_bytes()
    assert len(data) > 8192
    ledger.write_bytes(data[: len(data) // 2])
    report = check_ledger(ledger, AGENT)
    assert not report.ok
    assert report.exists
    assert report.problem
    assert "move it aside" in report.problem
    text = report.summary()
    assert text.startswith("ledger DAMAGED") or text.startswith("ledger CHAIN BROKEN")
    assert "Traceback" not in text


def test_garbage_file_is_reported_clearly(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    path.write_bytes(b"\x00garbage\xff" * 1000)
    report = check_ledger(path, AGENT)
    assert not report.ok
    assert not report.integrity_ok
    assert "not an SQLite database" in (report.problem or "")
    assert report.summary().startswith("ledger DAMAGED") or "NOT USABLE" in report.summary()


def test_empty_file_and_foreign_database(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    assert not check_ledger(empty, AGENT).ok
    foreign = tmp_path / "foreign.sqlite3"
    raw = sqlite3.connect(foreign)
    raw.execute("CREATE TABLE photos(id INTEGER)")
    raw.close()
    report = check_ledger(foreign, AGENT)
    assert not report.ok
    assert "not a Gatehouse ledger" in (report.problem or "")


def test_missing_file(tmp_path: Path) -> None:
    report = check_ledger(tmp_path / "nope.sqlite3", AGENT)
    assert not report.exists
    assert not report.ok
    assert report.summary().startswith("ledger MISSING: no ledger file at")


async def test_an_empty_ledger_is_ok(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, AGENT)
    await writer.close()
    report = check_ledger(path)
    assert report.ok
    assert report.rows == 0
    assert report.head_seq == 0
    assert report.agent_id == AGENT
