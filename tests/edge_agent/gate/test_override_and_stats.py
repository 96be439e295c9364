"""The manual-override rule (pure) and the gate's live counters."""

from __future__ import annotations

from edge_agent.domain.credential import CredentialKind
from edge_agent.domain.decide import Decision
from edge_agent.domain.gate_policy import AdmissionRecord
from edge_agent.domain.override import override_decision
from edge_agent.domain.reasons import Direction, Outcome, ReasonCode
from edge_agent.gate.pipeline import ScanResult
from edge_agent.gate.stats import GateStats

INSIDE = AdmissionRecord(
    inside=True,
    first_admit_ms=1_000,
    first_gate="Gate 1",
    last_ms=1_000,
    last_gate="Gate 1",
    entries=1,
)
LEFT = AdmissionRecord(
    inside=False,
    first_admit_ms=1_000,
    first_gate="Gate 1",
    last_ms=2_000,
    last_gate="Gate 1",
    entries=1,
)


def test_check_in_always_admits_and_check_out_needs_the_ticket_inside() -> None:
    for previous in (None, INSIDE, LEFT):
        d = override_decision("t1", 7, 2, Direction.IN, previous)
        assert (d.outcome, d.reason) == (Outcome.ADMIT, ReasonCode.MANUAL_OVERRIDE)
        assert (d.ticket_id, d.event_id, d.ticket_type) == ("t1", 7, 2)
        assert d.credential_kind is CredentialKind.MANUAL
        assert d.previous == previous
    out = override_decision("t1", 7, 2, Direction.OUT, INSIDE)
    assert (out.outcome, out.reason) == (Outcome.EXIT, ReasonCode.MANUAL_OVERRIDE)
    for previous in (None, LEFT):
        refused = override_decision("t1", 7, 2, Direction.OUT, previous)
        assert (refused.outcome, refused.reason) == (Outcome.REFUSE, ReasonCode.NOT_INSIDE)
        assert not refused.lets_through


def _result(at_ms: int, outcome: Outcome, lane: str = "l1", device: str = "d1") -> ScanResult:
    d = Decision(outcome, ReasonCode.ADMITTED, "m", Direction.IN, CredentialKind.GH1)
    return ScanResult(d, "s", at_ms, "g", lane, device, 1)


def test_last_minute_counts_only_the_last_sixty_seconds_and_per_lane_device() -> None:
    stats = GateStats()
    for at in (0, 500, 30_000, 59_999, 61_000):
        stats.record(_result(1_000_000 + at, Outcome.ADMIT))
    stats.record(_result(1_061_500, Outcome.REFUSE, lane="l2", device="d2"))
    assert stats.last_minute(1_061_999) == 4  # 30 s, 59.999 s, 61 s, 61.5 s
    assert stats.last_minute(2_000_000) == 0
    assert stats.by_lane == {"l1": {"admit": 5}, "l2": {"refuse": 1}}
    assert stats.by_device == {"d1": {"admit": 5}, "d2": {"refuse": 1}}
