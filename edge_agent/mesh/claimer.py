"""``MeshClaimer``: the gate's ``AdmissionClaimer`` on the venue's claims bucket.

After ``decide()`` lets someone through, the pipeline asks ``claim()``:

- **first admission**: create-if-absent (expected revision 0). The first claim in the
  cluster wins; a loser reads the winner back and the pipeline refuses
  ``already_admitted`` naming the winner's gate and time.
- **exit / re-entry**: compare-and-set on the revision this box knows (from its own
  claims and the bucket watcher). On a lost race the current value is read: a re-entry
  that someone else made first loses; an exit is applied on top of whatever is current
  (someone leaving is never refused for a race).
- **no quorum**: every call is bounded by the budget (``[mesh] claim_budget_ms``, 150 ms
  by default). A timeout, a 503 while a leader is elected or a dropped connection gives
  an *unconfirmed* result: the policy (``[mesh] unconfirmed``) says admit or refuse,
  the ledger row is marked ``{"claim": "unconfirmed"}``, and ``replay`` settles it
  later with the same claim id. After one such failure a breaker answers at once
  (no 150 ms waits at a door) until the quorum probe succeeds again, so a box cut off
  from the others does not hammer a stale leader either.

A venue of one (no cluster link) claims locally, exactly like ``LocalClaimer``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from nats.aio.client import Client as NATS

from edge_agent.domain.gate_policy import AdmissionRecord
from edge_agent.gate.claims import ClaimResult
from edge_agent.mesh import claim_ops
from edge_agent.mesh.claim_ops import ClaimUnknown, WrongSequence
from edge_agent.mesh.claim_values import ClaimValue, ticket_key
from edge_agent.metrics.histogram import LatencyHistogram
from edge_agent.metrics.mesh_seam import MeshFigures

log = logging.getLogger(__name__)

WON = ClaimResult(won=True)
#: Compare-and-set attempts for an exit or re-entry that raced another gate.
_CAS_ATTEMPTS = 3
#: Pause between reads of a winner's write that is not committed yet.
_REREAD_S = 0.002


@dataclass(frozen=True)
class ClaimIdentity:
    agent_id: str
    member: str
    gate_id: str


class MeshClaimer:
    def __init__(
        self,
        identity: ClaimIdentity,
        *,
        budget_ms: int,
        admit_unconfirmed: bool,
        figures: Callable[[MeshClaimer], MeshFigures] | None = None,
    ) -> None:
        self.identity = identity
        self.budget_s = budget_ms / 1000
        self.admit_unconfirmed = admit_unconfirmed
        self._figures = figures
        #: The connection to this box's server; ``None`` for a venue of one.
        self.nc: NATS | None = None
        #: True while the cluster is expected (2+ members): without a link, unconfirmed.
        self.clustered = False
        #: Last known revision per ticket (own claims and the watcher's updates).
        self.revisions: dict[str, int] = {}
        self._open = False
        self.latency = LatencyHistogram()
        self.unconfirmed_count = 0
        self.confirmed_count = 0
        #: Called (no arguments) after the first unconfirmed claim of an outage.
        self.on_degraded: Callable[[], None] | None = None

    # ------------------------------------------------------------------ breaker
    @property
    def quorum(self) -> bool:
        """True while claims are answered by a quorum (always, for a venue of one)."""
        return not self.clustered or (self.nc is not None and not self._open)

    def trip(self) -> None:
        """Stop asking the cluster: claims are unconfirmed until ``reset``."""
        if not self._open:
            self._open = True
            log.warning("mesh: no quorum; admissions are decided here and marked unconfirmed")
            if self.on_degraded is not None:
                self.on_degraded()

    def reset(self) -> None:
        if self._open:
            self._open = False
            log.info("mesh: quorum back; claims are confirmed again")

    def mesh_figures(self) -> MeshFigures:
        """For ``/metrics`` and ``doctor`` (``edge_agent/metrics/mesh_seam.py``)."""
        if self._figures is not None:
            return self._figures(self)
        return MeshFigures(configured=True, members=1, expected=1, quorum=True)

    # -------------------------------------------------------------------- claim
    async def claim(
        self,
        ticket_id: str,
        previous: AdmissionRecord | None,
        proposed: AdmissionRecord,
        *,
        claim_id: str = "",
    ) -> ClaimResult:
        if not self.clustered:
            return WON
        nc = self.nc
        if nc is None or self._open or not claim_id:
            return self._unconfirmed()
        started = time.perf_counter()
        deadline = started + self.budget_s
        try:
            result = await self._claim(nc, ticket_id, previous, proposed, claim_id, deadline)
        except ClaimUnknown:
            self.trip()
            return self._unconfirmed()
        except ValueError as exc:  # a value we cannot read: a newer agent wrote it
            log.error("mesh: claim of %s not readable (%s); decided here", ticket_id, exc)
            return self._unconfirmed()
        self.latency.observe(time.perf_counter() - started)
        self.confirmed_count += 1
        return result

    def _unconfirmed(self) -> ClaimResult:
        self.unconfirmed_count += 1
        return ClaimResult(won=self.admit_unconfirmed, confirmed=False)

    def _value(self, record: AdmissionRecord, claim_id: str, first_claim: str) -> ClaimValue:
        me = self.identity
        return ClaimValue(record, claim_id, first_claim, me.agent_id, me.member, me.gate_id)

    async def _claim(
        self,
        nc: NATS,
        ticket_id: str,
        previous: AdmissionRecord | None,
        proposed: AdmissionRecord,
        claim_id: str,
        deadline: float,
    ) -> ClaimResult:
        key = ticket_key(ticket_id)
        expected = 0 if previous is None else self.revisions.get(ticket_id)
        current: ClaimValue | None = None
        if expected is None:  # a change to a ticket this box has no revision for
            found = await claim_ops.read(nc, key, wait_s=_left(deadline))
            expected, current = (0, None) if found is None else found
        first = claim_id if current is None else current.first_claim
        record = proposed
        for _ in range(_CAS_ATTEMPTS):
            value = self._value(record, claim_id, first)
            try:
                revision, _dup = await claim_ops.put(
                    nc, key, value, expected=expected, wait_s=_left(deadline)
                )
            except WrongSequence:
                expected, current = await _winner(nc, key, deadline)
                self.revisions[ticket_id] = expected
                if current.claim == claim_id:  # our own earlier attempt committed
                    return WON
                if proposed.inside and (previous is None or current.record.inside):
                    return ClaimResult(won=False, winner=current.record)
                first = current.first_claim
                record = (
                    current.record.entered(proposed.last_ms, proposed.last_gate)
                    if proposed.inside
                    else current.record.left(proposed.last_ms, proposed.last_gate)
                )
                continue
            self.revisions[ticket_id] = revision
            return WON
        raise ClaimUnknown


async def _winner(nc: NATS, key: str, deadline: float) -> tuple[int, ClaimValue]:
    """The value that beat ours. The leader refuses a write while another one to the
    same key is in flight (proposed, not yet committed by a quorum: err 10164), and until
    that one commits there is nothing to read: ask again until it is readable or the
    budget is spent (only then is the outcome unknown)."""
    while True:
        found = await claim_ops.read(nc, key, wait_s=_left(deadline))
        if found is not None:
            return found
        left = deadline - time.perf_counter()
        if left <= 0:
            raise ClaimUnknown
        await asyncio.sleep(min(_REREAD_S, left))


def _left(deadline: float) -> float:
    """Seconds left of the budget (never below 5 ms: a request needs a moment)."""
    return max(0.005, deadline - time.perf_counter())
