"""Property tests of decide()'s rules: windows across midnight and daylight-saving
changes, day limits at the day boundary, zone moves and occupancy that never goes
negative nor past a refusing zone's capacity."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.domain.reasons import Direction, ReasonCode
from edge_agent.domain.rules.model import CheckInList, DoorsWindow, WhenFull, Zone
from tests.edge_agent.domain.rules.gate import BERLIN, RuleState, event, policy

#: Days around Berlin's 2026 clock changes (29 March forward, 25 October back).
DST_DAYS = [date(2026, 3, 28), date(2026, 3, 29), date(2026, 10, 24), date(2026, 10, 25)]


def local_wall(at_ms: int) -> datetime:
    """The oracle: the naive local wall-clock time of an instant."""
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC).astimezone(BERLIN).replace(tzinfo=None)


def inside_oracle(w: DoorsWindow, at_ms: int) -> bool:
    start = datetime(w.day.year, w.day.month, w.day.day) + timedelta(minutes=w.open_min)
    end_day = w.day + timedelta(days=1 if w.close_min <= w.open_min else 0)
    end = datetime(end_day.year, end_day.month, end_day.day) + timedelta(minutes=w.close_min)
    return start <= local_wall(at_ms) < end


@settings(max_examples=300, deadline=None)
@given(
    day=st.sampled_from(DST_DAYS),
    open_min=st.integers(0, 1439),
    close_min=st.integers(0, 1439),
    offset_s=st.integers(-6 * 3600, 54 * 3600),
)
def test_doors_admit_exactly_inside_the_local_window(
    day: date, open_min: int, close_min: int, offset_s: int
) -> None:
    w = DoorsWindow(day, open_min, close_min)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    at_ms = int((midnight.timestamp() + offset_s) * 1000)
    state = RuleState()
    state.add("t", 1, 0)
    decision = state.scan("t", policy(events={1: event(1, doors=(w,))}), at_ms)
    if inside_oracle(w, at_ms):
        assert decision.reason is ReasonCode.ADMITTED
        assert decision.day == day.isoformat()
    else:
        assert decision.reason in (ReasonCode.DOORS_NOT_OPEN, ReasonCode.DOORS_CLOSED)


@settings(max_examples=200, deadline=None)
@given(
    limit=st.integers(1, 3),
    day=st.sampled_from(DST_DAYS),
    steps=st.lists(st.tuples(st.booleans(), st.integers(1, 3 * 3600)), max_size=30),
)
def test_day_limit_counts_per_local_day_and_resets_at_midnight(
    limit: int, day: date, steps: list[tuple[bool, int]]
) -> None:
    daily = CheckInList(id="d", reentry=True, max_entries_per_day=limit)
    pol = policy(events={1: event(1)}, lists=(daily,))
    state = RuleState()
    state.add("t", 1, 0)
    at_ms = int(datetime(day.year, day.month, day.day, 20, tzinfo=BERLIN).timestamp() * 1000)
    entered: Counter[date] = Counter()
    for going_in, gap_s in steps:
        at_ms += gap_s * 1000
        today = local_wall(at_ms).date()
        direction = Direction.IN if going_in else Direction.OUT
        before = state.admissions.get("t")
        decision = state.scan("t", pol, at_ms, direction)
        if not going_in:
            continue
        if before is not None and before.inside and before.day == today.isoformat():
            assert decision.reason is ReasonCode.ALREADY_ADMITTED
        elif entered[today] >= limit:
            assert decision.reason is ReasonCode.DAY_LIMIT
            assert decision.params == {"count": limit}
        else:
            assert decision.lets_through, decision
            entered[today] += 1
        assert entered[today] <= limit


ZONES = {
    "a": Zone("a", "A"),
    "b": Zone("b", "B", capacity=2),
    "c": Zone("c", "C", capacity=1, when_full=WhenFull.WARN),
}


@settings(max_examples=300, deadline=None)
@given(
    scans=st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(["a", "b", "c", "out"])), max_size=60
    ),
    reentry=st.booleans(),
)
def test_zone_moves_keep_occupancy_exact_and_never_negative(
    scans: list[tuple[int, str]], reentry: bool
) -> None:
    lists = (CheckInList(id="all", reentry=reentry),)
    state = RuleState()
    for n in range(6):
        state.add(f"t{n}", 1, 0)
    for i, (n, lane) in enumerate(scans):
        code = f"t{n}"
        before = state.admissions.get(code)
        if lane == "out":
            decision = state.scan(code, policy(lists=lists), i, Direction.OUT)
            assert decision.lets_through == (before is not None and before.inside)
        else:
            decision = state.scan(code, policy(lists=lists, zone=ZONES[lane]), i)
            if decision.reason is ReasonCode.MOVED:
                assert before is not None and before.inside and before.zone != lane
                assert state.admissions[code].entries == before.entries  # a move is no entry
        occupancy = state.occupancy()
        assert all(count >= 0 for count in occupancy.values())
        assert sum(occupancy.values()) == sum(r.inside for r in state.admissions.values())
        assert occupancy["b"] <= 2  # a refusing zone never goes past its capacity
