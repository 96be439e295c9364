"""The gate's live state: the in-memory admission index, revocations, plain-code lookup.

``decide()`` reads it through the ``StateView`` protocol; only the pipeline, sync (after
each manifest page commits) and, later, the mesh change it, always on the event loop,
so no locking is needed.

A pretix link adds two things: the check-in list's rules (``PretixRules``) and the
check-in state pretix reports for tickets other devices scanned ("remote" admissions).
A ticket's admission is this gate's own record merged with pretix's: whichever saw the
ticket last says whether it is inside, the earlier first entry is the first entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from edge_agent.domain.gate_policy import AdmissionRecord, PlainTicket
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.reasons import Outcome, RevocationKind

PlainLookup = Callable[[str], PlainTicket | None]


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
        #: Admissions pretix reports from other devices (empty without a pretix link).
        self._remote: dict[str, AdmissionRecord] = {}
        self._pretix_rules: PretixRules | None = None
        self._cancelled = event_status == "cancelled"
        #: The platform's event status ("" before the first sync).
        self.event_status = event_status
        #: Platform time of the manifest in force; recorded with every scan row.
        self.manifest_at_ms = manifest_at_ms

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

    def pretix_rules(self) -> PretixRules | None:
        return self._pretix_rules

    # -- changes ---------------------------------------------------------------------
    def set_admission(self, ticket_id: str, record: AdmissionRecord | None) -> None:
        if record is None:
            self._admissions.pop(ticket_id, None)
        else:
            self._admissions[ticket_id] = record

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
        return sum(1 for r in self._admissions.values() if r.inside)

    @property
    def revocation_count(self) -> int:
        return len(self._revocations)

    def rebuild_admissions(self, history: Iterable[tuple[int, str, str, str, int, str]]) -> int:
        """Replay (seq, ticket_id, outcome, direction, at_ms, gate) rows in seq order.

        Returns how many rows were replayed. Only admit and exit rows matter.
        """
        index: dict[str, AdmissionRecord] = {}
        n = 0
        admit, leave = Outcome.ADMIT.value, Outcome.EXIT.value
        for _seq, ticket_id, outcome, _direction, at_ms, gate in history:
            n += 1
            prev = index.get(ticket_id)
            if outcome == admit:
                index[ticket_id] = (
                    AdmissionRecord.first(at_ms, gate)
                    if prev is None
                    else prev.entered(at_ms, gate)
                )
            elif outcome == leave and prev is not None:
                index[ticket_id] = prev.left(at_ms, gate)
        self._admissions = index
        return n


def merged_admission(local: AdmissionRecord, remote: AdmissionRecord) -> AdmissionRecord:
    """One record from this gate's and pretix's: the later last scan says inside or not,
    the earlier first entry stays the first entry."""
    latest = local if local.last_ms >= remote.last_ms else remote
    first = local if local.first_admit_ms <= remote.first_admit_ms else remote
    return AdmissionRecord(
        inside=latest.inside,
        first_admit_ms=first.first_admit_ms,
        first_gate=first.first_gate,
        last_ms=latest.last_ms,
        last_gate=latest.last_gate,
        entries=max(local.entries, remote.entries),
    )
