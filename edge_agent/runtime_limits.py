"""Open files against the process's limit, watched so status warns before the limit.

Why: every LAN connection, WebSocket, scanner and SQLite file is a descriptor. At the
soft ``RLIMIT_NOFILE`` (1,024 by default; the unit's ``LimitNOFILE`` sets it) ``accept()``
fails and the agent stops answering scans. The API's connection caps keep strangers
below it; this watch makes the margin visible: ``open_files_near_limit`` in status and
the log from ``WARN_RATIO`` of the limit, an error from ``ERROR_RATIO``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource

from edge_agent.alarms import OPEN_FILES, AlarmBoard

WARN_RATIO = 0.75
ERROR_RATIO = 0.9
#: How often the watch counts (one ``listdir`` of ``/proc/self/fd``: ~0.1 ms for 1,000).
#: A laptop opens a thousand connections in about a second: a slower watch saw the
#: limit reached before it saw the margin go (measured by ``make hardening``).
EVERY_S = 0.25


def open_files() -> int | None:
    """Descriptors open now (``/proc/self/fd``; ``None`` where there is no /proc)."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def file_limit() -> int:
    """The soft ``RLIMIT_NOFILE``: where ``accept()`` starts failing."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def check_open_files(board: AlarmBoard, used: int | None, limit: int) -> None:
    """Raise, change or clear the alarm for ``used`` of ``limit`` descriptors."""
    if used is None or limit <= 0 or limit == resource.RLIM_INFINITY:
        board.clear(OPEN_FILES)
        return
    ratio = used / limit
    if ratio < WARN_RATIO:
        board.clear(OPEN_FILES)
        return
    level = "error" if ratio >= ERROR_RATIO else "warning"
    # Rounded to tens so a count moving by one does not log a new line each second.
    board.raise_alarm(
        OPEN_FILES,
        level,
        f"{used // 10 * 10}+ of {limit} open files in use: new connections will soon be "
        "refused (too many clients connected, or a client holding connections open)",
    )


class OpenFilesWatch:
    """Counts open files every ``EVERY_S`` on the event loop while the agent runs."""

    def __init__(self, board: AlarmBoard, every_s: float = EVERY_S) -> None:
        self._board = board
        self._every_s = every_s
        self._task: asyncio.Task[None] | None = None
        self.used: int | None = None
        self.limit = file_limit()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="open-files")

    def check(self) -> None:
        self.used = open_files()
        self.limit = file_limit()
        check_open_files(self._board, self.used, self.limit)

    async def _run(self) -> None:
        while True:
            self.check()
            await asyncio.sleep(self._every_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
