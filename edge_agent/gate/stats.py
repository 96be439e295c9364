"""Live counters for status pages: verdicts by outcome, reason, lane and device, the
scans of the last minute, the last few scans. Counting only: parts that want to hear
of each scan subscribe to the pipeline (``scan_listeners``)."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge_agent.domain.decide import Decision
    from edge_agent.gate.pipeline import ScanResult

#: Scans per minute are counted in one-second buckets over this many seconds.
_RATE_WINDOW_S = 60


class GateStats:
    def __init__(self, recent: int = 20) -> None:
        self.by_outcome: Counter[str] = Counter()
        self.by_reason: Counter[str] = Counter()
        #: lane -> outcome -> count; device id -> outcome -> count (the dashboard's table)
        self.by_lane: dict[str, Counter[str]] = {}
        self.by_device: dict[str, Counter[str]] = {}
        self.not_recorded = 0
        self._recent: deque[ScanResult] = deque(maxlen=recent)
        # (second, count) of the last minute, oldest first: O(1) per scan, no timers
        self._seconds: deque[list[int]] = deque()

    def record(self, result: ScanResult) -> None:
        d = result.decision
        self.by_outcome[d.outcome] += 1
        self.by_reason[d.reason] += 1
        lane = self.by_lane.get(result.lane)
        if lane is None:
            lane = self.by_lane[result.lane] = Counter()
        lane[d.outcome] += 1
        device = self.by_device.get(result.device_id)
        if device is None:
            device = self.by_device[result.device_id] = Counter()
        device[d.outcome] += 1
        if not result.recorded:
            self.not_recorded += 1
        self._recent.append(result)
        second = result.at_ms // 1000
        if self._seconds and self._seconds[-1][0] == second:
            self._seconds[-1][1] += 1
        else:
            self._seconds.append([second, 1])
            while self._seconds[0][0] <= second - _RATE_WINDOW_S:
                self._seconds.popleft()

    @property
    def total(self) -> int:
        return sum(self.by_outcome.values())

    def last_minute(self, now_ms: int) -> int:
        """Scans judged in the 60 seconds before ``now_ms`` (the dashboard's rate)."""
        now_s = now_ms // 1000
        since = now_s - _RATE_WINDOW_S
        return sum(n for second, n in self._seconds if since < second <= now_s)

    def recent(self, render: Callable[[Decision], str] | None = None) -> list[dict[str, Any]]:
        """The last scans, newest first; ``render`` words each message (a language)."""
        return [
            {
                "scan_id": r.scan_id,
                "at_ms": r.at_ms,
                "lane": r.lane,
                "device_id": r.device_id,
                "direction": r.decision.direction.value,
                "outcome": r.decision.outcome.value,
                "reason": r.decision.reason.value,
                "message": render(r.decision) if render else r.decision.message,
                "ticket_id": r.decision.ticket_id,
                "event_id": r.decision.event_id,
                "zone": r.decision.zone,
                "check": r.decision.needs_check,
            }
            for r in reversed(self._recent)
        ]
