"""``decide()``: every admission rule of a gate in one pure function.

Inputs are values (a read credential, the direction, a state snapshot, the gate policy
and the time); the output is a ``Decision`` value. No database, clock or logging here,
so the API, the benchmarks and the tests all judge scans exactly the same way. The
rules after the ticket itself (lists, doors, limits, zones) are in ``rules/evaluate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import NamedTuple

from edge_agent.domain.credential import (
    Credential,
    CredentialKind,
    MalformedCredential,
    PretixCredential,
    RotatingCredential,
    SignedCredential,
)
from edge_agent.domain.gate_policy import AdmissionRecord, GatePolicy, StateView
from edge_agent.domain.messages import SEPARATOR, staff_message, zone_over_text
from edge_agent.domain.pretix_gate import linked_rules, pretix_event, pretix_type, ticket_days
from edge_agent.domain.pretix_reading import validity_reason
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.reasons import STAFF_MESSAGES, Direction, Outcome, ReasonCode
from edge_agent.domain.rules.evaluate import RuleVerdict, judge_rules
from edge_agent.domain.rules.model import TicketFlags
from edge_agent.domain.verification import rotation_reason, window_reason

_LET_THROUGH = {
    ReasonCode.ADMITTED: Outcome.ADMIT,
    ReasonCode.READMITTED: Outcome.ADMIT,
    ReasonCode.MOVED: Outcome.ADMIT,
    ReasonCode.EXITED: Outcome.EXIT,
}

#: Refusals that are about the ticket's admission history (they carry ``previous``).
_ABOUT_ADMISSION = frozenset(
    {
        ReasonCode.NOT_INSIDE,
        ReasonCode.EXIT_NOT_ALLOWED,
        ReasonCode.ENTRY_LIMIT,
        ReasonCode.DAY_LIMIT,
        ReasonCode.ZONE_FULL,
    }
)
#: The ticket type shown for a pretix product the link's manifest does not list.
_UNKNOWN_PRODUCT = "product not in the manifest"


class Decision(NamedTuple):
    """The verdict on one scan. A NamedTuple (immutable, typed) because one or two are
    built per scan and a frozen dataclass's ``__init__`` costs several times more."""

    outcome: Outcome
    reason: ReasonCode
    message: str
    direction: Direction
    credential_kind: CredentialKind
    ticket_id: str | None = None
    event_id: int | None = None
    ticket_type: int | None = None
    key_id: str | None = None
    #: The ticket's admission state before this scan (set for admission-related verdicts).
    previous: AdmissionRecord | None = None
    #: The message's template parameters, so the edge can say it in any language.
    params: Mapping[str, str | int] | None = None
    #: Flags shown with an admit (ID check, 18+, …): a distinct verdict for staff.
    flags: TicketFlags | None = None
    #: The check-in list that decided ("" = the gate's implicit list).
    list_id: str | None = None
    #: The zone entered (admit, move) or left (exit).
    zone: str | None = None
    #: The event day (ISO date) an entry counts on.
    day: str | None = None
    #: The zone was over capacity and only warns (shown like a flag).
    zone_over: str | None = None

    @property
    def lets_through(self) -> bool:
        return self.outcome is not Outcome.REFUSE

    @property
    def needs_check(self) -> bool:
        """An admit staff must look at first (flags, a zone over capacity)."""
        return self.outcome is Outcome.ADMIT and bool(self.flags or self.zone_over)


class _Ticket(NamedTuple):
    """The fields of any credential kind that the state checks need. ``ticket_type`` is
    ``None`` for a pretix product the manifest does not map (refused as not allowed),
    ``event_id`` for a pretix code whose key is for no event of this box."""

    ticket_id: str
    event_id: int | None
    ticket_type: int | None
    key_id: str | None


