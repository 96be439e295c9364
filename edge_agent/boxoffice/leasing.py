"""``Leasing``: taking seats from the platform, giving them back, topping up.

The only part of the box office that talks to the platform. A lease request is noted
in the ledger before it is sent (a lost answer is repeated, never doubled); a return
is recorded here before the platform is told (and told again once online); a type
running low is topped up in the background after a sale, never blocking it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Coroutine
from typing import Any

from edge_agent.boxoffice import lease_writes
from edge_agent.boxoffice.desk import Desk
from edge_agent.domain.sale import sellable
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.errors import BoxOfficeError, LedgerError
from edge_agent.ids import uuid7
from edge_agent.ledger import box_office_tables as t
from sync.errors import PlatformError, ProtocolError, SyncError
from sync.leases import LeaseClient

log = logging.getLogger(__name__)

#: The platform's refusals that have a code of their own at the box office.
_PLATFORM_CODES = {
    "sold_out": SaleCode.SOLD_OUT,
    "unknown_ticket_type": SaleCode.UNKNOWN_TICKET_TYPE,
}


class Leasing:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self._topping_up: set[int] = set()
        self._retrying_returns = False
        self._tasks: set[asyncio.Task[Any]] = set()

    def _client(self) -> LeaseClient:
        if self._desk.hooks.leases is None:
            raise BoxOfficeError(
                SaleCode.PLATFORM_UNREACHABLE, "sync is off on this agent: leases need the platform"
            )
        return self._desk.hooks.leases

    async def take_lease(self, ticket_type: int, count: int) -> dict[str, Any]:
        desk = self._desk
        ctx = desk.ctx()
        client = self._client()
        # Noted before it is sent: if the answer is lost, the next request for the type
        # repeats this one (the platform answers with the lease it made, never twice).
        request_id, count = await desk.write(
            lambda c: t.add_lease_request(
                c, str(uuid.uuid4()), ctx.event_id, ticket_type, count, ctx.now_ms
            )
        )
        try:
            grant = await client.take(request_id, ticket_type, count, desk.bo.lease_ttl_s)
        except PlatformError as exc:
            if exc.status < 500:  # a definite answer: nothing was granted
                await desk.write(lambda c: t.drop_lease_request(c, request_id))
            if exc.code in _PLATFORM_CODES:
                raise BoxOfficeError(_PLATFORM_CODES[exc.code], exc.message) from None
            if exc.status >= 500:
                raise BoxOfficeError(SaleCode.PLATFORM_UNREACHABLE, str(exc)) from None
            raise BoxOfficeError(SaleCode.PLATFORM_REFUSED, str(exc)) from None
        except ProtocolError as exc:
            raise BoxOfficeError(SaleCode.PLATFORM_REFUSED, str(exc)) from None
        except SyncError as exc:
            raise BoxOfficeError(
                SaleCode.PLATFORM_UNREACHABLE, f"platform unreachable: {exc}"
            ) from None
        ctx = dataclasses.replace(ctx, now_ms=desk.clock_ms())  # the grant's time
        await desk.write(
            lambda c: lease_writes.record_lease(
                c, ctx, grant=grant, lease_request_id=request_id, entry_id=uuid7(ctx.now_ms)
            )
        )
        desk.rows_added()
        self._spawn(self.retry_returns())  # online now: earlier returns can be told
        log.info(
            "lease taken",
            extra={"lease_id": grant.lease_id, "ticket_type": ticket_type, "count": grant.count},
        )
        return {
            "lease_id": grant.lease_id,
            "ticket_type": grant.ticket_type,
            "count": grant.count,
            "sold": 0,
            "returned": 0,
            "expires_at_ms": grant.expires_at_ms,
            "expired": False,
        }

    async def return_lease(self, lease_id: str) -> dict[str, Any]:
        """Close the lease here first (no sale can use it after this commit), then tell
        the platform; if it cannot be told now, it takes the seats back at expiry and
        a repeat of this call tells it again."""
        ctx = self._desk.ctx()
        unused = await self._desk.write(
            lambda c: lease_writes.record_lease_return(
                c, ctx, lease_id=lease_id, entry_id=uuid7(ctx.now_ms)
            )
        )
        self._desk.rows_added()
        client = self._client()
        try:
            await client.give_back(lease_id, unused)
        except SyncError as exc:
            raise BoxOfficeError(
                SaleCode.PLATFORM_UNREACHABLE,
                f"the lease is closed here ({unused} seats unused) but the platform was not"
                f" told: {exc}; it is told again once online (or frees them at expiry)",
            ) from None
        await self._note_told(lease_id)
        return {"lease_id": lease_id, "returned": unused}

    async def _note_told(self, lease_id: str) -> None:
        try:
            await self._desk.writer.execute(lambda c: t.mark_return_told(c, lease_id))
        except LedgerError as exc:  # told all the same; a repeat is harmless
            log.warning("could not note lease %s as returned: %s", lease_id, exc)

    async def retry_returns(self) -> int:
        """Tell the platform of returns it has not confirmed (a return while offline);
        returns how many it confirmed now. Stops at the first failure."""
        client = self._desk.hooks.leases
        if client is None or self._retrying_returns:
            return 0
        self._retrying_returns = True
        told = 0
        try:
            for lease_id, unused in t.untold_returns(self._desk.reader, self._desk.event_id):
                try:
                    await client.give_back(lease_id, unused)
                except SyncError as exc:
                    log.info("lease return %s still not told: %s", lease_id, exc)
                    break
                await self._note_told(lease_id)
                told += 1
        finally:
            self._retrying_returns = False
        return told

    def maybe_top_up(self, ticket_types: set[int]) -> None:
        """Online, take another lease for a type running low (only types this agent
        already leased: the first lease of a type is a supervisor's decision)."""
        desk = self._desk
        bo = desk.bo
        if desk.hooks.leases is None or not desk.hooks.online():
            return
        if t.untold_returns(desk.reader, desk.event_id):
            self._spawn(self.retry_returns())
        if bo.lease_size == 0:
            return
        all_leases = t.leases(desk.reader, desk.event_id)
        now = desk.clock_ms()
        for ticket_type in ticket_types - self._topping_up:
            if not any(lease.ticket_type == ticket_type for lease in all_leases):
                continue
            if sellable(all_leases, ticket_type, now, desk.margin_ms) >= bo.top_up_below:
                continue
            self._topping_up.add(ticket_type)
            self._spawn(self._top_up(ticket_type))

    async def _top_up(self, ticket_type: int) -> None:
        try:
            await self.take_lease(ticket_type, self._desk.bo.lease_size)
        except BoxOfficeError as exc:
            log.warning("automatic lease top-up for type %d failed: %s", ticket_type, exc)
        finally:
            self._topping_up.discard(ticket_type)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel the background top-ups and return retries."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
