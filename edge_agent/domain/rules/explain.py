"""Why a code gets the verdict it gets: the rules ``decide()`` applied, as lines of text.

For ``edge-agent rules explain``: a venue tech checks before doors which list, window,
limit, zone or flag decides a code at a given time. Pure, like ``decide()``; it reports
the same helpers' answers ``decide()`` used and ends with ``decide()``'s own verdict,
so the explanation can never disagree with the gate.
"""

from __future__ import annotations

from edge_agent.domain.credential import CredentialKind
from edge_agent.domain.decide import Decision
from edge_agent.domain.gate_policy import AdmissionRecord, GatePolicy, StateView
from edge_agent.domain.reasons import ReasonCode
from edge_agent.domain.rules.calendar import event_day, key_clock, key_date, local_key, window_at
from edge_agent.domain.rules.model import DoorsWindow

_DECIDED_BY = {
    "doors_not_open": "a doors window (event or list)",
    "doors_closed": "a doors window (event or list)",
    "wrong_day": "the ticket type's days",
    "entry_limit": "the list's max_entries",
    "day_limit": "the list's max_entries_per_day",
    "zone_full": "the zone's capacity",
    "not_allowed_at_gate": "no list of this lane covers the event and type",
    "rotating_required": "the event's or type's require_rotating",
    "stale_code": "the rotating code's step",
    "moved": "the lane's zone (a move between zones)",
    "wrong_event": "the events this box admits",
}


def _windows(windows: tuple[DoorsWindow, ...]) -> str:
    return ", ".join(
        f"{w.day.isoformat()} {key_clock(w.start_key)}–{key_clock(w.end_key)}" for w in windows
    )


def explain(decision: Decision, state: StateView, policy: GatePolicy, now_ms: int) -> list[str]:
    """The rule trace for ``decision`` (made by ``decide()`` with these values)."""
    key = local_key(now_ms, policy.display_tz)
    lines = [f"at: {key_date(key).isoformat()} {key_clock(key)} ({policy.display_tz})"]
    event_id, ticket_type = decision.event_id, decision.ticket_type
    if event_id is not None and ticket_type is not None:
        lines += _event_lines(event_id, ticket_type, policy, key)
        lines += _list_lines(event_id, ticket_type, policy, key, decision.previous)
        lines += _pretix_lines(decision, state, policy)
    zone = policy.zone
    if zone is not None:
        capacity = f", capacity {zone.capacity} ({zone.when_full})" if zone.capacity else ""
        inside = state.zone_occupancy(zone.id)
        lines.append(f"zone {zone.id} {zone.label!r}: {inside} inside{capacity}")
    if decision.flags:
        shown = sorted(decision.flags.flags)
        note = f", note {decision.flags.note!r}" if decision.flags.note else ""
        lines.append(f"flags: {', '.join(shown) or '—'}{note}")
    previous = decision.previous or (
        state.admission(decision.ticket_id) if decision.ticket_id else None
    )
    if previous is not None:
        where = f" in zone {previous.zone}" if previous.zone else ""
        lines.append(
            f"ticket so far: {'inside' + where if previous.inside else 'outside'}, "
            f"{previous.entries} entries, {previous.day_entries} on {previous.day or '—'}"
        )
    by = _pretix_decided(decision, state, policy) or _DECIDED_BY.get(decision.reason.value)
    lines.append(
        f"verdict: {decision.outcome.value} {decision.reason.value} — {decision.message}"
        + (f" (list {decision.list_id})" if decision.list_id else "")
    )
    if by is not None:
        lines.append(f"decided by: {by}")
    return lines


def _event_lines(event_id: int, ticket_type: int, policy: GatePolicy, key: int) -> list[str]:
    event = policy.event_rules(event_id)
    if not policy.admits_event(event_id):
        return [f"event {event_id}: not admitted by this box"]
    if event is None:
        return [f"event {event_id}: admitted, no doors or ticket-type rules"]
    open_now = window_at(event.doors, key) is not None
    doors = (
        f"doors {_windows(event.doors)} → {'open' if open_now else 'closed'} now"
        if event.doors
        else "no doors rule"
    )
    day = event_day(event.doors, key).isoformat()
    lines = [f"event {event_id} {event.name!r}: {doors}; event day {day}"]
    if event.require_rotating:
        lines.append(f"event {event_id}: only live rotating codes")
    rules = event.ticket_types.get(ticket_type)
    if rules is not None:
        days = ", ".join(sorted(d.isoformat() for d in rules.days)) or "every day"
        extra = "; only live rotating codes" if rules.require_rotating else ""
        lines.append(f"type {ticket_type} {rules.name!r}: days {days}{extra}")
    return lines


def _list_lines(
    event_id: int,
    ticket_type: int,
    policy: GatePolicy,
    key: int,
    previous: AdmissionRecord | None,
) -> list[str]:
    lines = []
    for lst in policy.effective_lists:
        name = f"list {lst.id or '(implicit)'}"
        if not lst.covers(event_id, ticket_type):
            lines.append(f"{name}: does not cover event {event_id} type {ticket_type}")
            continue
        window = (
            f"windows {_windows(lst.windows)} → "
            + ("open" if window_at(lst.windows, key) is not None else "closed")
            if lst.windows
            else "no window of its own"
        )
        limits = []
        if lst.max_entries:
            limits.append(f"at most {lst.max_entries} entries")
        if lst.max_entries_per_day:
            limits.append(f"at most {lst.max_entries_per_day} a day")
        lines.append(
            f"{name}: covers it; {window}; re-entry {'yes' if lst.reentry else 'no'}; "
            f"exits {'yes' if lst.exit_scans else 'no'}; " + (", ".join(limits) or "no entry limit")
        )
    return lines


def _pretix_lines(decision: Decision, state: StateView, policy: GatePolicy) -> list[str]:
    """pretix's check-in list, for a ticket of the event a pretix link syncs."""
    rules = state.pretix_rules()
    kinds = (CredentialKind.PRETIX_SIG1, CredentialKind.PLAIN)
    if rules is None or decision.credential_kind not in kinds:
        return []
    if decision.event_id != policy.event_id or decision.ticket_type is None:
        return []
    clist = rules.checkin_list
    covers = clist.covers(decision.event_id, decision.ticket_type)
    dates = ", ".join(rules.date_name(d) for d in sorted(clist.dates)) or "every date"
    return [
        f"pretix check-in list: {'covers' if covers else 'does not cover'} type "
        f"{decision.ticket_type}; dates: {dates}"
    ]


def _pretix_decided(decision: Decision, state: StateView, policy: GatePolicy) -> str | None:
    """What decided a pretix ticket's refusal where pretix's data, not the box's rules,
    did: its date, or pretix's check-in list."""
    rules = state.pretix_rules()
    if rules is None or decision.credential_kind is CredentialKind.GH1:
        return None
    reason, params = decision.reason, decision.params or {}
    if reason is ReasonCode.WRONG_EVENT and "date" in params:
        return "the date pretix's check-in list admits"
    event_id, ticket_type = decision.event_id, decision.ticket_type
    if event_id is None or ticket_type is None or event_id != policy.event_id:
        return None
    if reason is ReasonCode.NOT_ALLOWED_AT_GATE and not rules.checkin_list.covers(
        event_id, ticket_type
    ):
        return "pretix's check-in list does not cover the type"
    event = policy.event_rules(event_id)
    typed = event.ticket_types.get(ticket_type) if event is not None else None
    if reason is ReasonCode.WRONG_DAY and (typed is None or not typed.days):
        return "the ticket's date (its pretix date of the series)"
    return None
