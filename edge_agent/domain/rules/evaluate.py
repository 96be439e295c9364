"""The rule checks after a ticket is known good: lists, doors, days, limits and zones.

``decide()`` calls ``judge_rules`` once the code, its event, its validity and its
revocation state passed. The checks run in a fixed order and the first that fails is
the reason (``docs/gate.md``, "Check order"):

1. a static code where the event or type wants the live rotating one: ``rotating_required``
2. no list of this lane covers the event and type (nor, for a pretix ticket, pretix's
   check-in list): ``not_allowed_at_gate``
3. exit scans: the first covering list that takes exits; the ticket must be inside
4. inside already: entering another zone is a *move* (capacity applies), else
   ``already_admitted``; a ticket still inside from an earlier event day counts as out
5. a day pass (or a ticket for one date of a series) on another event day: ``wrong_day``
6. the event's doors: ``doors_not_open`` / ``doors_closed``
7. each covering list in order, the first that admits wins; else the first list's
   reason: its window, re-entry (``already_admitted``), ``entry_limit``, ``day_limit``
8. the lane's zone at capacity: ``zone_full`` (or admitted with a warning)
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from edge_agent.domain.gate_policy import AdmissionRecord, GatePolicy, StateView
from edge_agent.domain.reasons import Direction, ReasonCode
from edge_agent.domain.rules.calendar import (
    key_clock,
    key_date,
    last_window,
    local_key,
    next_window,
    window_at,
)
from edge_agent.domain.rules.model import (
    CheckInList,
    DoorsWindow,
    EventRules,
    TicketTypeRules,
    WhenFull,
)

Params = dict[str, str | int]
_NO_DAYS: frozenset[date] = frozenset()


class RuleVerdict(NamedTuple):
    """What the rules say: a reason (a let-through or a refusal) and the facts behind it."""

    reason: ReasonCode
    #: Template parameters of the staff message (``domain/messages.py``).
    params: Params | None = None
    #: The list that decided (admitted, or gave the refusal); "" = the implicit list.
    list_id: str | None = None
    #: The zone entered (admit, move) or left (exit).
    zone: str | None = None
    #: The event day (ISO date) of an entry.
    day: str | None = None
    #: The zone was at capacity and only warns: admitted with a warning.
    zone_over: bool = False
    #: The type's own rules (for its flags), when the event has any.
    type_rules: TicketTypeRules | None = None


def judge_rules(
    event_id: int,
    ticket_type: int,
    rotating: bool,
    direction: Direction,
    previous: AdmissionRecord | None,
    state: StateView,
    policy: GatePolicy,
    now_ms: int,
    *,
    platform: CheckInList | None = None,
    days: frozenset[date] = _NO_DAYS,
) -> RuleVerdict:
    """The rules' verdict. ``platform`` is the ticket's platform's own check-in list
    (pretix's, for its tickets), which must cover it too; ``days`` the event days the
    ticket itself is for (a pretix date), judged like a day pass's."""
    if not policy.timed and policy.zone is None:
        return _plain(event_id, ticket_type, direction, previous, policy, platform)
    event = policy.events.get(event_id) if policy.events else None
    type_rules = event.ticket_types.get(ticket_type) if event is not None else None
    if not rotating and (
        (event is not None and event.require_rotating)
        or (type_rules is not None and type_rules.require_rotating)
    ):
        return RuleVerdict(ReasonCode.ROTATING_REQUIRED)
    lists = policy.covering(event_id, ticket_type)
    if not lists or (platform is not None and not platform.covers(event_id, ticket_type)):
        return RuleVerdict(ReasonCode.NOT_ALLOWED_AT_GATE)
    if direction is Direction.OUT:
        return _exit(lists, previous)
    key = 0
    doors: tuple[DoorsWindow, ...] = ()
    door: DoorsWindow | None = None
    day_text = ""
    if policy.timed:
        key = local_key(now_ms, policy.display_tz)
        if event is not None and event.doors:
            doors = event.doors
            door = window_at(doors, key)
        day_text = door.day_text if door is not None else key_date(key).isoformat()
    if previous is not None and previous.inside and not _new_day(previous, day_text, event, lists):
        zone = policy.zone
        if zone is None or previous.zone == zone.id:
            return RuleVerdict(ReasonCode.ALREADY_ADMITTED, list_id=lists[0].id)
        full = _zone_full(policy, state)
        if full is not None and not full.zone_over:
            return full
        return RuleVerdict(
            ReasonCode.MOVED,
            {"zone": zone.label},
            lists[0].id,
            zone.id,
            zone_over=full is not None,
            type_rules=type_rules,
        )
    type_days = type_rules.days if type_rules is not None else _NO_DAYS
    if key and (type_days or days):  # event days exist only on a timed gate
        today = door.day if door is not None else key_date(key)
        for only in (type_days, days):
            if only and today not in only:
                shown = ",".join(sorted(d.isoformat() for d in only))
                return RuleVerdict(ReasonCode.WRONG_DAY, {"day": shown})
    if doors and door is None:
        closed = _window_refusal(doors, key)
        if closed is not None:
            return closed
    refusal: RuleVerdict | None = None
    chosen: CheckInList | None = None
    for lst in lists:
        why = _list_refusal(lst, previous, key, day_text)
        if why is None:
            chosen = lst
            break
        refusal = refusal or why
    if chosen is None:
        assert refusal is not None
        return refusal
    reason = ReasonCode.ADMITTED if previous is None else ReasonCode.READMITTED
    zone = policy.zone
    full = _zone_full(policy, state) if zone is not None else None
    if full is not None and not full.zone_over:
        return full._replace(list_id=chosen.id)
    params: Params | None = {"zone": zone.label} if full is not None and zone is not None else None
    zone_id = zone.id if zone is not None else ""
    return RuleVerdict(reason, params, chosen.id, zone_id, day_text, full is not None, type_rules)


def _plain(
    event_id: int,
    ticket_type: int,
    direction: Direction,
    previous: AdmissionRecord | None,
    policy: GatePolicy,
    platform: CheckInList | None,
) -> RuleVerdict:
    """The gate without events' rules, lists or zones (one implicit list): the same
    checks as ``judge_rules`` with everything that cannot apply left out (the hot path
    of a plain night)."""
    lists = policy.covering(event_id, ticket_type)
    if not lists or (platform is not None and not platform.covers(event_id, ticket_type)):
        return _NOT_ALLOWED
    if direction is Direction.OUT:
        return _exit(lists, previous)
    if previous is None:
        return _ADMITTED
    if previous.inside or not lists[0].reentry:
        return _ALREADY
    return _READMITTED


_NOT_ALLOWED = RuleVerdict(ReasonCode.NOT_ALLOWED_AT_GATE)
_ADMITTED = RuleVerdict(ReasonCode.ADMITTED, None, "", "", "")
_READMITTED = RuleVerdict(ReasonCode.READMITTED, None, "", "", "")
_ALREADY = RuleVerdict(ReasonCode.ALREADY_ADMITTED, list_id="")


def _exit(lists: tuple[CheckInList, ...], previous: AdmissionRecord | None) -> RuleVerdict:
    exits = next((lst for lst in lists if lst.exit_scans), None)
    if exits is None:
        return RuleVerdict(ReasonCode.EXIT_NOT_ALLOWED, list_id=lists[0].id)
    if previous is None or not previous.inside:
        return RuleVerdict(ReasonCode.NOT_INSIDE, list_id=exits.id)
    return RuleVerdict(ReasonCode.EXITED, list_id=exits.id, zone=previous.zone)


def _new_day(
    previous: AdmissionRecord, day: str, event: EventRules | None, lists: tuple[CheckInList, ...]
) -> bool:
    """A ticket still marked inside from an earlier event day counts as out: festival
    gates rarely scan exits, and Saturday's entry must not block Sunday's."""
    if not previous.day or previous.day == day:
        return False
    return bool((event is not None and event.doors) or any(x.max_entries_per_day for x in lists))


def _window_refusal(windows: tuple[DoorsWindow, ...], key: int) -> RuleVerdict | None:
    if window_at(windows, key) is not None:
        return None
    upcoming = next_window(windows, key)
    if upcoming is not None:
        return RuleVerdict(ReasonCode.DOORS_NOT_OPEN, {"time": key_clock(upcoming.start_key)})
    ended = last_window(windows, key)
    time = key_clock(ended.end_key) if ended is not None else "—"
    return RuleVerdict(ReasonCode.DOORS_CLOSED, {"time": time})


def _list_refusal(
    lst: CheckInList, previous: AdmissionRecord | None, key: int, day: str
) -> RuleVerdict | None:
    if lst.windows:
        closed = _window_refusal(lst.windows, key)
        if closed is not None:
            return closed._replace(list_id=lst.id)
    if previous is None:
        return None
    if not lst.reentry and not (lst.max_entries_per_day and previous.day != day):
        return RuleVerdict(ReasonCode.ALREADY_ADMITTED, list_id=lst.id)
    if lst.max_entries and previous.entries >= lst.max_entries:
        return RuleVerdict(ReasonCode.ENTRY_LIMIT, {"count": previous.entries}, lst.id)
    if (
        lst.max_entries_per_day
        and previous.day == day
        and previous.day_entries >= lst.max_entries_per_day
    ):
        return RuleVerdict(ReasonCode.DAY_LIMIT, {"count": previous.day_entries}, lst.id)
    return None


def _zone_full(policy: GatePolicy, state: StateView) -> RuleVerdict | None:
    zone = policy.zone
    if zone is None or not zone.capacity or state.zone_occupancy(zone.id) < zone.capacity:
        return None
    if zone.when_full is WhenFull.WARN:
        return RuleVerdict(ReasonCode.ADMITTED, {"zone": zone.label}, zone=zone.id, zone_over=True)
    return RuleVerdict(ReasonCode.ZONE_FULL, {"zone": zone.label}, zone=zone.id)
