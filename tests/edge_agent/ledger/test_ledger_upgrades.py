"""Every ledger migration, from every earlier schema version, on a file made by that
version's own code (``fixtures/ledger-v<N>.sql``, ``scripts/ledger-fixtures.sh``); and a
failed upgrade leaves the old file exactly as it was."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from edge_agent.errors import LedgerError
from edge_agent.ledger import schema
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.schema import MIGRATIONS, SCHEMA_VERSION
from edge_agent.ledger.writer import LedgerWriter
from tests.helpers import scan_row

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent / "fixtures"
AGENT = "fixture-box"  # make_ledger_fixture.AGENT_ID
OLD_VERSIONS = list(range(1, SCHEMA_VERSION))
#: Version 1 as the first build wrote it hashes 19 fields per row (``manifest_at_ms`` came
#: later, into migration 1 itself): it is refused by name, never upgraded (schema.py).
UPGRADABLE = [v for v in OLD_VERSIONS if v >= 2]


def load_fixture(version: int, path: Path) -> Path:
    """The dump of ``version`` as a WAL ledger file, as that version left it on disk."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript((FIXTURES / f"ledger-v{version}.sql").read_text(encoding="utf-8"))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return path


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        return [*conn.iterdump(), f"user_version={version}"]
    finally:
        conn.close()


def test_there_is_a_fixture_for_every_earlier_version() -> None:
    found = sorted(int(p.stem.removeprefix("ledger-v")) for p in FIXTURES.glob("ledger-v*.sql"))
    # the current version's fixture may exist already: the next version upgrades from it
    assert set(OLD_VERSIONS) <= set(found) <= {*OLD_VERSIONS, SCHEMA_VERSION}, (
        "add the new version's commit to scripts/ledger-fixtures.sh"
    )
    for version in found:
        head = (FIXTURES / f"ledger-v{version}.sql").read_text(encoding="utf-8").splitlines()[0]
        assert head == f"-- ledger fixture made by the schema-version-{version} edge-agent"


async def test_the_first_builds_version_1_is_refused_by_name_and_left_alone(
    tmp_path: Path,
) -> None:
    path = load_fixture(1, tmp_path / "ledger.sqlite3")
    digest = file_digest(path)
    with pytest.raises(LedgerError, match=r"pre-release edge-agent .* cannot be upgraded"):
        await LedgerWriter.open(path, AGENT)
    assert file_digest(path) == digest


@pytest.mark.parametrize("version", UPGRADABLE)
async def test_upgrade_from_each_version_keeps_rows_and_chains(
    version: int, tmp_path: Path
) -> None:
    path = load_fixture(version, tmp_path / "ledger.sqlite3")
    before = sqlite3.connect(path)
    scans_before = before.execute("SELECT seq, scan_id, chain FROM scans ORDER BY seq").fetchall()
    tables = {r[0] for r in before.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
    sales_before = (
        before.execute("SELECT seq, chain FROM sales").fetchall() if "sales" in tables else []
    )
    before.close()
    assert len(scans_before) == 4

    writer = await LedgerWriter.open(path, AGENT)
    try:
        assert writer.head_seq == 4
        stored = await writer.submit_scan(scan_row(99))
        assert stored.seq == 5  # the chain goes on where that version left it
    finally:
        await writer.close()

    report = check_ledger(path, AGENT)
    assert report.ok, report.summary()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        after = conn.execute("SELECT seq, scan_id, chain FROM scans WHERE seq <= 4").fetchall()
        assert after == scans_before
        assert conn.execute("SELECT name, role FROM devices").fetchall() == [("Lane 1", "scanner")]
        assert conn.execute("SELECT kind FROM revocations").fetchall() == [("refunded",)]
        if version >= 2:  # what sync had stored survives: the next upload starts after it
            row = conn.execute(
                "SELECT manifest_cursor, clock_offset_ms FROM sync_state WHERE id = 1"
            ).fetchone()
            assert row == ("c-7", -42)
            cursors = conn.execute("SELECT stream, uploaded_through_seq FROM upload_cursors")
            assert dict(cursors.fetchall()) == {"scans": 2}
        if sales_before:
            assert conn.execute("SELECT seq, chain FROM sales").fetchall() == sales_before
        if version >= 4:
            assert conn.execute("SELECT count(*) FROM chain_checkpoints").fetchone()[0] == 1
        assert conn.execute("SELECT ext FROM scans WHERE seq = 5").fetchone() == (None,)
    finally:
        conn.close()


def _failing_last(real: Callable[[sqlite3.Connection], None]) -> Callable[..., None]:
    def migration(conn: sqlite3.Connection) -> None:
        real(conn)  # it did its DDL, then something went wrong
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("injected failure in the last migration")

    return migration


@pytest.mark.parametrize("version", UPGRADABLE)
async def test_a_failed_upgrade_leaves_the_old_file_untouched(
    version: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = load_fixture(version, tmp_path / "ledger.sqlite3")
    digest, content = file_digest(path), dump(path)
    broken = (*MIGRATIONS[:-1], _failing_last(MIGRATIONS[-1]))
    monkeypatch.setattr(schema, "MIGRATIONS", broken)

    with pytest.raises(RuntimeError, match="injected failure"):
        await LedgerWriter.open(path, AGENT)

    assert file_digest(path) == digest  # byte for byte
    assert dump(path) == content
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # noqa: ASYNC240

    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS)  # the fixed release
    writer = await LedgerWriter.open(path, AGENT)
    try:
        assert (await writer.submit_scan(scan_row(7))).seq == 5
    finally:
        await writer.close()
    report = check_ledger(path, AGENT)
    assert report.ok, report.summary()
