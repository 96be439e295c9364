"""The gate's live state: the in-memory admission index, revocations, plain-code lookup.

``decide()`` reads it through the ``StateView`` protocol; only the pipeline, sync (after
each manifest page commits) and, later, the mesh change it, always on the event loop,
so no locking is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from edge_agent.domain.gate_policy import AdmissionRecord, PlainTicket
from edge_agent.domain.reasons import Outcome, RevocationKind
from edge_agent.ledger.halt_store import HaltRow

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
        self._cancelled = event_status == "cancelled"
        #: The platform's event status ("" before the first sync).
        self.event_status = event_status
        #: Platform time of the manifest in force; recorded with every scan row.
        self.manifest_at_ms = manifest_at_ms
        #: A supervisor's halt in force (``gate/halts.py``): entries are refused.
        self.halt: HaltRow | None = None

    # -- StateView -------------------------------------------------------------------
    def admission(self, ticket_id: str) -> AdmissionRecord | None:
        return self._admissions.get(ticket_id)

    def revocation(self, ticket_id: str) -> RevocationKind | None:
        return self._revocations.get(ticket_id)

    def plain_ticket(self, code_sha256: str) -> PlainTicket | None:
        return self._plain_lookup(code_sha256)

    def ticket_type_name(self, ticket_type: int) -> str | None:
        return self._type_names.get(ticket_type)

    def event_cancelled(self) -> bool:
        return self._cancelled

    def admissions_halted(self) -> bool:
        return self.halt is not None

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
