"""One agent per data dir: an exclusive ``flock`` on ``<data_dir>/agent.lock``.

Two agents on one ledger would each believe they own the chain head and fork it. The
kernel drops the lock when the process dies (even by SIGKILL), so a crash never leaves
a stale lock behind; the pid written into the file is only there to name the holder.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from edge_agent.errors import LedgerBusy, LedgerError

LOCK_NAME = "agent.lock"


class DataDirLock:
    """``with DataDirLock(data_dir): ...`` or ``acquire()`` / ``release()``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise ``LedgerBusy`` naming the pid that holds it."""
        if self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise LedgerError(
                f"cannot create lock file {self.path} ({exc.strerror}); check that the data "
                "dir exists and is writable by the user running edge-agent"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise LedgerBusy(
                f"another edge-agent (pid {holder}) is already using data dir "
                f"{self.data_dir}; stop it first (systemctl stop gatehouse) or point this "
                "one at another data_dir"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise LedgerError(f"cannot lock {self.path}: {exc.strerror}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent). The file stays; deleting it would race a new holder."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return "unknown"
    return text if text.isdigit() else "unknown"
