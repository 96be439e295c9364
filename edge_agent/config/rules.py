"""From the config's rule tables to the domain's rule values, checked.

Builds the gate's policy and one policy per lane that names its own lists or zone, so
``decide()`` gets plain values, and turns every mistake a type cannot catch (a date, a
time, a list or zone that does not exist, a flag nobody knows) into a ``ConfigError``
naming the dotted key.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from edge_agent.config.rules_sections import DoorsSection, EventRulesSection, ListSection
from edge_agent.config.sections import Config
from edge_agent.domain.gate_policy import GatePolicy
from edge_agent.domain.rules.model import (
    CheckInList,
    DoorsWindow,
    EventRules,
    Flag,
    TicketFlags,
    TicketTypeRules,
    WhenFull,
    Zone,
)
from edge_agent.errors import ConfigError
from edge_agent.i18n.languages import LANGUAGES

_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


@dataclass(frozen=True)
class GateRules:
    """The gate's policy, the lanes' own policies, and the venue's zones."""

    policy: GatePolicy
    lane_policies: dict[str, GatePolicy]
    zones: tuple[Zone, ...]


def gate_rules(config: Config) -> GateRules:
    """Every policy of the gate; raises ``ConfigError`` naming the key at fault."""
    file = str(config.source)
    tz_name = config.gate.timezone
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(file, "gate.timezone", f"unknown zone {tz_name!r}") from None
    events = _events(config, file)
    zones = _zones(config, file)
    lists = _lists(config, events, file)
    if config.gate.lists and config.gate.allowed_ticket_types:
        raise ConfigError(
            file,
            "gate.allowed_ticket_types",
            "not used when gate.lists is set: give the lists their ticket_types",
        )
    if config.gate.language not in LANGUAGES:
        raise ConfigError(file, "gate.language", f"expected one of {', '.join(LANGUAGES)}")
    base = GatePolicy(
        event_id=config.event.event_id,
        gate_id=config.gate.id,
        gate_name=config.gate.name,
        allowed_ticket_types=frozenset(config.gate.allowed_ticket_types),
        reentry=config.policy.reentry,
        exit_scans=config.policy.exit_scans,
        clock_skew_grace_s=config.policy.clock_skew_grace_s,
        display_tz=tz,
        events=MappingProxyType(events),
    )
    gate = _lane_policy(base, config.gate.lists, config.gate.zone, "gate", lists, zones, file)
    lane_policies = {}
    for i, lane in enumerate(config.lanes):
        if lane.language and lane.language not in LANGUAGES:
            raise ConfigError(
                file, f"lanes[{i}].language", f"expected one of {', '.join(LANGUAGES)}"
            )
        if lane.lists or lane.zone:
            lane_policies[lane.id] = _lane_policy(
                gate, lane.lists, lane.zone, f"lanes[{i}]", lists, zones, file
            )
    return GateRules(gate, lane_policies, tuple(zones.values()))


def _lane_policy(
    base: GatePolicy,
    list_ids: tuple[str, ...],
    zone_id: str,
    where: str,
    lists: dict[str, CheckInList],
    zones: dict[str, Zone],
    file: str,
) -> GatePolicy:
    chosen = []
    for j, list_id in enumerate(list_ids):
        if list_id not in lists:
            raise ConfigError(file, f"{where}.lists[{j}]", f"no [[lists]] with id {list_id!r}")
        chosen.append(lists[list_id])
    if zone_id and zone_id not in zones:
        raise ConfigError(file, f"{where}.zone", f"no [[zones]] with id {zone_id!r}")
    return dataclasses.replace(
        base,
        lists=tuple(chosen) or base.lists,
        zone=zones[zone_id] if zone_id else base.zone,
    )


def _events(config: Config, file: str) -> dict[int, EventRules]:
    events: dict[int, EventRules] = {}
    for i, ev in enumerate(config.events):
        where = f"events[{i}]"
        if not 0 <= ev.event_id <= 0xFFFFFFFF:
            raise ConfigError(file, f"{where}.event_id", "expected an unsigned 32-bit integer")
        if ev.event_id in events:
            raise ConfigError(file, f"{where}.event_id", f"event {ev.event_id} is listed twice")
        events[ev.event_id] = _event(ev, where, file)
    return events