def decide(
    credential: Credential,
    direction: Direction,
    state: StateView,
    policy: GatePolicy,
    now_ms: int,
) -> Decision:
    """Judge one scan. Checks run in a fixed order; the first that fails is the reason."""
    at_s = now_ms // 1000
    grace = policy.clock_skew_grace_s
    if isinstance(credential, MalformedCredential):
        return _refuse(ReasonCode.MALFORMED, direction, CredentialKind.UNREADABLE)
    rotating = isinstance(credential, RotatingCredential)
    signed = credential.signed if isinstance(credential, RotatingCredential) else credential
    linked: PretixRules | None = None  # the pretix link's rules, for its own tickets
    subevent = 0
    if isinstance(signed, SignedCredential):
        body = signed.ticket
        ticket = _Ticket(body.ticket_id_hex, body.event_id, body.ticket_type, body.key_id_hex)
        kind = credential.kind
        if signed.signature is not ReasonCode.OK or signed.key is None:
            return _refuse(signed.signature, direction, kind, ticket)
        if isinstance(credential, RotatingCredential):
            live = rotation_reason(credential, at_s)
            if live is not ReasonCode.OK:
                return _refuse(live, direction, kind, ticket)
        if not signed.key.allows_event(body.event_id):
            return _refuse(ReasonCode.KEY_NOT_FOR_EVENT, direction, kind, ticket)
        if not policy.admits_event(body.event_id):
            return _refuse(ReasonCode.WRONG_EVENT, direction, kind, ticket)
        timing = window_reason(body, signed.key, at_s, grace)
        bounds = (body.valid_from, body.valid_until)
    elif isinstance(signed, PretixCredential):
        kind = CredentialKind.PRETIX_SIG1
        key = signed.key
        if signed.signature is not ReasonCode.OK or key is None or signed.ticket_id is None:
            return _refuse(signed.signature, direction, kind)  # unverified: names no ticket
        event_id = pretix_event(key, policy)
        if event_id is None:
            ticket = _Ticket(signed.ticket_id, None, None, key.key_id_hex)
            return _refuse(ReasonCode.WRONG_EVENT, direction, kind, ticket)
        linked = linked_rules(state.pretix_rules(), event_id, policy)
        ticket = _Ticket(signed.ticket_id, event_id, pretix_type(signed, linked), key.key_id_hex)
        pt = signed.ticket
        subevent = pt.subevent
        timing = validity_reason(pt.valid_from, pt.valid_until, at_s, grace)
        bounds = (pt.valid_from, pt.valid_until)
    else:
        kind = CredentialKind.PLAIN
        plain = state.plain_ticket(signed.code_sha256)
        if plain is None:
            return _refuse(ReasonCode.UNKNOWN_CODE, direction, kind)
        ticket = _Ticket(plain.ticket_id, plain.event_id, plain.ticket_type, None)
        if not policy.admits_event(plain.event_id):
            return _refuse(ReasonCode.WRONG_EVENT, direction, kind, ticket)
        linked = linked_rules(state.pretix_rules(), plain.event_id, policy)
        subevent = plain.subevent
        timing = _plain_window(plain.valid_from, plain.valid_until, at_s, grace)
        bounds = (plain.valid_from, plain.valid_until)
    if subevent and linked is not None and not linked.admits_date(subevent):
        # another date of the series is another event to the check-in list (step 5')
        dated = {"date": linked.date_name(subevent)}
        text = staff_message(ReasonCode.WRONG_EVENT, dated)
        return _refuse(ReasonCode.WRONG_EVENT, direction, kind, ticket, message=text)._replace(
            params=dated
        )
    if timing is not None:
        when = bounds[0] if timing is ReasonCode.NOT_YET_VALID else bounds[1]
        params = {"when": _clock_text(when * 1000, policy.display_tz)}
        text = STAFF_MESSAGES[timing].format_map(params)
        return _refuse(timing, direction, kind, ticket, message=text)._replace(params=params)
    return _judge_state(ticket, kind, rotating, direction, state, policy, now_ms, linked, subevent)


