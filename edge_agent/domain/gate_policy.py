"""What a gate needs to know to judge a scan, as plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from types import MappingProxyType
from typing import Protocol

from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.rules.model import CheckInList, EventRules, TicketFlags, Zone


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """One lane's (or the gate's) rules: which events, lists and zone it judges with.

    A gate without ``[[lists]]`` has one implicit list made of ``allowed_ticket_types``,
    ``reentry`` and ``exit_scans`` (the single-event policy that came first), so
    ``decide()`` has one path for both.
    """

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
    #: Every event this box admits, with its rules (``event_id`` among them); empty =
    #: ``event_id`` alone, without doors or ticket-type rules.
    events: Mapping[int, EventRules] = field(default_factory=lambda: MappingProxyType({}))
    #: The check-in lists this lane scans against, in order; empty = the implicit list.
    lists: tuple[CheckInList, ...] = ()
    #: The venue zone this lane enters (``None``: no zones, the venue is one room).
    zone: Zone | None = None
    #: The lists ``decide()`` uses (``lists``, or the implicit one); set at construction.
    effective_lists: tuple[CheckInList, ...] = field(init=False, compare=False)
    #: True when scans must record their rule facts (list, zone, day) in the ledger row's
    #: extension: the admission index needs them back after a restart.
    records_rules: bool = field(init=False, compare=False)
    #: True when a scan's local time matters (events with rules, or lists).
    timed: bool = field(init=False, compare=False)
    #: Memo of ``covering``: (event, type) -> the lists that cover it (a pure function of
    #: this frozen policy, filled as types are seen; read on every scan).
    _covering: dict[tuple[int, int], tuple[CheckInList, ...]] = field(
        init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        implicit = CheckInList(
            id="",
            name=self.gate_name,
            ticket_types=self.allowed_ticket_types,
            reentry=self.reentry,
            exit_scans=self.exit_scans,
        )
        object.__setattr__(self, "effective_lists", self.lists or (implicit,))
        object.__setattr__(self, "records_rules", bool(self.lists or self.zone))
        object.__setattr__(self, "timed", bool(self.events or self.lists))
        object.__setattr__(self, "_covering", {})

    def covering(self, event_id: int, ticket_type: int) -> tuple[CheckInList, ...]:
        """The lists of this lane that cover a ticket of ``event_id`` and ``ticket_type``,
        in order."""
        found = self._covering.get((event_id, ticket_type))
        if found is None:
            found = tuple(x for x in self.effective_lists if x.covers(event_id, ticket_type))
            if len(self._covering) < 65_536:  # bounded: types are u16 per event
                self._covering[(event_id, ticket_type)] = found
        return found

    def admits_event(self, event_id: int) -> bool:
        return event_id == self.event_id or event_id in self.events

    def event_rules(self, event_id: int) -> EventRules | None:
        return self.events.get(event_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdmissionRecord:
    """Where a ticket stands: admitted before, whether it is inside now, in which zone,
    and how often it entered (in total and on its last event day).

    Keyword-only: two (time, gate) pairs of the same types sit side by side, and a
    positional call that swapped them would still type-check. Every field is a JSON
    scalar and every later field has a default, so the mesh can carry the record as a
    plain object; every change is one of the pure transitions below.
    """

    inside: bool
    first_admit_ms: int
    first_gate: str
    last_ms: int
    last_gate: str
    entries: int
    #: The zone the ticket is in while inside ("" = the venue, no zones).
    zone: str = ""
    #: The event day (ISO date) of the last counted entry ("" = not counted by day).
    day: str = ""
    #: Entries counted on ``day`` (for per-day limits: day passes).
    day_entries: int = 0

    @classmethod
    def first(cls, at_ms: int, gate: str, *, zone: str = "", day: str = "") -> AdmissionRecord:
        """A ticket's first admission."""
        return cls(
            inside=True,
            first_admit_ms=at_ms,
            first_gate=gate,
            last_ms=at_ms,
            last_gate=gate,
            entries=1,
            zone=zone,
            day=day,
            day_entries=1 if day else 0,
        )

    def entered(self, at_ms: int, gate: str, *, zone: str = "", day: str = "") -> AdmissionRecord:
        """This ticket admitted again (a re-entry, or a supervisor's check-in). An entry
        without a day (an override) is not counted against a day's limit."""
        if not day:
            day, day_entries = self.day, self.day_entries
        else:
            day_entries = self.day_entries + 1 if day == self.day else 1
        return AdmissionRecord(
            inside=True,
            first_admit_ms=self.first_admit_ms,
            first_gate=self.first_gate,
            last_ms=at_ms,
            last_gate=gate,
            entries=self.entries + 1,
            zone=zone,
            day=day,
            day_entries=day_entries,
        )

    def moved(self, at_ms: int, gate: str, zone: str) -> AdmissionRecord:
        """This ticket went from one zone into another without leaving: not an entry."""
        return AdmissionRecord(
            inside=True,
            first_admit_ms=self.first_admit_ms,
            first_gate=self.first_gate,
            last_ms=at_ms,
            last_gate=gate,
            entries=self.entries,
            zone=zone,
            day=self.day,
            day_entries=self.day_entries,
        )

    def left(self, at_ms: int, gate: str) -> AdmissionRecord:
        """This ticket's holder went out (of every zone)."""
        return AdmissionRecord(
            inside=False,
            first_admit_ms=self.first_admit_ms,
            first_gate=self.first_gate,
            last_ms=at_ms,
            last_gate=gate,
            entries=self.entries,
            zone="",
            day=self.day,
            day_entries=self.day_entries,
        )


@dataclass(frozen=True, slots=True)
class PlainTicket:
    """A non-signed code from the event's manifest (stored by the SHA-256 of its text)."""

    ticket_id: str
    event_id: int
    ticket_type: int
    valid_from: int = 0
    valid_until: int = 0
    #: The date of an event series this ticket is for (a pretix subevent; 0 = none).
    subevent: int = 0


class StateView(Protocol):
    """Read-only snapshot ``decide()`` consults; the edge keeps it current."""

    def admission(self, ticket_id: str) -> AdmissionRecord | None: ...

    def revocation(self, ticket_id: str) -> RevocationKind | None: ...

    def plain_ticket(self, code_sha256: str) -> PlainTicket | None: ...

    def ticket_type_name(self, ticket_type: int) -> str | None: ...

    def event_cancelled(self) -> bool:
        """True once the platform cancelled the event: every entry is refused."""
        ...

    def zone_occupancy(self, zone: str) -> int:
        """Tickets inside ``zone`` now."""
        ...

    def ticket_flags(self, ticket_id: str, event_id: int, ticket_type: int) -> TicketFlags | None:
        """The manifest's flags for this ticket (its own and its type's, with the holder's
        name when there is a flag); ``None`` when it has none."""
        ...

    def pretix_rules(self) -> PretixRules | None:
        """What the pretix link says of its event's tickets (product → type, dates) and
        its check-in list (``None`` on a box without a pretix link)."""
        ...

    def admissions_halted(self) -> bool:
        """True while a supervisor has stopped admissions here: entries are refused."""
        ...
