"""The gate rules through decide(): each rule's verdict, reason code and staff message."""

from __future__ import annotations

from datetime import date, datetime

from edge_agent.domain.reasons import Direction, Outcome, ReasonCode
from edge_agent.domain.rules.model import (
    CheckInList,
    Flag,
    TicketFlags,
    TicketTypeRules,
    WhenFull,
    Zone,
)
from tests.edge_agent.domain.rules.gate import BERLIN, RuleState, event, policy, window

SAT, SUN = date(2026, 7, 4), date(2026, 7, 5)


def at(day: date, clock: str) -> int:
    h, m = clock.split(":")
    return int(
        datetime(day.year, day.month, day.day, int(h), int(m), tzinfo=BERLIN).timestamp() * 1000
    )


def test_two_shows_one_door_each_code_admits_to_its_own_show() -> None:
    evening = (window(SAT, "16:30", "19:30"),)
    late = (window(SAT, "19:30", "23:00"),)
    pol = policy(events={1: event(1, doors=evening), 2: event(2, doors=late)})
    state = RuleState()
    state.add("matinee", 1, 0)
    state.add("night", 2, 0)
    state.add("other", 3, 0)
    early = state.scan("night", pol, at(SAT, "17:00"))
    assert (early.reason, early.message) == (ReasonCode.DOORS_NOT_OPEN, "Doors open 19:30")
    assert early.params == {"time": "19:30"}
    assert state.scan("matinee", pol, at(SAT, "17:00")).reason is ReasonCode.ADMITTED
    assert state.scan("night", pol, at(SAT, "19:45")).reason is ReasonCode.ADMITTED
    late_matinee = state.scan("matinee", pol, at(SAT, "19:45"), Direction.OUT)
    assert late_matinee.reason is ReasonCode.EXITED  # exits are never bound to doors
    closed = state.scan("matinee", pol, at(SAT, "20:00"))
    assert (closed.reason, closed.message) == (ReasonCode.DOORS_CLOSED, "Doors closed at 19:30")
    assert state.scan("other", pol, at(SAT, "20:00")).reason is ReasonCode.WRONG_EVENT


def test_day_pass_on_another_day_names_its_day() -> None:
    saturday = TicketTypeRules(ticket_type=2, days=frozenset({SAT}))
    pol = policy(events={1: event(1, sat=saturday)})
    state = RuleState()
    state.add("sat-pass", 1, 2)
    refused = state.scan("sat-pass", pol, at(SUN, "14:00"))
    assert (refused.reason, refused.message) == (ReasonCode.WRONG_DAY, "Day pass for Saturday")
    assert refused.params == {"day": "2026-07-04"}
    assert state.scan("sat-pass", pol, at(SAT, "14:00")).reason is ReasonCode.ADMITTED


def test_a_night_across_midnight_is_one_event_day() -> None:
    night = (window(SAT, "22:00", "04:00"),)
    saturday = TicketTypeRules(ticket_type=2, days=frozenset({SAT}))
    pol = policy(events={1: event(1, doors=night, sat=saturday)})
    state = RuleState()
    state.add("a", 1, 2)
    decision = state.scan("a", pol, at(SUN, "01:30"))
    assert (decision.reason, decision.day) == (ReasonCode.ADMITTED, "2026-07-04")


def test_per_day_limit_says_how_often_and_resets_next_day() -> None:
    daily = CheckInList(id="day", reentry=True, max_entries_per_day=2)
    pol = policy(events={1: event(1)}, lists=(daily,))
    state = RuleState()
    state.add("w", 1, 0)
    for clock in ("10:00", "12:00"):
        assert state.scan("w", pol, at(SAT, clock)).lets_through
        assert state.scan(
            "w", pol, at(SAT, clock.replace(":00", ":30")), Direction.OUT
        ).lets_through
    third = state.scan("w", pol, at(SAT, "15:00"))
    assert (third.reason, third.message) == (ReasonCode.DAY_LIMIT, "Already entered twice today")
    assert third.list_id == "day"
    assert state.scan("w", pol, at(SUN, "10:00")).reason is ReasonCode.READMITTED


