"""The sync worker: one background task that keeps the agent and the platform in step.

Each round: download the manifest when ``manifest_interval_s`` has passed, upload each
stream when it has new rows (checked every second) or ``upload_interval_s`` has passed.
A failed round waits a backoff delay (exponential, full jitter) before the next; a
``sync now`` request skips any wait. The gate never waits for any of this: sync only
adds to the state the gate reads, and reads what the ledger already holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sync.backoff import Backoff
from sync.clock import ClockEstimator, ClockSample
from sync.errors import SyncError, UploadHalted

log = logging.getLogger(__name__)

#: How often the worker looks for new rows to upload.
POLL_S = 1.0
#: Longest time between saves of an unchanged sync result.
SAVE_EVERY_MS = 60_000


class ManifestSource(Protocol):
    """The download half of a link (``manifest.ManifestSync``, ``pretix.download``)."""

    cursor: str
    manifest_at_ms: int | None

    async def sync(self) -> object: ...


class UploadStream(Protocol):
    """One upload stream of a link (``outbox.Outbox``, ``pretix.upload``)."""

    stream: str
    cursor: int
    halted: str | None

    @property
    def pending(self) -> int: ...

    async def upload(self) -> object: ...


class ResultStore(Protocol):
    """Where the worker keeps the clock and each round's outcome (for status)."""

    async def save_clock(self, sample: ClockSample) -> None: ...

    async def save_result(
        self, success_ms: int | None, error: str | None, error_ms: int | None
    ) -> None: ...


@dataclass(frozen=True)
class SyncSnapshot:
    """The worker's state for ``GET /api/v1/status`` (all times agent wall clock, ms)."""

    manifest_cursor: str
    manifest_at_ms: int | None
    upload_cursors: dict[str, int]
    pending: dict[str, int]
    halted: dict[str, str]
    last_success_ms: int | None
    last_error: str | None
    last_error_ms: int | None
    backoff_until_ms: int | None
    failures: int
    clock: ClockSample | None
    rounds: int
    running: bool
    #: Rounds that ended with an error since start (``gatehouse_sync_errors_total``).
    failed_rounds: int = 0


@dataclass
class _Outcome:
    success_ms: int | None = None
    error: str | None = None
    error_ms: int | None = None
    rounds: int = 0
    failed_rounds: int = 0
    failures: list[str] = field(default_factory=list)


