"""The gate's live state: the in-memory admission index, revocations, plain-code lookup,
zone occupancy and the manifest's ticket flags.

``decide()`` reads it through the ``StateView`` protocol; only the pipeline, sync (after
each manifest page commits) and, later, the mesh change it, always on the event loop,
so no locking is needed. Occupancy per zone is kept in step with every admission change
(``set_admission``), so it is the count of tickets inside each zone by construction and
can never go negative.

A pretix link adds two things: what pretix says of its tickets and check-in list
(``PretixRules``) and the check-in state pretix reports for tickets other devices
scanned ("remote" admissions). A ticket's admission is this gate's own record merged
with pretix's: whichever saw the ticket last says whether it is inside, the earlier
first entry is the first entry. Zone occupancy counts this gate's own records (pretix
knows no zones).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping

from edge_agent.domain.credential import CredentialKind
from edge_agent.domain.decide import Decision, next_admission
from edge_agent.domain.gate_policy import AdmissionRecord, PlainTicket
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.reasons import Direction, Outcome, ReasonCode, RevocationKind
from edge_agent.domain.rules.model import TicketFlags
from edge_agent.ledger.halt_store import HaltRow
from edge_agent.ledger.records import decode_ext

PlainLookup = Callable[[str], PlainTicket | None]
#: Extension keys a row may carry that are not the rules' facts (docs/ledger.md).
_NOT_RULE_FACTS = frozenset({"claim", "clock", "clock_wall_ms"})
#: The holder's name of a ticket, from the manifest (asked only for flagged admits).
NameLookup = Callable[[str], str]
#: One ledger row as ``queries.admission_history`` yields it.
HistoryRow = tuple[int, str, str, str, int, str, str, str | None]


class GateState:
    def __init__(
        self,
        plain_lookup: PlainLookup,
        ticket_type_names: Mapping[int, str] | None = None,
        revocations: Mapping[str, RevocationKind] | None = None,
        *,
        event_status: str = "",
        manifest_at_ms: int | None = None,
    ) -> None:
        self._plain_lookup = plain_lookup
        self._type_names = dict(ticket_type_names or {})
        self._revocations: dict[str, RevocationKind] = dict(revocations or {})
        self._admissions: dict[str, AdmissionRecord] = {}
        #: zone id -> tickets inside it ("" = inside, no zone)
        self._occupancy: Counter[str] = Counter()
        #: flags of single tickets and of (event, type), from the manifest
        self._ticket_flags: dict[str, TicketFlags] = {}
        self._type_flags: dict[tuple[int, int], TicketFlags] = {}
        self._holder_name: NameLookup = lambda _ticket_id: ""
        #: Admissions pretix reports from other devices (empty without a pretix link).
        self._remote: dict[str, AdmissionRecord] = {}
        self._pretix_rules: PretixRules | None = None
        self._cancelled = event_status == "cancelled"
        #: The platform's event status ("" before the first sync).
        self.event_status = event_status
        #: Platform time of the manifest in force; recorded with every scan row.
        self.manifest_at_ms = manifest_at_ms
        #: A supervisor's halt in force (``gate/halts.py``): entries are refused.
        self.halt: HaltRow | None = None

    # -- StateView -------------------------------------------------------------------
    def admission(self, ticket_id: str) -> AdmissionRecord | None:
        local = self._admissions.get(ticket_id)
        if not self._remote:
            return local
        remote = self._remote.get(ticket_id)
        if remote is None:
            return local
        return remote if local is None else merged_admission(local, remote)

    def revocation(self, ticket_id: str) -> RevocationKind | None:
        return self._revocations.get(ticket_id)

    def plain_ticket(self, code_sha256: str) -> PlainTicket | None:
        return self._plain_lookup(code_sha256)

    def ticket_type_name(self, ticket_type: int) -> str | None:
        return self._type_names.get(ticket_type)

    def event_cancelled(self) -> bool:
        return self._cancelled

    def zone_occupancy(self, zone: str) -> int:
        return self._occupancy[zone]

    def pretix_rules(self) -> PretixRules | None:
        return self._pretix_rules

    def ticket_flags(self, ticket_id: str, event_id: int, ticket_type: int) -> TicketFlags | None:
        if not self._ticket_flags and not self._type_flags:
            return None  # the usual night: nobody flagged
        own = self._ticket_flags.get(ticket_id)
        typed = self._type_flags.get((event_id, ticket_type))
        if own is None and typed is None:
            return None
        flags = (typed or TicketFlags()).merged(own)
        if flags.flags and not flags.holder_name:
            name = self._holder_name(ticket_id)
            if name:
                flags = TicketFlags(flags.flags, flags.note, name)
        return flags

    def admissions_halted(self) -> bool:
        return self.halt is not None

    # -- changes ---------------------------------------------------------------------
    def set_admission(self, ticket_id: str, record: AdmissionRecord | None) -> None:
        old = self._admissions.get(ticket_id)
        if old is not None and old.inside:
            self._occupancy[old.zone] -= 1
        if record is None:
            self._admissions.pop(ticket_id, None)
        else:
            self._admissions[ticket_id] = record
            if record.inside:
                self._occupancy[record.zone] += 1

    def set_ticket_flags(self, ticket_id: str, flags: TicketFlags | None) -> None:
        """A single ticket's flags from the manifest (``None``: it has none now)."""
        if flags:
            self._ticket_flags[ticket_id] = flags
        else:
            self._ticket_flags.pop(ticket_id, None)

    @property
    def has_ticket_flags(self) -> bool:
        """Whether any single ticket has flags (so a manifest page may have some to lift)."""
        return bool(self._ticket_flags)

    def set_type_flags(self, event_id: int, ticket_type: int, flags: TicketFlags | None) -> None:
        if flags:
            self._type_flags[(event_id, ticket_type)] = flags
        else:
            self._type_flags.pop((event_id, ticket_type), None)

    def set_holder_lookup(self, lookup: NameLookup) -> None:
        self._holder_name = lookup

    def occupancy(self) -> dict[str, int]:
        """Tickets inside per zone now ("" = inside, in no zone)."""
        return {zone: n for zone, n in self._occupancy.items() if n}

    def set_revocation(self, ticket_id: str, kind: RevocationKind | None) -> None:
        """Revoke (or, with ``None``, lift the revocation of) a ticket from now on."""
        if kind is None:
            self._revocations.pop(ticket_id, None)
        else:
            self._revocations[ticket_id] = kind

    def set_pretix_rules(self, rules: PretixRules | None) -> None:
        self._pretix_rules = rules

    def set_remote_admission(self, ticket_id: str, record: AdmissionRecord | None) -> None:
        """What pretix says of a ticket's check-ins at other devices (``None``: none)."""
        if record is None:
            self._remote.pop(ticket_id, None)
        else:
            self._remote[ticket_id] = record

    def set_ticket_type_name(self, ticket_type: int, name: str) -> None:
        self._type_names[ticket_type] = name

    def set_event_status(self, status: str) -> None:
        """``cancelled`` refuses every entry (``decide``); other statuses change nothing
        at the gate (a postponed event's tickets carry their own validity windows)."""
        self.event_status = status
        self._cancelled = status == "cancelled"

    @property
    def admitted_count(self) -> int:
        return len(self._admissions)

    @property
    def inside_count(self) -> int:
        return sum(self._occupancy.values())

    @property
    def revocation_count(self) -> int:
        return len(self._revocations)

    def rebuild_admissions(
        self,
        history: Iterable[HistoryRow],
        day_of: Callable[[int], str] = lambda _ms: "",
        gate_names: Mapping[str, str] | None = None,
    ) -> int:
        """Replay ``(seq, ticket_id, outcome, direction, at_ms, gate, reason, ext)`` rows
        in seq order through the same pure transition the pipeline uses
        (``next_admission``), so zones and day counts come back exactly as they were.

        A row's extension holds the zone it entered and the event day it counted on
        (``docs/ledger.md``, "Extensions"); a row without one (before rules, or a manual
        override) counts on ``day_of(at_ms)`` when it is an entry. Rows name the gate by
        its id; ``gate_names`` gives the name the live index uses ("Already used 19:42 at
        Gate 3"). Returns how many rows were replayed. Only admit and exit rows matter.
        """
        names = gate_names or {}
        index: dict[str, AdmissionRecord] = {}
        n = 0
        admit, leave = Outcome.ADMIT.value, Outcome.EXIT.value
        for _seq, ticket_id, outcome, _direction, at_ms, gate, reason, ext in history:
            n += 1
            if outcome != admit and outcome != leave:
                continue
            facts = decode_ext(ext) if ext else {}
            zone, day = facts.get("zone", ""), facts.get("day", "")
            # the mesh's claim mark ({"claim": "unconfirmed"}) and the trusted clock's
            # ({"clock": ..., "clock_wall_ms": ...}) are no rule facts
            ruled = not facts.keys() <= _NOT_RULE_FACTS
            if outcome == admit and not ruled and reason != ReasonCode.MANUAL_OVERRIDE:
                day = day_of(at_ms)
            decision = Decision(
                outcome=Outcome(outcome),
                reason=ReasonCode(reason),
                message="",
                direction=Direction.IN if outcome == admit else Direction.OUT,
                credential_kind=CredentialKind.MANUAL,
                zone=str(zone),
                day=str(day),
            )
            gate_name = names.get(gate, gate)
            record = next_admission(index.get(ticket_id), decision, at_ms, gate_name)
            if record is not None:
                index[ticket_id] = record
        self._admissions = index
        self._occupancy = Counter(r.zone for r in index.values() if r.inside)
        return n


def merged_admission(local: AdmissionRecord, remote: AdmissionRecord) -> AdmissionRecord:
    """One record from this gate's and pretix's: the later last scan says inside or not
    (and, from this gate, in which zone), the earlier first entry stays the first entry.
    Day counts are this gate's own: pretix's check-ins carry no event day."""
    latest = local if local.last_ms >= remote.last_ms else remote
    first = local if local.first_admit_ms <= remote.first_admit_ms else remote
    return AdmissionRecord(
        inside=latest.inside,
        first_admit_ms=first.first_admit_ms,
        first_gate=first.first_gate,
        last_ms=latest.last_ms,
        last_gate=latest.last_gate,
        entries=max(local.entries, remote.entries),
        zone=latest.zone if latest.inside else "",
        day=local.day,
        day_entries=local.day_entries,
    )
