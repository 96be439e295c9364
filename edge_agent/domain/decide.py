"""``decide()``: every admission rule of a gate in one pure function.

Inputs are values (a read credential, the direction, a state snapshot, the gate policy
and the time); the output is a ``Decision`` value. No database, clock or logging here,
so the API, the benchmarks and the tests all judge scans exactly the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import NamedTuple

from edge_agent.domain.credential import (
    Credential,
    CredentialKind,
    MalformedCredential,
    SignedCredential,
)
from edge_agent.domain.gate_policy import AdmissionRecord, GatePolicy, StateView
from edge_agent.domain.reasons import STAFF_MESSAGES, Direction, Outcome, ReasonCode
from edge_agent.domain.verification import window_reason


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

    @property
    def lets_through(self) -> bool:
        return self.outcome is not Outcome.REFUSE


class _Ticket(NamedTuple):
    """The fields of either credential kind that the state checks need."""

    ticket_id: str
    event_id: int
    ticket_type: int
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
    if isinstance(credential, SignedCredential):
        body = credential.ticket
        ticket = _Ticket(body.ticket_id_hex, body.event_id, body.ticket_type, body.key_id_hex)
        kind = CredentialKind.GH1
        if credential.signature is not ReasonCode.OK or credential.key is None:
            return _refuse(credential.signature, direction, kind, ticket)
        if not credential.key.allows_event(body.event_id):
            return _refuse(ReasonCode.KEY_NOT_FOR_EVENT, direction, kind, ticket)
        if body.event_id != policy.event_id:
            return _refuse(ReasonCode.WRONG_EVENT, direction, kind, ticket)
        timing = window_reason(body, credential.key, at_s, grace)
        bounds = (body.valid_from, body.valid_until)
    else:
        kind = CredentialKind.PLAIN
        plain = state.plain_ticket(credential.code_sha256)
        if plain is None:
            return _refuse(ReasonCode.UNKNOWN_CODE, direction, kind)
        ticket = _Ticket(plain.ticket_id, plain.event_id, plain.ticket_type, None)
        if plain.event_id != policy.event_id:
            return _refuse(ReasonCode.WRONG_EVENT, direction, kind, ticket)
        timing = _plain_window(plain.valid_from, plain.valid_until, at_s, grace)
        bounds = (plain.valid_from, plain.valid_until)
    if timing is not None:
        when = bounds[0] if timing is ReasonCode.NOT_YET_VALID else bounds[1]
        text = STAFF_MESSAGES[timing].format(when=_clock_text(when * 1000, policy.display_tz))
        return _refuse(timing, direction, kind, ticket, message=text)
    return _judge_state(ticket, kind, direction, state, policy)


def _judge_state(
    ticket: _Ticket,
    kind: CredentialKind,
    direction: Direction,
    state: StateView,
    policy: GatePolicy,
) -> Decision:
    if direction is Direction.IN and state.admissions_halted():
        # A supervisor's stop (crowd control, an incident): exits still work.
        return _refuse(ReasonCode.GATE_HALTED, direction, kind, ticket)
    if direction is Direction.IN and state.event_cancelled():
        # Exits stay possible: people inside a cancelled event must be able to leave.
        # Its own reason: the ledger must tell a cancelled event from a cancelled ticket.
        return _refuse(ReasonCode.EVENT_CANCELLED, direction, kind, ticket)
    revoked = state.revocation(ticket.ticket_id)
    if revoked is not None:
        return _refuse(revoked.reason, direction, kind, ticket)
    if policy.allowed_ticket_types and ticket.ticket_type not in policy.allowed_ticket_types:
        name = state.ticket_type_name(ticket.ticket_type) or f"type {ticket.ticket_type}"
        text = STAFF_MESSAGES[ReasonCode.NOT_ALLOWED_AT_GATE].format(ticket_type=name)
        return _refuse(ReasonCode.NOT_ALLOWED_AT_GATE, direction, kind, ticket, message=text)
    previous = state.admission(ticket.ticket_id)
    if direction is Direction.OUT:
        if not policy.exit_scans:
            return _refuse(ReasonCode.EXIT_NOT_ALLOWED, direction, kind, ticket, previous=previous)
        if previous is None or not previous.inside:
            return _refuse(ReasonCode.NOT_INSIDE, direction, kind, ticket, previous=previous)
        return _let(Outcome.EXIT, ReasonCode.EXITED, direction, kind, ticket, previous)
    if previous is None:
        return _let(Outcome.ADMIT, ReasonCode.ADMITTED, direction, kind, ticket, previous)
    if not previous.inside and policy.reentry:
        return _let(Outcome.ADMIT, ReasonCode.READMITTED, direction, kind, ticket, previous)
    base = _refuse(ReasonCode.ALREADY_ADMITTED, direction, kind, ticket)
    return already_admitted(base, previous, policy)


def already_admitted(base: Decision, previous: AdmissionRecord, policy: GatePolicy) -> Decision:
    """The refusal for a ticket that is already in (also used when a claim is lost)."""
    when = _clock_text(previous.first_admit_ms, policy.display_tz)
    text = STAFF_MESSAGES[ReasonCode.ALREADY_ADMITTED].format(when=when, gate=previous.first_gate)
    return base._replace(
        outcome=Outcome.REFUSE, reason=ReasonCode.ALREADY_ADMITTED, message=text, previous=previous
    )


def next_admission(
    previous: AdmissionRecord | None, decision: Decision, at_ms: int, gate_name: str
) -> AdmissionRecord | None:
    """The ticket's admission state after a decision (unchanged for refusals)."""
    if decision.outcome is Outcome.ADMIT:
        if previous is None:
            return AdmissionRecord.first(at_ms, gate_name)
        return previous.entered(at_ms, gate_name)
    if decision.outcome is Outcome.EXIT and previous is not None:
        return previous.left(at_ms, gate_name)
    return previous


def _plain_window(valid_from: int, valid_until: int, at_s: int, grace: int) -> ReasonCode | None:
    if valid_from and at_s + grace < valid_from:
        return ReasonCode.NOT_YET_VALID
    if valid_until and at_s - grace > valid_until:
        return ReasonCode.EXPIRED
    return None


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


def _let(
    outcome: Outcome,
    reason: ReasonCode,
    direction: Direction,
    kind: CredentialKind,
    ticket: _Ticket,
    previous: AdmissionRecord | None,
) -> Decision:
    return Decision(
        outcome=outcome,
        reason=reason,
        message=STAFF_MESSAGES[reason],
        direction=direction,
        credential_kind=kind,
        ticket_id=ticket.ticket_id,
        event_id=ticket.event_id,
        ticket_type=ticket.ticket_type,
        key_id=ticket.key_id,
        previous=previous,
    )
