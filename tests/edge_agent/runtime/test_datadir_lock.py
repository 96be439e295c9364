"""One agent per data dir: a second holder in another process gets LedgerBusy naming
the first one's pid; a released (or dead) holder's lock can be taken again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge_agent.errors import LedgerBusy
from edge_agent.ledger.lock import DataDirLock
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.integration

REPO = REPO_ROOT

TRY_LOCK = """
import sys
from pathlib import Path
from edge_agent.errors import LedgerBusy
from edge_agent.ledger.lock import DataDirLock
try:
    DataDirLock(Path(sys.argv[1])).acquire()
except LedgerBusy as exc:
    print(exc)
    sys.exit(3)
print("acquired")
"""

HOLD_LOCK = """
import sys, time
from pathlib import Path
from edge_agent.ledger.lock import DataDirLock
lock = DataDirLock(Path(sys.argv[1]))
lock.acquire()
print("holding", flush=True)
time.sleep(60)
"""


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def test_second_process_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    with DataDirLock(tmp_path) as lock:
        assert lock.held
        result = subprocess.run(
            python(TRY_LOCK, str(tmp_path)), capture_output=True, text=True, env=env(), timeout=30
        )
        assert result.returncode == 3, result.stderr
        message = result.stdout.strip()
        assert (
            f"another edge-agent (pid {os.getpid()}) is already using data dir {tmp_path}"
            in message
        )
        assert "systemctl stop gatehouse" in message
    # Released: another process can take it now.
    result = subprocess.run(
        python(TRY_LOCK, str(tmp_path)), capture_output=True, text=True, env=env(), timeout=30
    )
    assert result.returncode == 0
    assert result.stdout.strip() == "acquired"


def test_lock_held_by_another_process_and_freed_when_it_dies(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        python(HOLD_LOCK, str(tmp_path)), stdout=subprocess.PIPE, text=True, env=env()
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(LedgerBusy, match=rf"pid {holder.pid}\)"):
            DataDirLock(tmp_path).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        if holder.stdout:
            holder.stdout.close()
    deadline = time.monotonic() + 5
    lock = DataDirLock(tmp_path)
    while True:  # the kernel drops a dead process's flock at once; allow for scheduling
        try:
            lock.acquire()
            break
        except LedgerBusy:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert (tmp_path / "agent.lock").read_text().strip() == str(os.getpid())
    lock.release()
    lock.release()  # idempotent


def test_released_lock_can_be_reacquired_in_process(tmp_path: Path) -> None:
    first = DataDirLock(tmp_path)
    first.acquire()
    with pytest.raises(LedgerBusy):
        DataDirLock(tmp_path).acquire()
    first.release()
    second = DataDirLock(tmp_path)
    second.acquire()
    assert second.held
    second.release()
    first.acquire()
    first.release()
