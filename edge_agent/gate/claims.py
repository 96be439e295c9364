"""The admission-claim seam.

After ``decide()`` lets someone in, the ticket is *claimed* so that no other gate of the
venue admits it too. Alone, a box claims locally (its own index already serialises
claims on the event loop). With ``[mesh]`` the claim goes to the venue's JetStream
bucket (``edge_agent/mesh/claimer.py``), same shape. ``claim_id`` is the ledger row's
``scan_id``: a claim retried after an unknown outcome is recognised as the same claim.

Results: won; lost (``winner`` says to whom: the pipeline refuses ``already_admitted``);
or not confirmed (no quorum in time: ``won`` is the venue's policy, ``winner`` is
``None``, and the row is marked ``{"claim": "unconfirmed"}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from edge_agent.domain.gate_policy import AdmissionRecord


@dataclass(frozen=True, slots=True)
class ClaimResult:
    won: bool
    #: When lost: the winning admission (for "already used 19:42 at Gate 3").
    winner: AdmissionRecord | None = None
    #: False when the claim could not reach a quorum and was decided locally.
    confirmed: bool = True


class AdmissionClaimer(Protocol):
    async def claim(
        self,
        ticket_id: str,
        previous: AdmissionRecord | None,
        proposed: AdmissionRecord,
        *,
        claim_id: str = "",
    ) -> ClaimResult: ...


class LocalClaimer:
    """A venue of one box: the local decision is the claim."""

    async def claim(
        self,
        ticket_id: str,
        previous: AdmissionRecord | None,
        proposed: AdmissionRecord,
        *,
        claim_id: str = "",
    ) -> ClaimResult:
        return ClaimResult(won=True)
