"""The admission-claim seam.

After ``decide()`` lets someone in, the ticket is *claimed* so that no other gate of the
venue admits it too. Alone, a box claims locally (its own index already serialises
claims on the event loop). The mesh issue replaces this with a JetStream-backed claimer
of the same shape; the pipeline does not change.
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
        self, ticket_id: str, previous: AdmissionRecord | None, proposed: AdmissionRecord
    ) -> ClaimResult: ...


class LocalClaimer:
    """A venue of one box: the local decision is the claim."""

    async def claim(
        self, ticket_id: str, previous: AdmissionRecord | None, proposed: AdmissionRecord
    ) -> ClaimResult:
        return ClaimResult(won=True)
