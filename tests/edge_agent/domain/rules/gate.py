"""A tiny pure gate for the rules' tests: plain codes, a StateView over values, and a
``scan`` that does what the pipeline does (decide, then the pure transition)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo

from edge_agent.domain.credential import PlainCredential
from edge_agent.domain.decide import Decision, decide, next_admission
from edge_agent.domain.gate_policy import AdmissionRecord, GatePolicy, PlainTicket
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.reasons import Direction, RevocationKind
from edge_agent.domain.rules.model import (
    CheckInList,
    DoorsWindow,
    EventRules,
    TicketFlags,
    TicketTypeRules,
    Zone,
)

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class RuleState:
    admissions: dict[str, AdmissionRecord] = field(default_factory=dict)
    plain: dict[str, PlainTicket] = field(default_factory=dict)
    flags: dict[str, TicketFlags] = field(default_factory=dict)
    #: What a pretix link says (products, dates, its check-in list); ``None``: no link.
    pretix: PretixRules | None = None
    type_flags: dict[tuple[int, int], TicketFlags] = field(default_factory=dict)

    def admission(self, ticket_id: str) -> AdmissionRecord | None:
        return self.admissions.get(ticket_id)

    def revocation(self, ticket_id: str) -> RevocationKind | None:
        return None

    def plain_ticket(self, code_sha256: str) -> PlainTicket | None:
        return self.plain.get(code_sha256)

    def ticket_type_name(self, ticket_type: int) -> str | None:
        return None

    def event_cancelled(self) -> bool:
        return False

    def admissions_halted(self) -> bool:
        return False

    def zone_occupancy(self, zone: str) -> int:
        return sum(1 for r in self.admissions.values() if r.inside and r.zone == zone)

    def ticket_flags(self, ticket_id: str, event_id: int, ticket_type: int) -> TicketFlags | None:
        own, typed = self.flags.get(ticket_id), self.type_flags.get((event_id, ticket_type))
        return own if typed is None else typed.merged(own)

    def pretix_rules(self) -> PretixRules | None:
        return self.pretix

    def occupancy(self) -> Counter[str]:
        return Counter(r.zone for r in self.admissions.values() if r.inside)

    def add(self, code: str, event_id: int, ticket_type: int) -> None:
        self.plain[code] = PlainTicket(code, event_id, ticket_type)

    def scan(
        self, code: str, policy: GatePolicy, at_ms: int, direction: Direction = Direction.IN
    ) -> Decision:
        decision = decide(PlainCredential(code), direction, self, policy, at_ms)
        if decision.lets_through and decision.ticket_id is not None:
            record = next_admission(decision.previous, decision, at_ms, policy.gate_name)
            assert record is not None
            self.admissions[decision.ticket_id] = record
        return decision


def window(day: date, open_: str, close: str) -> DoorsWindow:
    def minutes(text: str) -> int:
        h, m = text.split(":")
        return int(h) * 60 + int(m)

    return DoorsWindow(day, minutes(open_), minutes(close))


def policy(
    *,
    events: dict[int, EventRules] | None = None,
    lists: tuple[CheckInList, ...] = (),
    zone: Zone | None = None,
    tz: tzinfo = BERLIN,
    event_id: int = 1,
) -> GatePolicy:
    return GatePolicy(
        event_id=event_id,
        gate_id="gate-1",
        gate_name="Gate 1",
        allowed_ticket_types=frozenset(),
        reentry=False,
        exit_scans=True,
        clock_skew_grace_s=0,
        display_tz=tz,
        events=MappingProxyType(events or {}),
        lists=lists,
        zone=zone,
    )


def event(
    event_id: int, *, doors: tuple[DoorsWindow, ...] = (), **types: TicketTypeRules
) -> EventRules:
    return EventRules(
        event_id=event_id,
        doors=doors,
        ticket_types=MappingProxyType({t.ticket_type: t for t in types.values()}),
    )
