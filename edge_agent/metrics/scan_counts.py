"""What the metrics count as it happens: verdicts by (verdict, reason, lane), the
verdict latency, the ledger's commit latency.

Attached by the runtime as a ``GateStats`` listener and a ``LedgerWriter`` commit
listener; both run on the event loop, so a dict increment and a bisect are all a scan
pays (no lock, nothing allocated for a label set seen before).
"""

from __future__ import annotations

from collections import Counter
from time import perf_counter
from typing import TYPE_CHECKING

from edge_agent.metrics.histogram import LatencyHistogram

if TYPE_CHECKING:
    from edge_agent.gate.pipeline import ScanResult


class ScanMetrics:
    def __init__(self) -> None:
        #: (outcome, reason, lane) -> scans
        self.scans: Counter[tuple[str, str, str]] = Counter()
        self.verdict = LatencyHistogram()
        self.commit = LatencyHistogram()

    def note_scan(self, result: ScanResult) -> None:
        d = result.decision
        self.scans[(d.outcome, d.reason, result.lane)] += 1
        if result.started:
            self.verdict.observe(perf_counter() - result.started)

    def note_commit(self, duration_ms: float) -> None:
        self.commit.observe(duration_ms / 1000)
