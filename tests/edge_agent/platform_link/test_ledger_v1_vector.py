"""A pinned ledger-v1 vector with the final field list (``manifest_at_ms`` last): the
canonical bytes and chain values the platform and evidence packs recompute. If this
test fails, the contract changed — that needs a new format, not a new expected value."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.records import SCAN_FIELDS, ScanRow, canonical_scan_bytes
from edge_agent.ledger.writer import LedgerWriter

pytestmark = pytest.mark.integration

ROW_1 = ScanRow(
    "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", 1767205327000, "gate-3", "lane-1", "scanner-1",
    "http", "in", "gh1", 1001, "T-000001", 1, "a2a8de93", "ab" * 32, "admit", "admitted",
    None, None, 1767205300000,
)  # fmt: skip
ROW_2 = ROW_1._replace(
    scan_id="0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c",
    lane="Lañe ✓",
    outcome="refuse",
    reason="already_admitted",
    manifest_at_ms=None,
)
BYTES_1 = (
    '[1,"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","gate-a",1767205327000,"gate-3","lane-1",'
    '"scanner-1","http","in","gh1",1001,"T-000001",1,"a2a8de93","' + "ab" * 32 + '",'
    '"admit","admitted",null,null,1767205300000]'
).encode()
BYTES_2 = (
    '[2,"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c","gate-a",1767205327000,"gate-3","Lañe ✓",'
    '"scanner-1","http","in","gh1",1001,"T-000001",1,"a2a8de93","' + "ab" * 32 + '",'
    '"refuse","already_admitted",null,null,null]'
).encode()
GENESIS = "511484e8b407e79efde75a048229fd13b5d1f542c791db1de7cc5d778ed665f3"
CHAIN_1 = "de8bde7b7ae1ba9cf98483eb7e607b53dc4a5fd9fdefdbb7cc6b8c5315c257a0"
CHAIN_2 = "4276eb52be66aa2a750c2fb6139cc4ccbbc18f914cdc0f552ea71833eab18a70"


def test_the_field_list_ends_with_manifest_at_ms() -> None:
    assert SCAN_FIELDS[-3:] == ("override_operator", "override_reason", "manifest_at_ms")
    assert len(SCAN_FIELDS) == 20


def test_canonical_bytes_and_chain_match_the_pinned_vector() -> None:
    assert canonical_scan_bytes(1, "gate-a", ROW_1) == BYTES_1
    assert canonical_scan_bytes(2, "gate-a", ROW_2) == BYTES_2
    genesis = hashlib.sha256(b"gatehouse-ledger-v1\x00gate-a").hexdigest()
    assert genesis == GENESIS
    chain_1 = hashlib.sha256(bytes.fromhex(GENESIS) + BYTES_1).hexdigest()
    assert chain_1 == CHAIN_1
    assert hashlib.sha256(bytes.fromhex(CHAIN_1) + BYTES_2).hexdigest() == CHAIN_2


async def test_the_writer_stores_exactly_the_vector(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, "gate-a")
    stored = [await writer.submit_scan(ROW_1), await writer.submit_scan(ROW_2)]
    await writer.close()
    assert [s.chain for s in stored] == [CHAIN_1, CHAIN_2]
    conn = open_read_connection(path)
    try:
        rows = conn.execute("SELECT manifest_at_ms, chain FROM scans ORDER BY seq").fetchall()
    finally:
        conn.close()
    assert rows == [(1767205300000, CHAIN_1), (None, CHAIN_2)]