def _event(ev: EventRulesSection, where: str, file: str) -> EventRules:
    types: dict[int, TicketTypeRules] = {}
    for j, tt in enumerate(ev.ticket_types):
        key = f"{where}.ticket_types[{j}]"
        if not 0 <= tt.ticket_type <= 0xFFFF:
            raise ConfigError(file, f"{key}.ticket_type", "expected 0..65535")
        if tt.ticket_type in types:
            raise ConfigError(file, f"{key}.ticket_type", f"type {tt.ticket_type} is listed twice")
        flags = set()
        for k, name in enumerate(tt.flags):
            try:
                flags.add(Flag(name))
            except ValueError:
                known = ", ".join(f.value for f in Flag)
                raise ConfigError(file, f"{key}.flags[{k}]", f"expected one of {known}") from None
        types[tt.ticket_type] = TicketTypeRules(
            ticket_type=tt.ticket_type,
            name=tt.name,
            days=frozenset(_day(d, f"{key}.days[{k}]", file) for k, d in enumerate(tt.days)),
            require_rotating=tt.require_rotating,
            flags=TicketFlags(frozenset(flags), tt.note),
        )
    return EventRules(
        event_id=ev.event_id,
        name=ev.name,
        doors=_windows(ev.doors, f"{where}.doors", file),
        require_rotating=ev.require_rotating,
        ticket_types=MappingProxyType(types),
    )


def _zones(config: Config, file: str) -> dict[str, Zone]:
    zones: dict[str, Zone] = {}
    for i, z in enumerate(config.zones):
        where = f"zones[{i}]"
        if not z.id or len(z.id) > 64:
            raise ConfigError(file, f"{where}.id", "expected 1 to 64 characters")
        if z.id in zones:
            raise ConfigError(file, f"{where}.id", f"zone {z.id!r} is defined twice")
        if z.capacity < 0:
            raise ConfigError(file, f"{where}.capacity", "expected 0 (none) or more")
        try:
            when_full = WhenFull(z.when_full)
        except ValueError:
            raise ConfigError(file, f"{where}.when_full", 'expected "refuse" or "warn"') from None
        zones[z.id] = Zone(z.id, z.name, z.capacity, when_full)
    return zones


def _lists(config: Config, events: dict[int, EventRules], file: str) -> dict[str, CheckInList]:
    admitted = {config.event.event_id, *events}
    lists: dict[str, CheckInList] = {}
    for i, lst in enumerate(config.lists):
        where = f"lists[{i}]"
        if not lst.id or len(lst.id) > 64:
            raise ConfigError(file, f"{where}.id", "expected 1 to 64 characters")
        if lst.id in lists:
            raise ConfigError(file, f"{where}.id", f"list {lst.id!r} is defined twice")
        for j, event_id in enumerate(lst.events):
            if event_id not in admitted:
                raise ConfigError(
                    file, f"{where}.events[{j}]", f"event {event_id} is not admitted here"
                )
        lists[lst.id] = _list(lst, where, file)
    return lists


def _list(lst: ListSection, where: str, file: str) -> CheckInList:
    for key in ("max_entries", "max_entries_per_day"):
        if getattr(lst, key) < 0:
            raise ConfigError(file, f"{where}.{key}", "expected 0 (no limit) or more")
    return CheckInList(
        id=lst.id,
        name=lst.name or lst.id,
        events=frozenset(lst.events),
        ticket_types=frozenset(lst.ticket_types),
        windows=_windows(lst.windows, f"{where}.windows", file),
        reentry=lst.reentry,
        exit_scans=lst.exit_scans,
        max_entries=lst.max_entries,
        max_entries_per_day=lst.max_entries_per_day,
    )


def _windows(items: tuple[DoorsSection, ...], where: str, file: str) -> tuple[DoorsWindow, ...]:
    return tuple(
        DoorsWindow(
            _day(w.day, f"{where}[{i}].day", file),
            _minute(w.open, f"{where}[{i}].open", file),
            _minute(w.close, f"{where}[{i}].close", file),
        )
        for i, w in enumerate(items)
    )


def _day(text: str, key: str, file: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(file, key, f'expected a date like "2026-07-04", got {text!r}') from None


def _minute(text: str, key: str, file: str) -> int:
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ConfigError(file, key, f'expected a time like "18:30", got {text!r}')
    return int(match[1]) * 60 + int(match[2])
