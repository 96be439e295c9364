"""A supervisor's manual check-in or check-out: the one rule, as a pure function.

An override is a decision made by a person, not by ``decide()``: the supervisor has
looked at the ticket's history and says "let them in" (or "they left"). It still goes
through the ledger like a scan, with ``manual_override`` as its reason and the operator
and reason recorded in the row, so the evidence shows who overrode what and why. The
only thing refused is a check-out of a ticket that is not inside: there is nothing to
undo, and recording it would make the admission index disagree with the ledger.
"""

from __future__ import annotations

from edge_agent.domain.credential import CredentialKind
from edge_agent.domain.decide import Decision
from edge_agent.domain.gate_policy import AdmissionRecord
from edge_agent.domain.reasons import STAFF_MESSAGES, Direction, Outcome, ReasonCode


def override_decision(
    ticket_id: str,
    event_id: int | None,
    ticket_type: int | None,
    direction: Direction,
    previous: AdmissionRecord | None,
) -> Decision:
    """``admit`` (in) or ``exit`` (out) with reason ``manual_override``; a check-out of
    a ticket that is not inside is refused as ``not_inside`` (and must not be recorded)."""
    if direction is Direction.OUT and (previous is None or not previous.inside):
        reason, outcome = ReasonCode.NOT_INSIDE, Outcome.REFUSE
    else:
        reason = ReasonCode.MANUAL_OVERRIDE
        outcome = Outcome.ADMIT if direction is Direction.IN else Outcome.EXIT
    return Decision(
        outcome=outcome,
        reason=reason,
        message=STAFF_MESSAGES[reason],
        direction=direction,
        credential_kind=CredentialKind.MANUAL,
        ticket_id=ticket_id,
        event_id=event_id,
        ticket_type=ticket_type,
        key_id=None,
        previous=previous,
    )
