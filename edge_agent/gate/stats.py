"""Live counters for status pages: verdicts by outcome and reason, the last few scans."""

from __future__ import annotations

from collections import Counter, deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge_agent.gate.pipeline import ScanResult


class GateStats:
    def __init__(self, recent: int = 20) -> None:
        self.by_outcome: Counter[str] = Counter()
        self.by_reason: Counter[str] = Counter()
        self.not_recorded = 0
        self._recent: deque[ScanResult] = deque(maxlen=recent)

    def record(self, result: ScanResult) -> None:
        d = result.decision
        self.by_outcome[d.outcome] += 1
        self.by_reason[d.reason] += 1
        if not result.recorded:
            self.not_recorded += 1
        self._recent.append(result)

    @property
    def total(self) -> int:
        return sum(self.by_outcome.values())

    def recent(self) -> list[dict[str, Any]]:
        return [
            {
                "scan_id": r.scan_id,
                "at_ms": r.at_ms,
                "lane": r.lane,
                "outcome": r.decision.outcome.value,
                "reason": r.decision.reason.value,
                "message": r.decision.message,
                "ticket_id": r.decision.ticket_id,
            }
            for r in reversed(self._recent)
        ]
