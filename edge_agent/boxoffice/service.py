"""``BoxOffice``: the door-sales service the API (and the WebSocket) call.

One object for the runtime (``runtime.boxoffice``) over the parts that do the work:
``tills`` (sessions), ``selling`` (sales, receipts, reprints, voids), ``leasing`` (leases,
returns, top-ups), all through one ``desk`` (the ledger writer, the read connection,
the clock); here also the live figures and who is told when they change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from edge_agent.boxoffice.changes import ChangeListeners, FiguresListener, FiguresSubscription
from edge_agent.boxoffice.desk import Desk, Hooks
from edge_agent.boxoffice.figures import AdmissionCounter, build_figures
from edge_agent.boxoffice.leasing import Leasing
from edge_agent.boxoffice.sale_request import SaleRequest
from edge_agent.boxoffice.selling import Selling
from edge_agent.boxoffice.tills import Tills
from edge_agent.config.key_files import KeyFile
from edge_agent.config.sections import Config
from edge_agent.gate.pipeline import ScanResult
from edge_agent.gate.state import GateState
from edge_agent.ledger import box_office_tables as t
from edge_agent.ledger.writer import LedgerWriter


class BoxOffice:
    def __init__(
        self,
        config: Config,
        writer: LedgerWriter,
        reader: sqlite3.Connection,
        state: GateState,
        agent_key: KeyFile,
        hooks: Hooks,
        clock_ms: Callable[[], int],
    ) -> None:
        self._listeners = ChangeListeners()
        self._desk = Desk(config, writer, reader, hooks, clock_ms, self._listeners)
        self._admitted = AdmissionCounter(t.first_admissions_by_type(reader, self._desk.event_id))
        self._tills = Tills(self._desk)
        self._leasing = Leasing(self._desk)
        self._selling = Selling(self._desk, state, agent_key, self._leasing)

    @property
    def clock_ms(self) -> Callable[[], int]:
        """The agent's wall clock (ms); tests move it to expire leases."""
        return self._desk.clock_ms

    @clock_ms.setter
    def clock_ms(self, clock_ms: Callable[[], int]) -> None:
        self._desk.clock_ms = clock_ms

    # ------------------------------------------------------------------- figures

    async def figures(self, device_id: str | None = None) -> dict[str, Any]:
        """The ``GET /api/v1/boxoffice`` body (``session``: ``device_id``'s open one).
        A few indexed reads of committed state on the runtime's read connection."""
        desk = self._desk
        return build_figures(
            desk.reader,
            event=desk.hooks.event(),
            currency=desk.bo.currency,
            online=desk.hooks.online(),
            device_id=device_id,
            scanned=self._admitted.by_type,
            now_ms=desk.clock_ms(),
            margin_ms=desk.margin_ms,
        )

    def on_change(self, callback: FiguresListener) -> Callable[[], None]:
        """Call ``callback()`` (on the event loop, synchronously: keep it quick) after
        every sale, void, lease or session change and every first admission at the
        gate. Returns a function that unsubscribes."""
        return self._listeners.add(callback)

    def changes(self) -> FiguresSubscription:
        """An ``asyncio.Event``-style subscription to ``on_change`` (``wait``/``close``)."""
        return FiguresSubscription(self._listeners)

    def note_scan(self, result: ScanResult) -> None:
        """Subscribed to the scan pipeline: an admission changes ``scanned``."""
        d = result.decision
        if result.recorded and self._admitted.note(d.ticket_type, d.outcome, d.reason):
            self._listeners.changed()

    # ------------------------------------------------------------- the actions

    async def open_session(self, device_id: str, operator: str, float_cents: int) -> dict[str, Any]:
        return await self._tills.open_session(device_id, operator, float_cents)

    async def close_session(self, device_id: str, counted_cents: int) -> dict[str, Any]:
        return await self._tills.close_session(device_id, counted_cents)

    async def sell(self, device_id: str, request: SaleRequest) -> tuple[dict[str, Any], bool]:
        """Sell; returns (receipt with QR codes, created). A repeated ``request_id``
        with the same body returns the first receipt (created False)."""
        return await self._selling.sell(device_id, request)

    def receipt(self, sale_id: str) -> dict[str, Any]:
        return self._selling.receipt(sale_id)

    def receipts(self, device_id: str, limit: int) -> list[dict[str, Any]]:
        return self._selling.receipts(device_id, limit)

    async def reprint(self, sale_id: str, ticket_id: str | None) -> int:
        return await self._selling.reprint(sale_id, ticket_id)

    async def void(self, device_id: str, sale_id: str, reason: str) -> dict[str, Any]:
        return await self._selling.void(device_id, sale_id, reason)

    async def take_lease(self, ticket_type: int, count: int) -> dict[str, Any]:
        return await self._leasing.take_lease(ticket_type, count)

    async def return_lease(self, lease_id: str) -> dict[str, Any]:
        """Close the lease here first, then tell the platform (``Leasing.return_lease``)."""
        return await self._leasing.return_lease(lease_id)

    async def retry_returns(self) -> int:
        """Tell the platform of returns it has not confirmed; how many it confirmed now."""
        return await self._leasing.retry_returns()

    async def stop(self) -> None:
        await self._leasing.stop()
