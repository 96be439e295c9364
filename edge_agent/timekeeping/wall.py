"""The wall clock the agent reads, with a seam for tests of a wrong clock.

Production reads ``time.time_ns()``. A test of clock faults (a jump of an hour, a Pi
without RTC that starts in 1970) runs the real agent process with
``GATEHOUSE_TEST_CLOCK_FILE`` naming a file that holds an offset in milliseconds; the
agent's wall clock is then the real one plus that offset, and the test moves it by
rewriting the file while the agent runs. Only the agent's own reads move (not the
kernel's, not the platform's), which is exactly a box whose clock is wrong. The seam is
loud: the agent logs a warning at start when it is set.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

TEST_CLOCK_ENV = "GATEHOUSE_TEST_CLOCK_FILE"
#: How often the test clock looks at its file's modification time.
_RECHECK_NS = 10_000_000


def real_wall_ms() -> int:
    return time.time_ns() // 1_000_000


class ShiftedWallClock:
    """The real wall clock plus the offset (ms) written in ``path``, re-read on change."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp = -1
        self._checked = 0
        self.offset_ms = 0
        self._reload()

    def _reload(self) -> None:
        try:
            stamp = self._path.stat().st_mtime_ns
            if stamp != self._stamp:
                self.offset_ms = int(self._path.read_text().strip() or 0)
                self._stamp = stamp
        except (OSError, ValueError):
            pass  # mid-rewrite: keep the last offset

    def __call__(self) -> int:
        now = time.monotonic_ns()
        if now - self._checked > _RECHECK_NS:
            self._checked = now
            self._reload()
        return time.time_ns() // 1_000_000 + self.offset_ms


def wall_source() -> Callable[[], int]:
    """The agent's wall clock: the real one, or the shifted test clock when the env var
    names a file."""
    name = os.environ.get(TEST_CLOCK_ENV)
    if not name:
        return real_wall_ms
    log.warning(
        "TEST CLOCK: the wall clock is shifted by the offset in %s (%s is for tests only)",
        name,
        TEST_CLOCK_ENV,
    )
    return ShiftedWallClock(Path(name))
