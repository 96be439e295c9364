"""kill -9 in the middle of appending: every row the child reported durable is on disk
with its seq and scan_id, the chain verifies, and a new writer continues from the head."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.records import ScanRow
from edge_agent.ledger.writer import LedgerWriter
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.integration

AGENT = "agent-kill"
CHILD = Path(__file__).with_name("ledger_kill_child.py")
REPO = REPO_ROOT
TARGET = 2000
DEADLINE_S = 60.0


def run_child_until_killed(path: Path, tag: str) -> dict[int, str]:
    """Start the child, collect its ``durable`` lines until TARGET, then SIGKILL it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(path), AGENT, tag],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    durable: dict[int, str] = {}
    buffer = b""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + DEADLINE_S
    try:
        while len(durable) < TARGET:
            left = deadline - time.monotonic()
            assert left > 0, f"child reported only {len(durable)} durable rows in time"
            if not sel.select(timeout=left):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"child exited early (rc={proc.wait()}): {err}")
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                word, seq, scan_id = line.decode().split()
                assert word == "durable"
                durable[int(seq)] = scan_id
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: the writer is still appending
        proc.wait(timeout=10)
        sel.close()
        proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return durable


@pytest.mark.slow
async def test_rows_reported_durable_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    durable = run_child_until_killed(path, "first")
    # A second life on the same file, killed again, must continue the same chain.
    durable.update(run_child_until_killed(path, "second"))

    report = check_ledger(path, AGENT)
    assert report.ok, report.summary()
    conn = open_read_connection(path)
    try:
        stored = dict(conn.execute("SELECT seq, scan_id FROM scans"))
    finally:
        conn.close()
    missing = {seq: sid for seq, sid in durable.items() if stored.get(seq) != sid}
    assert not missing, f"{len(missing)} rows reported durable are not on disk"
    assert report.head_seq >= max(durable)
    assert report.rows == report.head_seq  # no gaps

    writer = await LedgerWriter.open(path, AGENT)
    assert (writer.head_seq, writer.head_chain) == (report.head_seq, report.head_chain)
    row = ScanRow("after-kill", 1, "g", "l", "d", "wedge", "in", "gh1", 7, "T1", 1, "k1",
                  "0" * 64, "admit", "ok")  # fmt: skip
    stored_row = await writer.submit_scan(row)
    await writer.close()
    assert stored_row.seq == report.head_seq + 1
    assert check_ledger(path, AGENT).ok