class SyncWorker:
    def __init__(
        self,
        *,
        manifest: ManifestSource,
        outboxes: Sequence[UploadStream],
        store: ResultStore,
        clock: ClockEstimator,
        backoff: Backoff,
        manifest_interval_s: float,
        upload_interval_s: float,
        clock_ms: Callable[[], int],
        last_success_ms: int | None = None,
        last_error: str | None = None,
        last_error_ms: int | None = None,
        poll_s: float = POLL_S,
    ) -> None:
        self._manifest = manifest
        self._outboxes = list(outboxes)
        self._store = store
        self._clock = clock
        self._backoff = backoff
        self._manifest_every = manifest_interval_s
        self._upload_every = upload_interval_s
        self._clock_ms = clock_ms
        self._poll_s = poll_s
        self._state = _Outcome(last_success_ms, last_error, last_error_ms)
        self._backoff_until: float | None = None  # monotonic
        self._next_manifest = 0.0  # monotonic; 0 = due now
        self._next_upload = 0.0
        self._wake = asyncio.Event()
        self._round_done = asyncio.Condition()
        self._now_requested = False
        self._task: asyncio.Task[None] | None = None
        self._saved_clock: ClockSample | None = None
        self._in_round = False
        self._saved_result: tuple[str | None, int | None] = (last_error, last_error_ms)
        self._saved_at_ms = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sync-worker")

    async def stop(self) -> None:
        """Cancel the task and wait for it; a half-applied page cannot exist (each page
        is one transaction), so stopping mid-download is always safe."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def sync_now(self, timeout_s: float) -> bool:
        """Run a full round at once (manifest and uploads, ignoring backoff); True if it
        finished within ``timeout_s``."""
        async with self._round_done:
            self._now_requested = True
            self._wake.set()
            # A round already under way started before this request: wait for the next.
            target = self._state.rounds + (2 if self._in_round else 1)
            try:
                await asyncio.wait_for(
                    self._round_done.wait_for(lambda: self._state.rounds >= target), timeout_s
                )
            except TimeoutError:
                return False
        return True

    def snapshot(self) -> SyncSnapshot:
        now = time.monotonic()
        until = None
        if self._backoff_until is not None and self._backoff_until > now:
            until = self._clock_ms() + int((self._backoff_until - now) * 1000)
        return SyncSnapshot(
            manifest_cursor=self._manifest.cursor,
            manifest_at_ms=self._manifest.manifest_at_ms,
            upload_cursors={o.stream: o.cursor for o in self._outboxes},
            pending={o.stream: o.pending for o in self._outboxes},
            halted={o.stream: o.halted for o in self._outboxes if o.halted},
            last_success_ms=self._state.success_ms,
            last_error=self._state.error,
            last_error_ms=self._state.error_ms,
            backoff_until_ms=until,
            failures=self._backoff.failures,
            clock=self._clock.best(self._clock_ms()),
            rounds=self._state.rounds,
            failed_rounds=self._state.failed_rounds,
            running=self._task is not None and not self._task.done(),
        )

    # ------------------------------------------------------------------ the task

    async def _run(self) -> None:
        while True:
            forced = self._now_requested
            self._now_requested = False
            self._wake.clear()
            now = time.monotonic()
            in_backoff = self._backoff_until is not None and now < self._backoff_until
            if forced or not in_backoff:
                due_manifest = forced or now >= self._next_manifest
                due_upload = forced or now >= self._next_upload or self._has_new_rows()
                if due_manifest or due_upload:
                    await self._round(due_manifest, due_upload)
            await self._sleep()

    def _has_new_rows(self) -> bool:
        return any(o.halted is None and o.pending > 0 for o in self._outboxes)

    async def _round(self, manifest: bool, upload: bool) -> None:
        self._in_round = True
        try:
            await self._round_inner(manifest, upload)
        finally:
            self._in_round = False

    async def _round_inner(self, manifest: bool, upload: bool) -> None:
        """Every failure but a halted stream backs off: 5xx and transport errors by the
        contract, 4xx (a revoked token, a refused page) so they are paced, not hammered."""
        errors: list[str] = []
        retry = False
        try:
            if manifest:
                try:
                    await self._manifest.sync()
                    self._next_manifest = time.monotonic() + self._manifest_every
                except SyncError as exc:
                    errors.append(f"manifest: {exc}")
                    retry = True
                    # Due again once the backoff ends, also after a forced round.
                    self._next_manifest = 0.0
            if upload:
                for outbox in self._outboxes:
                    if outbox.halted is not None:
                        continue
                    try:
                        await outbox.upload()
                    except UploadHalted as exc:
                        errors.append(str(exc))  # alert stays in status; no retry
                    except SyncError as exc:
                        errors.append(f"{outbox.stream}: {exc}")
                        retry = True
                self._next_upload = time.monotonic() + self._upload_every
            await self._persist_clock()
        except Exception as exc:  # a bug or the ledger: report, back off, keep going
            log.exception("sync round failed")
            errors.append(f"internal: {exc!r}")
            retry = True
        await self._finish(errors, retry)

    async def _finish(self, errors: list[str], retry: bool) -> None:
        now_ms = self._clock_ms()
        state = self._state
        if errors:
            state.error = "; ".join(errors)
            state.error_ms = now_ms
            state.failed_rounds += 1
            if retry:
                delay = self._backoff.next_delay()
                self._backoff_until = time.monotonic() + delay
                level = logging.WARNING if self._backoff.failures < 5 else logging.ERROR
                log.log(level, "sync failed (retry in %.1f s): %s", delay, state.error)
        else:
            state.success_ms = now_ms
            self._backoff.reset()
            self._backoff_until = None
        # Persisted for status after a restart: at once when the error changes, else at
        # most every SAVE_EVERY_MS (a busy gate uploads every second; the writer need
        # not record each of those rounds).
        saved = (state.error, state.error_ms)
        if saved != self._saved_result or now_ms - self._saved_at_ms >= SAVE_EVERY_MS:
            try:
                await self._store.save_result(state.success_ms, state.error, state.error_ms)
                self._saved_result = saved
                self._saved_at_ms = now_ms
            except Exception as exc:
                log.warning("could not save the sync result: %r", exc)
        async with self._round_done:
            state.rounds += 1
            self._round_done.notify_all()

    async def _persist_clock(self) -> None:
        best = self._clock.best(self._clock_ms())
        if best is not None and best != self._saved_clock:
            await self._store.save_clock(best)
            self._saved_clock = best

    async def _sleep(self) -> None:
        now = time.monotonic()
        wake_at = min(self._next_manifest, self._next_upload, now + self._poll_s)
        if self._backoff_until is not None and self._backoff_until > now:
            wake_at = max(wake_at, self._backoff_until)  # nothing runs before it ends
        delay = max(0.0, wake_at - now)
        if delay == 0.0:
            delay = 0.01  # never spin
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)
