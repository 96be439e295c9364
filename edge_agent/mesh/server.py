"""The box's ``nats-server`` as a supervised child process.

Started by the agent with the config rendered from the roster, restarted with backoff
if it dies (a crash must not leave the box without its replica for the rest of the
night), reloaded with SIGHUP when the roster changes (new members' pins and NKEYs, a
removed member's dropped: nats-server closes its routes and clients on reload), and
stopped with SIGTERM at agent stop, which hands stream leadership over to another
member within tens of milliseconds instead of leaving it to a 4–9 s election.

On Linux the child gets ``PR_SET_PDEATHSIG``: if the agent is killed (SIGKILL, OOM),
its server goes too, so a dead box is dead as a whole and nothing keeps a stale port.

``external = True`` is for sites that run the server as its own systemd unit
(``deploy/gatehouse-nats.service``): the agent then only writes the config and signals
the pid in the pid file; starting and stopping is systemd's.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from edge_agent.mesh.errors import ServerStartFailed

log = logging.getLogger(__name__)

#: Backoff between restarts after the server died (seconds), reset after a good minute.
RESTART_BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
_GOOD_RUN_S = 60.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """``preexec_fn``: SIGKILL this child when the agent's thread that made it dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class NatsServer:
    def __init__(
        self,
        binary: Path,
        config_file: Path,
        pid_file: Path,
        start_log: Path,
        probe: tuple[str, int],
        *,
        external: bool = False,
    ) -> None:
        self._binary = binary
        self._config = config_file
        self._pid_file = pid_file
        self._start_log = start_log
        self._probe = probe
        self._external = external
        self._proc: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False
        #: Times the server died and was started again (status, metrics).
        self.restarts = 0
        self.last_exit: int | None = None

    @property
    def pid(self) -> int | None:
        if self._external:
            try:
                return int(self._pid_file.read_text().strip())
            except (OSError, ValueError):
                return None
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None and port_open(*self._probe)

    async def start(self, timeout_s: float = 15.0) -> None:
        """Start the child and wait until its client port accepts connections."""
        self._stopping = False
        if not self._external:
            await self._spawn()
            self._watch = asyncio.get_running_loop().create_task(
                self._supervise(), name="nats-server-supervisor"
            )
        await self._wait_port(timeout_s)

    async def _spawn(self) -> None:
        with open(self._start_log, "wb") as err:  # noqa: ASYNC230 - a local file, truncated
            self._proc = await asyncio.create_subprocess_exec(
                str(self._binary),
                "-c",
                str(self._config),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                preexec_fn=_die_with_parent,
            )
        log.info("mesh: nats-server started", extra={"pid": self._proc.pid})

    async def _wait_port(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        loop = asyncio.get_running_loop()
        while time.monotonic() < deadline:
            if await loop.run_in_executor(None, port_open, *self._probe):
                return
            proc = self._proc
            if not self._external and proc is not None and proc.returncode is not None:
                break
            await asyncio.sleep(0.02)
        raise ServerStartFailed(f"nats-server did not start: {self.last_words()}")

    def last_words(self) -> str:
        """The server's last complaint (its start log, else its log file's tail)."""
        with contextlib.suppress(OSError):
            lines = self._start_log.read_text(errors="replace").strip().splitlines()
            if lines:
                return lines[-1][-300:]
        return "no output (see the mesh's nats.log)"

    async def _supervise(self) -> None:
        attempt = 0
        while not self._stopping:
            proc = self._proc
            if proc is None:
                return
            started = time.monotonic()
            code = await proc.wait()
            if self._stopping:
                return
            self.last_exit = code
            if time.monotonic() - started > _GOOD_RUN_S:
                attempt = 0
            delay = RESTART_BACKOFF[min(attempt, len(RESTART_BACKOFF) - 1)]
            attempt += 1
            log.error(
                "mesh: nats-server exited (%s); restarting in %.1f s: %s",
                code,
                delay,
                self.last_words(),
            )
            await asyncio.sleep(delay)
            if self._stopping:
                return
            try:
                await self._spawn()
                self.restarts += 1
            except OSError as exc:
                log.error("mesh: cannot start nats-server: %s", exc)

    def reload(self) -> bool:
        """SIGHUP: the server re-reads its config (pins, users, routes). False when no
        server runs to be told."""
        pid = self.pid
        if pid is None:
            return False
        try:
            os.kill(pid, signal.SIGHUP)
        except ProcessLookupError:
            return False
        log.info("mesh: nats-server reloading its config")
        return True

    async def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM (leadership handed over), then SIGKILL if it does not exit in time."""
        self._stopping = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        proc = self._proc
        if self._external or proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        log.info("mesh: nats-server stopped")
