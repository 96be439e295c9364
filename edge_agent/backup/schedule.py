"""Scheduled backups to a mounted USB stick: ``[backup] dir = "/media/gatehouse-usb"``.

Why a task in the agent and not a cron job: it runs as the agent's user with the
agent's config, needs nothing installed or enabled, and reports in the agent's log and
``/metrics``. A copy runs in a thread (the online backup API holds one read snapshot;
the writer goes on). It refuses to write to the data dir's own disk unless told to
(``same_disk_ok``): an unmounted stick leaves an empty mount point on the SD card, and
a backup on the disk that failed is no backup. Keys and tokens are never written by the
schedule (take them once with ``edge-agent backup --with-secrets``; they do not change).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from edge_agent.backup.take import BackupError, take_backup
from edge_agent.config.sections import Config

log = logging.getLogger(__name__)


class BackupSchedule:
    def __init__(self, config: Config, clock_ms: Callable[[], int]) -> None:
        self._config = config
        self._clock_ms = clock_ms
        self._task: asyncio.Task[None] | None = None
        #: Wall ms of the last backup that completed, and the last problem.
        self.last_success_ms: int | None = None
        self.last_error: str | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="backup-schedule")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._config.backup.every_min * 60)
            await self.run_once()

    async def run_once(self) -> Path | None:
        """One backup now (also what the loop does); never raises."""
        target = Path(self._config.backup.dir)
        problem = self._unusable(target)
        if problem is None:
            try:
                done = await asyncio.to_thread(take_backup, self._config, target, self._clock_ms())
            except (BackupError, OSError) as exc:
                problem = f"backup to {target} failed: {exc}"
            else:
                self.last_success_ms, self.last_error = self._clock_ms(), None
                pruned = await asyncio.to_thread(self._prune, target)
                log.info(
                    "backup written",
                    extra={"path": str(done.path), "head_seq": done.head_seq, "pruned": pruned},
                )
                return done.path
        self.last_error = problem
        log.warning("%s", problem)
        return None

    def _unusable(self, target: Path) -> str | None:
        if not target.is_dir() or not os.access(target, os.W_OK):
            return f"backup dir {target} is not there or not writable (USB stick not mounted?)"
        same = os.stat(target).st_dev == os.stat(self._config.agent.data_dir).st_dev
        if same and not self._config.backup.same_disk_ok:
            return (
                f"backup dir {target} is on the data dir's own disk (USB stick not mounted?);"
                " not writing there"
            )
        return None

    def _prune(self, target: Path) -> int:
        """Keep the newest ``keep`` backups of this agent (names sort by time)."""
        prefix = f"gatehouse-{self._config.agent.agent_id}-"
        ours = sorted(
            p for p in target.iterdir() if p.name.startswith(prefix) and p.suffix != ".partial"
        )
        old = ours[: max(0, len(ours) - self._config.backup.keep)]
        for path in old:
            shutil.rmtree(path, ignore_errors=True)
        return len(old)
