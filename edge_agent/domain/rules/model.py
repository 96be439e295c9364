"""The rule values: events, doors windows, check-in lists, zones and ticket flags.

Frozen, hashable values built once at start (from config and manifest) and read by the
pure ``decide()`` on every scan, so each holds its data in the shape the hot path wants
(frozensets, pre-computed window keys) rather than the shape the TOML file has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

#: Minutes in a day: a local time is kept as ``day ordinal * 1440 + minute of day``.
DAY_MINUTES = 1440

#: A ticket type no ticket has: a list limited to no products at all (pretix allows
#: one) covers nothing, while an empty ``ticket_types`` means every type.
NO_TICKET_TYPE = -1


class Flag(StrEnum):
    """What staff must do before letting a flagged ticket through (manifest ``flags``)."""

    ATTENTION = "attention"
    ID_CHECK = "id_check"
    AGE_18 = "age_18"
    ACCESSIBILITY = "accessibility"


class WhenFull(StrEnum):
    """What a zone at capacity does with one more person."""

    REFUSE = "refuse"
    WARN = "warn"


@dataclass(frozen=True, slots=True)
class TicketFlags:
    """Flags of a ticket type or a single ticket, the staff note, and the holder's name
    (shown with a flag so staff can compare it with an ID)."""

    flags: frozenset[Flag] = frozenset()
    note: str = ""
    holder_name: str = ""

    def __bool__(self) -> bool:
        return bool(self.flags or self.note)

    def merged(self, other: TicketFlags | None) -> TicketFlags:
        """Both sets of flags; the other's note and name win when it has them."""
        if other is None:
            return self
        return TicketFlags(
            flags=self.flags | other.flags,
            note=other.note or self.note,
            holder_name=other.holder_name or self.holder_name,
        )


@dataclass(frozen=True, slots=True)
class DoorsWindow:
    """Doors open on ``day`` from ``open_min`` to ``close_min`` (minutes after local
    midnight in the display time zone). A close at or before the opening is on the next
    day (a club night 22:00–04:00). Half-open: open at the opening minute, closed at the
    closing minute. The bounds are kept as local keys (``calendar``), computed once."""

    day: date
    open_min: int
    close_min: int
    start_key: int = field(init=False, compare=False)
    end_key: int = field(init=False, compare=False)
    #: ``day`` as an ISO date (what a scan in this window counts on).
    day_text: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "day_text", self.day.isoformat())
        start = self.day.toordinal() * DAY_MINUTES
        next_day = DAY_MINUTES if self.close_min <= self.open_min else 0
        object.__setattr__(self, "start_key", start + self.open_min)
        object.__setattr__(self, "end_key", start + next_day + self.close_min)

    def contains(self, local_key: int) -> bool:
        return self.start_key <= local_key < self.end_key


@dataclass(frozen=True, slots=True)
class TicketTypeRules:
    """What an event says about one of its ticket types (config ``[[events.ticket_types]]``)."""

    ticket_type: int
    name: str = ""
    #: Event days this type admits on (day passes); empty = every day.
    days: frozenset[date] = frozenset()
    #: Only the live rotating code admits (``docs/formats/rotating-v1.md``).
    require_rotating: bool = False
    flags: TicketFlags = field(default_factory=TicketFlags)


@dataclass(frozen=True, slots=True)
class EventRules:
    """One event this box admits: its doors and its ticket types' rules."""

    event_id: int
    name: str = ""
    #: Doors-open windows; empty = no doors rule (the tickets' own validity applies).
    doors: tuple[DoorsWindow, ...] = ()
    require_rotating: bool = False
    ticket_types: Mapping[int, TicketTypeRules] = field(
        default_factory=lambda: MappingProxyType({})
    )


@dataclass(frozen=True, slots=True)
class CheckInList:
    """What a lane admits: which events and ticket types, when, how often, and whether
    re-entry and exit scans apply (pretix's check-in lists, as data).

    The lists of the config are the lanes'; a pretix link adds pretix's own list
    (``PretixRules.checkin_list``), which covers its products and date for every lane.
    """

    id: str
    name: str = ""
    #: Events on the list; empty = every event of the box.
    events: frozenset[int] = frozenset()
    #: Ticket types on the list; empty = every type.
    ticket_types: frozenset[int] = frozenset()
    #: When the list admits; empty = whenever the event's doors are open.
    windows: tuple[DoorsWindow, ...] = ()
    reentry: bool = False
    exit_scans: bool = True
    #: At most this many entries per ticket in total (0 = no limit).
    max_entries: int = 0
    #: At most this many entries per ticket per event day (0 = no limit).
    max_entries_per_day: int = 0
    #: Dates of an event series on the list (pretix subevent ids); empty = every date.
    dates: frozenset[int] = frozenset()

    def covers(self, event_id: int, ticket_type: int) -> bool:
        return (not self.events or event_id in self.events) and (
            not self.ticket_types or ticket_type in self.ticket_types
        )

    def covers_date(self, date_id: int) -> bool:
        """A ticket of no date (0) is for the event itself, covered by any list."""
        return not date_id or not self.dates or date_id in self.dates


@dataclass(frozen=True, slots=True)
class Zone:
    """A part of the venue people are counted into (a hall, the VIP deck)."""

    id: str
    name: str = ""
    #: Most people inside at once; 0 = no capacity.
    capacity: int = 0
    when_full: WhenFull = WhenFull.REFUSE

    @property
    def label(self) -> str:
        return self.name or self.id
