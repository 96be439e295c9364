"""A ticket's admission on a box with a pretix link: the gate's own record (with its zone
and day counts) merged with what pretix reports of other devices' check-ins."""

from __future__ import annotations

from edge_agent.domain.gate_policy import AdmissionRecord
from edge_agent.gate.state import GateState

T = "ab" * 16


def pretix(inside: bool, first_ms: int, last_ms: int, entries: int) -> AdmissionRecord:
    return AdmissionRecord(
        inside=inside,
        first_admit_ms=first_ms,
        first_gate="pretix device 3",
        last_ms=last_ms,
        last_gate="pretix device 3",
        entries=entries,
    )


def test_the_later_scan_says_inside_and_the_zone_and_day_counts_are_the_gates() -> None:
    state = GateState(lambda _sha: None)
    ours = AdmissionRecord.first(1_000, "Gate 1", zone="hall", day="2026-07-04")
    state.set_admission(T, ours)
    state.set_remote_admission(T, pretix(False, 500, 2_000, 2))  # left through pretixSCAN
    merged = state.admission(T)
    assert merged is not None and not merged.inside and merged.zone == ""
    assert (merged.first_admit_ms, merged.first_gate, merged.entries) == (500, "pretix device 3", 2)
    assert (merged.day, merged.day_entries) == ("2026-07-04", 1)
    again = ours.left(2_500, "Gate 1").entered(3_000, "Gate 1", zone="vip", day="2026-07-04")
    state.set_admission(T, again)
    back = state.admission(T)
    assert back is not None and back.inside and back.zone == "vip" and back.day_entries == 2
    assert state.zone_occupancy("vip") == 1  # occupancy counts the gate's own records
    state.set_remote_admission(T, None)
    assert state.admission(T) == again
