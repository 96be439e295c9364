"""A deleted WAL after a crash is refused by name, never silently opened (issue 17);
a clean stop, a backup copy and a pre-marker ledger open as before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from edge_agent.errors import LedgerCorrupt
from edge_agent.ledger.wal_guard import CLOSED, OPEN, check_wal_not_lost, marker_in_main_file
from edge_agent.ledger.writer import LedgerWriter
from tests.helpers import scan_row
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.integration

AGENT = "agent-wal"
#: A writer that commits rows and is then killed before it can close cleanly.
CHILD = f"""
import asyncio, os, signal, sys
from pathlib import Path
from edge_agent.ledger.writer import LedgerWriter
from tests.helpers import scan_row
async def main():
    w = await LedgerWriter.open(Path(sys.argv[1]), "{AGENT}")
    for i in range(50):
        await w.submit_scan(scan_row(i))
    os.kill(os.getpid(), signal.SIGKILL)
asyncio.run(main())
"""


def crash_after_rows(path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run([sys.executable, "-c", CHILD, str(path)], env=env, timeout=60,
                         check=False, capture_output=True)  # fmt: skip
    assert run.returncode == -signal.SIGKILL, run.stderr


async def test_a_wal_deleted_after_a_crash_is_refused_and_nothing_is_rebuilt(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.sqlite3"
    crash_after_rows(path)
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size > 0 and marker_in_main_file(path) == OPEN
    wal.unlink()
    path.with_name(path.name + "-shm").unlink(missing_ok=True)
    before = path.read_bytes()
    with pytest.raises(LedgerCorrupt, match=r"write-ahead log .* is missing"):
        await LedgerWriter.open(path, AGENT)
    assert path.read_bytes() == before and not wal.exists()  # untouched, no new WAL


async def test_a_crash_with_its_wal_and_a_clean_stop_open_as_usual(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    crash_after_rows(path)
    writer = await LedgerWriter.open(path, AGENT)  # the WAL is there: recovered
    assert writer.head_seq == 50
    await writer.submit_scan(scan_row(50))
    await writer.close()
    assert marker_in_main_file(path) == CLOSED
    assert not path.with_name(path.name + "-wal").exists()
    check_wal_not_lost(path)  # a clean stop leaves no WAL, and that is fine
