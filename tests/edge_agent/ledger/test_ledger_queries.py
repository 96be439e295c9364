"""Read-side queries on a read-only connection, against rows written by the writer."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge_agent.errors import LedgerError
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.device_store import insert_device, revoke_device
from edge_agent.ledger.manifest_store import (
    add_revocations,
    upsert_plain_codes,
    upsert_ticket_types,
)
from edge_agent.ledger.queries import (
    admission_history,
    all_revocations,
    device_by_token_hash,
    list_devices,
    lookup_plain_code,
    scan_counts,
    scans_for_ticket,
    ticket_type_names,
)
from edge_agent.ledger.records import ScanRow
from edge_agent.ledger.rows import DeviceRow, PlainCodeRow, RevocationRow, TicketTypeRow
from edge_agent.ledger.writer import LedgerWriter

pytestmark = pytest.mark.integration

AGENT = "agent-queries"


def scan(i: int, ticket_id: str | None, outcome: str, direction: str = "in") -> ScanRow:
    return ScanRow(
        f"scan-{i}", 1000 + i, f"gate-{i % 2}", "lane", "dev", "wedge", direction, "gh1",
        7 if ticket_id else None, ticket_id, 1 if ticket_id else None, None, f"{i:064x}",
        outcome, "ok" if outcome != "refuse" else "already_admitted",
    )  # fmt: skip


SCANS = [
    scan(0, "A", "admit"),
    scan(1, "A", "refuse"),
    scan(2, None, "refuse"),
    scan(3, "B", "admit"),
    scan(4, "A", "exit", "out"),
    scan(5, "A", "admit"),
]


@pytest.fixture
async def reader(tmp_path: Path) -> AsyncIterator[sqlite3.Connection]:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, AGENT)
    for row in SCANS:
        await writer.submit_scan(row)
    await writer.execute(
        lambda c: upsert_ticket_types(
            c,
            [TicketTypeRow(7, 1, "Adult"), TicketTypeRow(7, 2, "Child"), TicketTypeRow(8, 1, "X")],
        )
    )
    await writer.execute(lambda c: upsert_ticket_types(c, [TicketTypeRow(7, 2, "Kid")]))
    await writer.execute(
        lambda c: upsert_plain_codes(c, [PlainCodeRow("p" * 64, 7, "P-1", 2, 10, 20)])
    )
    await writer.execute(
        lambda c: add_revocations(
            c,
            [
                RevocationRow("R-1", "refunded", 1, "platform"),
                RevocationRow("R-2", "cancelled", 2, "box"),
            ],
        )
    )
    await writer.execute(
        lambda c: add_revocations(c, [RevocationRow("R-1", "reissued", 3, "platform")])
    )
    await writer.execute(lambda c: insert_device(c, "d1", "iPad", "scanner", "t1", 100))
    await writer.execute(lambda c: insert_device(c, "d2", "TUI", "supervisor", "t2", 200))
    await writer.execute(lambda c: revoke_device(c, "d1", 300))
    await writer.close()
    conn = open_read_connection(path)
    yield conn
    conn.close()


def test_admission_history_streams_admits_and_exits_in_seq_order(
    reader: sqlite3.Connection,
) -> None:
    assert list(admission_history(reader)) == [
        (1, "A", "admit", "in", 1000, "gate-0", "ok", None),
        (4, "B", "admit", "in", 1003, "gate-1", "ok", None),
        (5, "A", "exit", "out", 1004, "gate-0", "ok", None),
        (6, "A", "admit", "in", 1005, "gate-1", "ok", None),
    ]


def test_scans_for_ticket_rebuilds_stored_scans(reader: sqlite3.Connection) -> None:
    stored = scans_for_ticket(reader, "A")
    assert [s.seq for s in stored] == [1, 2, 5, 6]
    assert [s.row for s in stored] == [SCANS[0], SCANS[1], SCANS[4], SCANS[5]]
    assert all(s.agent_id == AGENT and len(s.chain) == 64 for s in stored)
    assert scans_for_ticket(reader, "nobody") == []


def test_scan_counts(reader: sqlite3.Connection) -> None:
    assert scan_counts(reader) == {"admit": 3, "refuse": 2, "exit": 1}


def test_manifest_queries(reader: sqlite3.Connection) -> None:
    assert ticket_type_names(reader, 7) == {1: "Adult", 2: "Kid"}
    assert ticket_type_names(reader, 99) == {}
    assert lookup_plain_code(reader, "p" * 64) == PlainCodeRow("p" * 64, 7, "P-1", 2, 10, 20)
    assert lookup_plain_code(reader, "q" * 64) is None
    assert all_revocations(reader) == {"R-1": "reissued", "R-2": "cancelled"}


def test_device_queries(reader: sqlite3.Connection) -> None:
    assert list_devices(reader) == [
        DeviceRow("d1", "iPad", "scanner", "t1", 100, 300),
        DeviceRow("d2", "TUI", "supervisor", "t2", 200, None),
    ]
    assert device_by_token_hash(reader, "t2") == DeviceRow("d2", "TUI", "supervisor", "t2", 200)
    assert device_by_token_hash(reader, "nope") is None


def test_read_connections_cannot_write(reader: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.OperationalError):
        reader.execute("INSERT INTO revocations VALUES ('x', 'y', 1, 'z')")


def test_read_connection_to_a_missing_file_explains(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="no ledger file at"):
        open_read_connection(tmp_path / "missing.sqlite3")
    assert not (tmp_path / "missing.sqlite3").exists()


async def test_readers_see_commits_while_the_writer_is_open(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, AGENT)
    conn = open_read_connection(path)
    try:
        assert scan_counts(conn) == {}
        await writer.submit_scan(SCANS[0])
        assert scan_counts(conn) == {"admit": 1}
    finally:
        conn.close()
        await writer.close()
