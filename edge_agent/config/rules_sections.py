"""The config's rule tables: ``[[events]]``, ``[[zones]]`` and ``[[lists]]``.

Declared like every other section (frozen dataclasses, strict loading, documented in
``config.example.toml``); ``config/rules.py`` turns them into the domain's rule values
and checks what a type cannot (dates, times, references between tables).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DoorsSection:
    """One doors window: ``{day = "2026-07-04", open = "18:30", close = "23:00"}``."""

    #: The event day (ISO date) in the gate's display time zone.
    day: str
    #: Local wall-clock time the doors open (HH:MM).
    open: str
    #: Local time they close; at or before ``open`` = the next day ("04:00" after "22:00").
    close: str


@dataclass(frozen=True)
class TicketTypeSection:
    """What an event says about one of its ticket types."""

    ticket_type: int
    #: Shown to staff ("Not valid at this gate (VIP)"); "" = the manifest's name.
    name: str = ""
    #: Event days (ISO dates) this type admits on, for day passes; [] = every day.
    days: tuple[str, ...] = ()
    #: Only the live rotating code admits this type (docs/formats/rotating-v1.md).
    require_rotating: bool = False
    #: attention | id_check | age_18 | accessibility: an admit shows them to staff.
    flags: tuple[str, ...] = ()
    #: Free text shown to staff with every admit of this type.
    note: str = ""


@dataclass(frozen=True)
class EventRulesSection:
    """One event this box admits (``[event]``'s is admitted even without an entry)."""

    event_id: int
    name: str = ""
    #: An extra keyring file with this event's keys (their scope is cut to this event).
    keyring: str = ""
    #: Doors-open windows; [] = no doors rule.
    doors: tuple[DoorsSection, ...] = ()
    #: Only live rotating codes admit to this event.
    require_rotating: bool = False
    ticket_types: tuple[TicketTypeSection, ...] = ()


@dataclass(frozen=True)
class ZoneSection:
    id: str
    name: str = ""
    #: Most tickets inside at once; 0 = no capacity.
    capacity: int = 0
    #: "refuse" (Zone full) or "warn" (admit, and say it is over capacity).
    when_full: str = "refuse"


@dataclass(frozen=True)
class ListSection:
    """A check-in list: what a lane admits, when, and how often."""

    id: str
    name: str = ""
    #: Events on the list; [] = every event of the box.
    events: tuple[int, ...] = ()
    #: Ticket types on the list; [] = every type.
    ticket_types: tuple[int, ...] = ()
    #: When the list admits (like ``doors``); [] = whenever the event's doors are open.
    windows: tuple[DoorsSection, ...] = ()
    reentry: bool = False
    exit_scans: bool = True
    #: At most this many entries per ticket in total; 0 = no limit.
    max_entries: int = 0
    #: At most this many entries per ticket per event day; 0 = no limit.
    max_entries_per_day: int = 0
