"""How long scans waited for the writer: the figure behind "the writer never blocks a
scan longer than 20 ms" (``docs/hardening.md``).

A scan's wait is the time from ``submit_scan`` until the commit holding it returned.
Measuring each scan would cost a clock read per scan on the hot path; the oldest scan
of a batch waited longest, so the writer notes when the queue went from empty to
non-empty and, after each commit, how long ago that was: the batch's worst wait.
"""

from __future__ import annotations

from time import perf_counter

#: A scan that waited longer than this counts as blocked (issue 17).
BLOCKED_MS = 20.0


class ScanWaits:
    """The worst wait of every committed batch of scans, summed up."""

    __slots__ = ("batches", "blocked", "max_ms", "queued_since")

    def __init__(self) -> None:
        #: When the oldest scan still queued arrived (``None``: no scan queued).
        self.queued_since: float | None = None
        self.max_ms = 0.0
        #: Batches whose oldest scan waited more than ``BLOCKED_MS``.
        self.blocked = 0
        self.batches = 0

    def note_queued(self) -> None:
        """A scan was queued; call before appending it (cheap when one is waiting)."""
        if self.queued_since is None:
            self.queued_since = perf_counter()

    def take(self, left_queued: bool) -> float | None:
        """The writer took a batch of scans: when its oldest scan arrived. Scans left
        queued (more than one batch holds) count from now."""
        since = self.queued_since
        self.queued_since = perf_counter() if left_queued else None
        return since

    def note_committed(self, since: float | None) -> None:
        if since is None:
            return
        waited = (perf_counter() - since) * 1000.0
        self.batches += 1
        if waited > self.max_ms:
            self.max_ms = waited
        if waited > BLOCKED_MS:
            self.blocked += 1
