"""How long scans waited for the writer: the figures behind "the writer never blocks a
scan longer than 20 ms" (``docs/hardening.md``).

Two waits, from ``submit_scan`` on: *blocked* until the writer took the scan into a
batch (time spent behind other work: a manifest part, another batch's commit), and
*waited* until the commit holding it returned (blocked + its own commit, whose fsync is
the disk's floor and no part of what the writer does). Measuring each scan would cost
a clock read per scan on the hot path; the oldest scan of a batch waited longest, so
the writer notes when the queue went from empty to non-empty and, per batch, how long
ago that was.
"""

from __future__ import annotations

from time import perf_counter

#: A scan held back longer than this before its batch started counts as blocked.
BLOCKED_MS = 20.0


class ScanWaits:
    """The worst waits of every batch of scans, summed up."""

    __slots__ = (
        "batches",
        "blocked",
        "blocked_max_ms",
        "max_ms",
        "queued_since",
        "slice_max_ms",
        "slices",
        "slices_over",
    )

    def __init__(self) -> None:
        #: When the oldest scan still queued arrived (``None``: no scan queued).
        self.queued_since: float | None = None
        #: The longest time to a durable commit (blocked + the batch's own commit).
        self.max_ms = 0.0
        #: The longest time a scan waited before the writer took it.
        self.blocked_max_ms = 0.0
        #: Batches whose oldest scan waited more than ``BLOCKED_MS`` to be taken.
        self.blocked = 0
        self.batches = 0
        #: Slices of long work (``execute(..., alone=True)``): how many, the longest
        #: (BEGIN to COMMIT), and how many took over ``BLOCKED_MS`` — the most any scan
        #: can be held back by the writer's own work; waiting behind other scans'
        #: fsyncs is the disk's floor.
        self.slices = 0
        self.slice_max_ms = 0.0
        self.slices_over = 0

    def note_queued(self) -> None:
        """A scan was queued; call before appending it (cheap when one is waiting)."""
        if self.queued_since is None:
            self.queued_since = perf_counter()

    def take(self, left_queued: bool) -> float | None:
        """The writer took a batch of scans: when its oldest scan arrived. Scans left
        queued (more than one batch holds) count from now."""
        since = self.queued_since
        now = perf_counter()
        self.queued_since = now if left_queued else None
        if since is not None:
            blocked = (now - since) * 1000.0
            self.blocked_max_ms = max(self.blocked_max_ms, blocked)
            if blocked > BLOCKED_MS:
                self.blocked += 1
        return since

    def note_committed(self, since: float | None) -> None:
        if since is None:
            return
        self.batches += 1
        self.max_ms = max(self.max_ms, (perf_counter() - since) * 1000.0)

    def note_slice(self, duration_ms: float) -> None:
        self.slices += 1
        self.slice_max_ms = max(self.slice_max_ms, duration_ms)
        if duration_ms > BLOCKED_MS:
            self.slices_over += 1
