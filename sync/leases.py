"""Door-sale quota leases from the platform (``docs/sync.md``: leases).

The box office asks here for seats of a ticket type and gives unused ones back. Each
call is retried a few times with the sync backoff on transport errors and 5xx answers,
with the same ``lease_request_id`` (the platform answers a repeat with the lease it
already made, so a lost answer never takes seats twice); what comes back is checked
before the box office records it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sync.backoff import Backoff
from sync.client import PlatformClient
from sync.errors import ProtocolError, Retryable

T = TypeVar("T")

#: Attempts per lease call before the box office is told the platform is unreachable.
ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class LeaseGrant:
    lease_id: str
    ticket_type: int
    count: int
    expires_at_ms: int


def parse_grant(doc: Any, ticket_type: int, asked: int) -> LeaseGrant:
    """A lease answer, checked: the type asked for, 1..asked seats, an expiry."""
    if not isinstance(doc, dict):
        raise ProtocolError("lease: expected a JSON object")
    lease_id, count, expires, ttype = (
        doc.get("lease_id"),
        doc.get("count"),
        doc.get("expires_at_ms"),
        doc.get("ticket_type"),
    )
    if not isinstance(lease_id, str) or not 0 < len(lease_id) <= 64:
        raise ProtocolError(f"lease: lease_id must be a short string, got {lease_id!r}")
    if ttype != ticket_type or isinstance(ttype, bool):
        raise ProtocolError(f"lease: ticket_type {ttype!r}, asked for {ticket_type}")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= asked:
        raise ProtocolError(f"lease: count must be 1..{asked}, got {count!r}")
    if isinstance(expires, bool) or not isinstance(expires, int) or expires <= 0:
        raise ProtocolError(f"lease: expires_at_ms must be a positive integer, got {expires!r}")
    return LeaseGrant(lease_id, ticket_type, count, expires)


class LeaseClient:
    def __init__(
        self,
        client: PlatformClient,
        *,
        agent_id: str,
        event_id: int,
        backoff_base_s: float = 0.2,
        backoff_max_s: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._agent_id = agent_id
        self._event_id = event_id
        self._base = backoff_base_s
        self._cap = max(backoff_max_s, backoff_base_s)
        self._rng = rng or random.Random()

    async def take(
        self, lease_request_id: str, ticket_type: int, count: int, ttl_s: int
    ) -> LeaseGrant:
        body = {
            "lease_request_id": lease_request_id,
            "agent_id": self._agent_id,
            "ticket_type": ticket_type,
            "count": count,
            "ttl_s": ttl_s,
        }
        doc = await self._retrying(lambda: self._client.post_lease(self._event_id, body))
        return parse_grant(doc, ticket_type, count)

    async def give_back(self, lease_id: str, unused: int) -> int:
        """Return ``unused`` seats; the platform's answer says how many it took back."""
        doc = await self._retrying(lambda: self._client.post_lease_return(lease_id, unused))
        returned = doc.get("returned") if isinstance(doc, dict) else None
        if returned != unused or isinstance(returned, bool):
            raise ProtocolError(f"lease return: expected returned={unused}, got {doc!r}")
        return unused

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        backoff = Backoff(self._base, self._cap, self._rng)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await call()
            except Retryable:
                if attempt == ATTEMPTS:
                    raise
                await asyncio.sleep(backoff.next_delay())
        raise AssertionError("unreachable")
