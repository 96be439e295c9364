"""Scan-row extensions (``docs/ledger.md``, "Extensions"): an optional object after the
twenty ledger-v1 fields, hashed like them, carried through the writer, the start-up
check and evidence packs; rows without one keep their bytes. (The platform's side is in
``tests/reference_platform/test_ingestion.py``.)
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from edge_agent.evidence.core.canonical import canonical_json
from edge_agent.evidence.core.verify import verify_pack
from edge_agent.ledger.canonical_fast import canonical_values
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.migrations.scan_extensions import v5_scan_extensions
from edge_agent.ledger.records import (
    EXT_MAX_BYTES,
    canonical_scan_bytes,
    decode_ext,
    encode_ext,
    genesis_chain,
    next_chain,
    scan_values,
)
from edge_agent.ledger.schema import MIGRATIONS
from edge_agent.ledger.writer import LedgerWriter
from tests.edge_agent.evidence.packs import build
from tests.helpers import scan_row

pytestmark = pytest.mark.integration

AGENT = "gate-x"


def test_an_extension_is_canonical_json_with_sorted_keys() -> None:
    assert encode_ext({"zone": "hall-b", "claim": "unconfirmed", "n": 2}) == (
        '{"claim":"unconfirmed","n":2,"zone":"hall-b"}'
    )
    assert encode_ext({}) is None
    assert decode_ext('{"claim":"unconfirmed"}') == {"claim": "unconfirmed"}


@pytest.mark.parametrize(
    ("attrs", "problem"),
    [
        ({"Claim": "x"}, "short lowercase name"),
        ({"a-b": "x"}, "short lowercase name"),
        ({"claim": 1.5}, "float is not str/int/bool"),
        ({"claim": None}, "NoneType is not str/int/bool"),
        ({"claim": ["a"]}, "list is not str/int/bool"),
        ({"note": "x" * EXT_MAX_BYTES}, f"longer than {EXT_MAX_BYTES} bytes"),
    ],
)
def test_bad_extensions_are_refused_naming_the_problem(attrs: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        encode_ext(attrs)


@pytest.mark.parametrize("doc", ["[1]", "{}", "not json", 7, []])
def test_what_is_no_extension_cannot_be_decoded(doc: object) -> None:
    with pytest.raises(ValueError, match="extension"):
        decode_ext(doc)


def test_canonical_bytes_gain_one_last_element_and_rows_without_keep_theirs() -> None:
    plain = scan_row(1)
    extended = plain._replace(ext=encode_ext({"claim": "unconfirmed"}))
    before = canonical_scan_bytes(1, AGENT, plain)
    assert before == json.dumps(list(scan_values(1, AGENT, plain)), separators=(",", ":")).encode()
    after = canonical_scan_bytes(1, AGENT, extended)
    assert json.loads(after) == [*json.loads(before), {"claim": "unconfirmed"}]
    assert after == before[:-1] + b',{"claim":"unconfirmed"}]'
    # the writer's fast encoder agrees on the fields it encodes
    assert canonical_values(scan_values(1, AGENT, plain)) == before


async def test_the_writer_chains_extensions_and_the_start_check_recomputes_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, AGENT)
    rows = [
        scan_row(i, ext=encode_ext({"claim": "unconfirmed", "peer": "gate-2"}) if i % 3 else None)
        for i in range(1, 10)
    ]
    stored = [await writer.submit_scan(row) for row in rows]
    await writer.close()
    chain = genesis_chain(AGENT)
    for s in stored:  # the chain the writer stored is the contract's, row by row
        chain = next_chain(chain, canonical_scan_bytes(s.seq, AGENT, s.row))
        assert s.chain == chain.hex()
    report = check_ledger(path, AGENT)
    assert report.ok and report.rows == 9, report.summary()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT ext FROM scans WHERE seq = 1").fetchone()[0] == (
        '{"claim":"unconfirmed","peer":"gate-2"}'
    )
    assert raw.execute("SELECT ext FROM scans WHERE seq = 3").fetchone()[0] is None
    # an attacker who edits an extension (triggers dropped) breaks the chain there
    raw.execute("DROP TRIGGER scans_no_update")
    raw.execute("""UPDATE scans SET ext = '{"claim":"confirmed","peer":"gate-2"}' WHERE seq = 4""")
    raw.commit()
    raw.close()
    broken = check_ledger(path, AGENT)
    assert not broken.ok and broken.first_bad_seq == 4


async def test_a_damaged_extension_fails_the_chain_not_the_check(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, AGENT)
    for i in range(1, 4):
        await writer.submit_scan(scan_row(i, ext=encode_ext({"claim": "unconfirmed"})))
    await writer.close()
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER scans_no_update")
    raw.execute("UPDATE scans SET ext = '{not json' WHERE seq = 2")
    raw.commit()
    raw.close()
    report = check_ledger(path, AGENT)
    assert not report.ok and report.first_bad_seq == 2


async def test_a_version_4_ledger_migrates_and_its_rows_still_verify(tmp_path: Path) -> None:
    """Rows written before extensions existed keep their chain after migration 5."""
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, AGENT)
    for i in range(1, 6):
        await writer.submit_scan(scan_row(i))
    await writer.close()
    # Take the file back to version 4 exactly: the table as migration 1 made it.
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute("ALTER TABLE scans DROP COLUMN ext")
    # ... and without what later migrations added (migration 6: the pretix link)
    raw.execute("ALTER TABLE plain_codes DROP COLUMN subevent")
    for table in ("products", "state", "positions", "checkins", "conflicts"):
        raw.execute(f"DROP TABLE pretix_{table}")
    raw.execute("DROP INDEX manifest_tickets_flagged")  # and what migration 7 added
    for table in ("ticket_types", "manifest_tickets"):
        raw.execute(f"ALTER TABLE {table} DROP COLUMN flags")
        raw.execute(f"ALTER TABLE {table} DROP COLUMN note")
    for table in ("mesh_applied", "mesh_resolved", "mesh_conflicts"):  # and migration 8's
        raw.execute(f"DROP TABLE {table}")
    raw.execute("DROP TABLE scan_requests")  # and migration 9's
    raw.execute("DROP TABLE admission_halts")  # and migration 10's
    raw.execute("DROP TABLE manifest_lookup")  # and migration 11's (its triggers say IF NOT EXISTS)
    raw.execute(f"PRAGMA user_version = {MIGRATIONS.index(v5_scan_extensions)}")
    raw.commit()
    raw.close()
    # the agent checks the ledger before its writer migrates it: no ext column yet
    assert check_ledger(path, AGENT).ok
    writer = await LedgerWriter.open(path, AGENT)  # migrates to the current version
    await writer.submit_scan(scan_row(6, ext=encode_ext({"claim": "unconfirmed"})))
    await writer.close()
    report = check_ledger(path, AGENT)
    assert report.ok and report.rows == 6, report.summary()


def test_an_evidence_pack_proves_a_row_with_an_extension_and_names_an_edit() -> None:
    built = build(ext_at={2: {"claim": "unconfirmed"}, 3: {"claim": "unconfirmed"}})
    sig = json.dumps(built.signature.to_json_dict()).encode()
    report = verify_pack(built.pack_bytes, sig)
    assert report.ok, report.problems
    first = next(s for s in built.pack["scans"] if s["seq"] == 2)
    assert first["extension"] == {"claim": "unconfirmed"}
    # edit the extension shown for the scan: the verifier names it
    pack: dict[str, Any] = json.loads(built.pack_bytes)
    for scan in pack["scans"]:
        if scan["seq"] == 2:
            scan["extension"] = {"claim": "confirmed"}
    edited = verify_pack(canonical_json(pack), sig)
    assert not edited.ok
    # edit it inside the proven row: the chain breaks there
    pack = json.loads(built.pack_bytes)
    for ledger in pack["ledgers"]:
        for segment in ledger["segments"]:
            first_seq = segment["first_seq"]
            for offset, values in enumerate(segment["rows"]):
                if first_seq + offset == 2:
                    values[-1] = {"claim": "confirmed"}
    altered = verify_pack(canonical_json(pack), sig)
    assert not altered.ok
    assert any("seq 2" in p for p in altered.problems), altered.problems
