"""Stable reason codes and the short messages gate staff see.

The string values are a contract: they are stored in the ledger, uploaded to the
platform and shown in evidence packs. Add new members; never rename or reuse one.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What the gate does with the person in front of it."""

    ADMIT = "admit"
    EXIT = "exit"
    REFUSE = "refuse"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class ReasonCode(StrEnum):
    # verdicts that let someone through
    OK = "ok"  # codec-level: signature and windows fine (``ticket inspect``)
    ADMITTED = "admitted"
    READMITTED = "readmitted"  # re-entry after an exit scan, where policy allows it
    EXITED = "exited"
    # codec / signature
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    KEY_NOT_FOR_EVENT = "key_not_for_event"
    WRONG_EVENT = "wrong_event"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    # the ticket's state
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    CHARGED_BACK = "charged_back"
    REISSUED = "reissued"
    SUSPENDED = "suspended"  # the platform holds the ticket (e.g. under review)
    ALREADY_ADMITTED = "already_admitted"
    NOT_ALLOWED_AT_GATE = "not_allowed_at_gate"
    UNKNOWN_CODE = "unknown_code"
    NOT_INSIDE = "not_inside"  # exit scan of a ticket that is not in
    EXIT_NOT_ALLOWED = "exit_not_allowed"  # exit scans switched off at this gate
    # the event's state
    EVENT_CANCELLED = "event_cancelled"  # the platform cancelled the whole event (entries)
    GATE_HALTED = "gate_halted"  # a supervisor stopped admissions at this agent (entries)
    # the agent itself
    NOT_RECORDED = "not_recorded"  # the ledger could not make the row durable
    # the venue's other gates could not confirm the admission in time and policy
    # ([mesh] unconfirmed = "refuse") sends the person to a supervisor
    UNCONFIRMED = "unconfirmed"
    # a person, not a code
    MANUAL_OVERRIDE = "manual_override"  # a supervisor checked the ticket in or out by hand
    # the ticket's state, as pretix keeps it (appended: issue 15)
    BLOCKED = "blocked"  # pretix's blocked secrets: an organiser stopped this ticket
    UNPAID = "unpaid"  # the order is not paid (pending, expired or awaiting approval)
    # gate rules (appended: issue 16; docs/gate.md, "Rules")
    MOVED = "moved"  # entered another zone without leaving: a move, not an entry
    DOORS_NOT_OPEN = "doors_not_open"  # before the doors (or the list's window) open
    DOORS_CLOSED = "doors_closed"  # after the last window closed
    WRONG_DAY = "wrong_day"  # a day pass on another event day
    ENTRY_LIMIT = "entry_limit"  # the list's most entries per ticket reached
    DAY_LIMIT = "day_limit"  # the list's most entries per ticket and day reached
    ZONE_FULL = "zone_full"  # the zone is at capacity (and refuses when full)
    STALE_CODE = "stale_code"  # a rotating code from another 15-s step: a screenshot
    ROTATING_REQUIRED = "rotating_required"  # a static code where only live codes admit


class RevocationKind(StrEnum):
    """Why the platform withdrew a ticket; each maps to its own refusal reason."""

    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    CHARGED_BACK = "charged_back"
    REISSUED = "reissued"
    SUSPENDED = "suspended"
    BLOCKED = "blocked"  # pretix: lifted when pretix unblocks the secret
    UNPAID = "unpaid"  # pretix: lifted when the order is paid

    @property
    def reason(self) -> ReasonCode:
        return ReasonCode(self.value)


#: Short, concrete texts for staff. ``decide()`` fills in times and gates where the
#: template has placeholders.
STAFF_MESSAGES: dict[ReasonCode, str] = {
    ReasonCode.OK: "Valid ticket",
    ReasonCode.ADMITTED: "Welcome — admit",
    ReasonCode.READMITTED: "Re-entry — admit",
    ReasonCode.EXITED: "Exit recorded",
    ReasonCode.MALFORMED: "Not a ticket code — rescan or check the screen",
    ReasonCode.UNKNOWN_KEY: "Unknown issuer — not our ticket",
    ReasonCode.BAD_SIGNATURE: "Forged or damaged code — refuse",
    ReasonCode.KEY_NOT_FOR_EVENT: "Issuer not allowed for this event",
    ReasonCode.WRONG_EVENT: "Ticket is for another event",
    ReasonCode.NOT_YET_VALID: "Not valid yet (from {when})",
    ReasonCode.EXPIRED: "Expired ({when})",
    ReasonCode.REFUNDED: "Refunded ticket — send to box office",
    ReasonCode.CANCELLED: "Cancelled ticket — send to box office",
    ReasonCode.CHARGED_BACK: "Charged back — send to box office",
    ReasonCode.REISSUED: "Replaced by a newer ticket — ask for the new one",
    ReasonCode.SUSPENDED: "Ticket on hold — send to box office",
    ReasonCode.ALREADY_ADMITTED: "Already used {when} at {gate}",
    ReasonCode.NOT_ALLOWED_AT_GATE: "Not valid at this gate ({ticket_type})",
    ReasonCode.UNKNOWN_CODE: "Unknown code — not in this event's list",
    ReasonCode.NOT_INSIDE: "Not checked in — cannot exit",
    ReasonCode.EXIT_NOT_ALLOWED: "Exit scans are off at this gate",
    ReasonCode.EVENT_CANCELLED: "Event cancelled — no entry",
    ReasonCode.GATE_HALTED: "Entry stopped by a supervisor — wait",
    ReasonCode.NOT_RECORDED: "NOT RECORDED — system problem, scan again",
    ReasonCode.UNCONFIRMED: "Other gates unreachable — cannot confirm, ask a supervisor",
    ReasonCode.MANUAL_OVERRIDE: "Manual override by a supervisor",
    ReasonCode.BLOCKED: "Ticket blocked — send to box office",
    ReasonCode.UNPAID: "Order not paid — send to box office",
    ReasonCode.MOVED: "Welcome to {zone}",
    ReasonCode.DOORS_NOT_OPEN: "Doors open {time}",
    ReasonCode.DOORS_CLOSED: "Doors closed at {time}",
    ReasonCode.WRONG_DAY: "Day pass for {day}",
    ReasonCode.ENTRY_LIMIT: "Already entered {times} — no more entries",
    ReasonCode.DAY_LIMIT: "Already entered {times} today",
    ReasonCode.ZONE_FULL: "Zone full ({zone})",
    ReasonCode.STALE_CODE: "Screenshot? Ask for the live ticket",
    ReasonCode.ROTATING_REQUIRED: "Printed or static code — ask for the live ticket",
}

#: The staff message of ``WRONG_EVENT`` when the ticket is for another date of the same
#: event series (a pretix subevent): chosen by the ``date`` parameter
#: (``messages.template_of``), so it is a message id of every catalogue too.
WRONG_DATE_MESSAGE = "Ticket is for another date ({date})"

#: How often, in words ("Already entered twice today"); ``{count}`` from three on.
TIMES_TEXTS: tuple[str, str, str] = ("once", "twice", "{count} times")

#: What staff see added to an admit with flags (``rules.model.Flag``), in this order.
FLAG_TEXTS: dict[str, str] = {
    "id_check": "CHECK ID",
    "age_18": "18+ — check age",
    "accessibility": "Accessibility — offer help",
    "attention": "Attention",
}
#: The holder's name beside a flag, so staff can compare it with the ID.
HOLDER_TEXT = "Name: {name}"
#: A zone over its capacity that only warns: the admit says so.
ZONE_OVER_TEXT = "{zone} over capacity"