def _judge_state(
    ticket: _Ticket,
    kind: CredentialKind,
    rotating: bool,
    direction: Direction,
    state: StateView,
    policy: GatePolicy,
    now_ms: int,
    linked: PretixRules | None = None,
    subevent: int = 0,
) -> Decision:
    if direction is Direction.IN and state.admissions_halted():
        # A supervisor's stop (crowd control, an incident): exits still work.
        return _refuse(ReasonCode.GATE_HALTED, direction, kind, ticket)
    if direction is Direction.IN and ticket.event_id == policy.event_id and state.event_cancelled():
        # Exits stay possible: people inside a cancelled event must be able to leave.
        # Its own reason: the ledger must tell a cancelled event from a cancelled ticket.
        # The platform's status is the synced event's (``policy.event_id``).
        return _refuse(ReasonCode.EVENT_CANCELLED, direction, kind, ticket)
    revoked = state.revocation(ticket.ticket_id)
    if revoked is not None:
        return _refuse(revoked.reason, direction, kind, ticket)
    event_id, ttype = ticket.event_id, ticket.ticket_type
    if event_id is None or ttype is None:  # a pretix product the link does not list
        params = {"ticket_type": _UNKNOWN_PRODUCT}
        text = staff_message(ReasonCode.NOT_ALLOWED_AT_GATE, params)
        refused = _refuse(ReasonCode.NOT_ALLOWED_AT_GATE, direction, kind, ticket, message=text)
        return refused._replace(params=params)
    previous = state.admission(ticket.ticket_id)
    if linked is None:
        verdict = judge_rules(event_id, ttype, rotating, direction, previous, state, policy, now_ms)
    else:  # pretix's check-in list covers its tickets beside the lane's lists
        days = ticket_days(subevent, linked, policy)
        verdict = judge_rules(event_id, ttype, rotating, direction, previous, state, policy,
                              now_ms, platform=linked.checkin_list, days=days)  # fmt: skip
    reason = verdict.reason
    outcome = _LET_THROUGH.get(reason)
    if outcome is None:
        return _rule_refusal(verdict, ticket, kind, direction, state, policy, previous)
    flags = None
    if outcome is Outcome.ADMIT:
        own = verdict.type_rules.flags if verdict.type_rules is not None else None
        found = state.ticket_flags(ticket.ticket_id, event_id, ttype)
        if found is not None or own:
            flags = found if not own else own.merged(found)
    message = STAFF_MESSAGES[reason]
    if verdict.params:
        message = staff_message(reason, verdict.params, flags)
    elif flags:
        message = _flagged_message(reason, flags)
    zone_over = None
    if verdict.zone_over and verdict.params:
        zone_over = str(verdict.params["zone"])
        message += SEPARATOR + zone_over_text(zone_over)
    # positional: this is the per-admit path, and keywords cost twice as much here
    return Decision(
        outcome, reason, message, direction, kind, ticket.ticket_id, ticket.event_id,
        ticket.ticket_type, ticket.key_id, previous, verdict.params, flags, verdict.list_id,
        verdict.zone, verdict.day, zone_over,
    )  # fmt: skip


def _rule_refusal(
    verdict: RuleVerdict,
    ticket: _Ticket,
    kind: CredentialKind,
    direction: Direction,
    state: StateView,
    policy: GatePolicy,
    previous: AdmissionRecord | None,
) -> Decision:
    reason = verdict.reason
    if reason is ReasonCode.ALREADY_ADMITTED and previous is not None:
        base = _refuse(reason, direction, kind, ticket)._replace(list_id=verdict.list_id)
        return already_admitted(base, previous, policy)
    params = verdict.params
    if reason is ReasonCode.NOT_ALLOWED_AT_GATE:
        params = {"ticket_type": _type_name(state, ticket.event_id, ticket.ticket_type, policy)}
    message = staff_message(reason, params) if params else STAFF_MESSAGES[reason]
    if reason not in _ABOUT_ADMISSION:
        previous = None
    return _refuse(reason, direction, kind, ticket, message=message, previous=previous)._replace(
        params=params, list_id=verdict.list_id, zone=verdict.zone
    )


