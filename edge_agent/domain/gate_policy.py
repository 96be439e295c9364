"""What a gate needs to know to judge a scan, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Protocol

from edge_agent.domain.reasons import RevocationKind


@dataclass(frozen=True, slots=True)
class GatePolicy:
    event_id: int
    gate_id: str
    gate_name: str
    #: Ticket types admitted at this gate; empty = every type.
    allowed_ticket_types: frozenset[int]
    reentry: bool
    exit_scans: bool
    clock_skew_grace_s: int
    #: Zone used for times in staff messages ("Already used 19:42 at Gate 3").
    display_tz: tzinfo


@dataclass(frozen=True, slots=True, kw_only=True)
class AdmissionRecord:
    """Where a ticket stands: admitted before, and whether it is inside now.

    Keyword-only: two (time, gate) pairs of the same types sit side by side, and a
    positional call that swapped them would still type-check.
    """

    inside: bool
    first_admit_ms: int
    first_gate: str
    last_ms: int
    last_gate: str
    entries: int

    @classmethod
    def first(cls, at_ms: int, gate: str) -> AdmissionRecord:
        """A ticket's first admission."""
        return cls(
            inside=True,
            first_admit_ms=at_ms,
            first_gate=gate,
            last_ms=at_ms,
            last_gate=gate,
            entries=1,
        )

    def entered(self, at_ms: int, gate: str) -> AdmissionRecord:
        """This ticket admitted again (a re-entry, or a supervisor's check-in)."""
        return AdmissionRecord(
            inside=True,
            first_admit_ms=self.first_admit_ms,
            first_gate=self.first_gate,
            last_ms=at_ms,
            last_gate=gate,
            entries=self.entries + 1,
        )

    def left(self, at_ms: int, gate: str) -> AdmissionRecord:
        """This ticket's holder went out."""
        return AdmissionRecord(
            inside=False,
            first_admit_ms=self.first_admit_ms,
            first_gate=self.first_gate,
            last_ms=at_ms,
            last_gate=gate,
            entries=self.entries,
        )


@dataclass(frozen=True, slots=True)
class PlainTicket:
    """A non-signed code from the event's manifest (stored by the SHA-256 of its text)."""

    ticket_id: str
    event_id: int
    ticket_type: int
    valid_from: int = 0
    valid_until: int = 0


class StateView(Protocol):
    """Read-only snapshot ``decide()`` consults; the edge keeps it current."""

    def admission(self, ticket_id: str) -> AdmissionRecord | None: ...

    def revocation(self, ticket_id: str) -> RevocationKind | None: ...

    def plain_ticket(self, code_sha256: str) -> PlainTicket | None: ...

    def ticket_type_name(self, ticket_type: int) -> str | None: ...

    def event_cancelled(self) -> bool:
        """True once the platform cancelled the event: every entry is refused."""
        ...

    def admissions_halted(self) -> bool:
        """True while a supervisor has stopped admissions here: entries are refused."""
        ...