def test_total_limit_and_the_first_list_that_admits_wins() -> None:
    once = CheckInList(id="once", ticket_types=frozenset({1}), reentry=True, max_entries=1)
    vip = CheckInList(id="vip", ticket_types=frozenset({1}), reentry=True, max_entries=3)
    pol_once = policy(lists=(once,))
    pol_both = policy(lists=(once, vip))
    state = RuleState()
    state.add("t", 1, 1)
    first = state.scan("t", pol_once, 1_000_000)
    assert (first.reason, first.list_id) == (ReasonCode.ADMITTED, "once")
    state.scan("t", pol_once, 2_000_000, Direction.OUT)
    refused = state.scan("t", pol_once, 3_000_000)
    assert (refused.reason, refused.message) == (
        ReasonCode.ENTRY_LIMIT,
        "Already entered once — no more entries",
    )
    again = state.scan("t", pol_both, 3_000_000)
    assert (again.reason, again.list_id) == (ReasonCode.READMITTED, "vip")


def test_no_list_for_the_type_is_not_allowed_at_gate() -> None:
    pol = policy(lists=(CheckInList(id="vip", ticket_types=frozenset({1})),))
    state = RuleState()
    state.add("ga", 1, 0)
    refused = state.scan("ga", pol, 1_000)
    assert (refused.reason, refused.message) == (
        ReasonCode.NOT_ALLOWED_AT_GATE,
        "Not valid at this gate (type 0)",
    )


def test_zone_move_needs_no_exit_and_full_zones_refuse_or_warn() -> None:
    hall_a = Zone("a", "Hall A")
    hall_b = Zone("b", "Hall B", capacity=1)
    deck = Zone("deck", "Deck", capacity=1, when_full=WhenFull.WARN)
    state = RuleState()
    for code in ("x", "y"):
        state.add(code, 1, 0)
    assert state.scan("x", policy(zone=hall_a), 1).reason is ReasonCode.ADMITTED
    moved = state.scan("x", policy(zone=hall_b), 2)
    assert (moved.outcome, moved.reason, moved.message) == (
        Outcome.ADMIT,
        ReasonCode.MOVED,
        "Welcome to Hall B",
    )
    assert state.admissions["x"].entries == 1 and state.admissions["x"].zone == "b"
    assert state.scan("x", policy(zone=hall_b), 3).reason is ReasonCode.ALREADY_ADMITTED
    full = state.scan("y", policy(zone=hall_b), 4)
    assert (full.reason, full.message) == (ReasonCode.ZONE_FULL, "Zone full (Hall B)")
    assert state.scan("x", policy(zone=deck), 5).reason is ReasonCode.MOVED
    warned = state.scan("y", policy(zone=deck), 6)
    assert warned.reason is ReasonCode.ADMITTED and warned.needs_check
    assert warned.message == "Welcome — admit · Deck over capacity"
    assert state.occupancy() == {"deck": 2}


def test_flags_make_a_distinct_admit_with_the_holders_name() -> None:
    id_check = TicketTypeRules(ticket_type=5, flags=TicketFlags(frozenset({Flag.AGE_18})))
    pol = policy(events={1: event(1, bar=id_check)})
    state = RuleState()
    state.add("c", 1, 5)
    state.flags["c"] = TicketFlags(frozenset({Flag.ID_CHECK}), "wheelchair space", "Ada Lovelace")
    decision = state.scan("c", pol, 1_000)
    assert decision.needs_check and decision.flags is not None
    assert decision.flags.flags == {Flag.AGE_18, Flag.ID_CHECK}
    assert decision.message == (
        "Welcome — admit · CHECK ID · 18+ — check age · wheelchair space · Name: Ada Lovelace"
    )


def test_a_plain_admit_is_not_flagged() -> None:
    state = RuleState()
    state.add("p", 1, 0)
    decision = state.scan("p", policy(), 1_000)
    assert decision.reason is ReasonCode.ADMITTED and not decision.needs_check
    assert decision.message == "Welcome — admit"