def already_admitted(base: Decision, previous: AdmissionRecord, policy: GatePolicy) -> Decision:
    """The refusal for a ticket that is already in (also used when a claim is lost)."""
    when = _clock_text(previous.first_admit_ms, policy.display_tz)
    params = {"when": when, "gate": previous.first_gate}
    text = STAFF_MESSAGES[ReasonCode.ALREADY_ADMITTED].format_map(params)
    return base._replace(
        outcome=Outcome.REFUSE,
        reason=ReasonCode.ALREADY_ADMITTED,
        message=text,
        previous=previous,
        params=params,
        flags=None,
        zone_over=None,
    )


def unconfirmed_refusal(base: Decision) -> Decision:
    """The refusal when the venue's other gates cannot confirm an admission in time and
    the gate's policy refuses rather than admits unconfirmed (the mesh)."""
    return base._replace(
        outcome=Outcome.REFUSE,
        reason=ReasonCode.UNCONFIRMED,
        message=STAFF_MESSAGES[ReasonCode.UNCONFIRMED],
        # what the admit would have said (flags, "Welcome to {zone}") is not said now
        params=None,
        flags=None,
        zone_over=None,
    )


def next_admission(
    previous: AdmissionRecord | None, decision: Decision, at_ms: int, gate_name: str
) -> AdmissionRecord | None:
    """The ticket's admission state after a decision (unchanged for refusals)."""
    if decision.outcome is Outcome.ADMIT:
        zone, day = decision.zone or "", decision.day or ""
        if previous is None:
            return AdmissionRecord.first(at_ms, gate_name, zone=zone, day=day)
        if decision.reason is ReasonCode.MOVED:
            return previous.moved(at_ms, gate_name, zone)
        return previous.entered(at_ms, gate_name, zone=zone, day=day)
    if decision.outcome is Outcome.EXIT and previous is not None:
        return previous.left(at_ms, gate_name)
    return previous


def _type_name(
    state: StateView, event_id: int | None, ticket_type: int | None, policy: GatePolicy
) -> str:
    if ticket_type is None:
        return _UNKNOWN_PRODUCT
    event = policy.events.get(event_id) if event_id is not None else None
    rules = event.ticket_types.get(ticket_type) if event is not None else None
    if rules is not None and rules.name:
        return rules.name
    return state.ticket_type_name(ticket_type) or f"type {ticket_type}"


def _plain_window(valid_from: int, valid_until: int, at_s: int, grace: int) -> ReasonCode | None:
    if valid_from and at_s + grace < valid_from:
        return ReasonCode.NOT_YET_VALID
    if valid_until and at_s - grace > valid_until:
        return ReasonCode.EXPIRED
    return None


@lru_cache(maxsize=1024)
def _flagged_message(reason: ReasonCode, flags: TicketFlags) -> str:
    """An admit's message with its flags; memoised (pure): a type's flags repeat on
    every admit of it."""
    return staff_message(reason, None, flags)


def _clock_text(at_ms: int, tz: tzinfo) -> str:
    return _minute_text(at_ms // 60_000, tz) if at_ms else "—"


@lru_cache(maxsize=4096)
def _minute_text(minute: int, tz: tzinfo) -> str:
    """HH:MM of a Unix minute in ``tz``; memoised because every re-scan of an admitted
    ticket formats its first admission time (a pure function, so caching is safe)."""
    return datetime.fromtimestamp(minute * 60, tz=UTC).astimezone(tz).strftime("%H:%M")


def _refuse(
    reason: ReasonCode,
    direction: Direction,
    kind: CredentialKind,
    ticket: _Ticket | None = None,
    *,
    message: str | None = None,
    previous: AdmissionRecord | None = None,
) -> Decision:
    return Decision(
        outcome=Outcome.REFUSE,
        reason=reason,
        message=message if message is not None else STAFF_MESSAGES[reason],
        direction=direction,
        credential_kind=kind,
        ticket_id=ticket.ticket_id if ticket else None,
        event_id=ticket.event_id if ticket else None,
        ticket_type=ticket.ticket_type if ticket else None,
        key_id=ticket.key_id if ticket else None,
        previous=previous,
    )
