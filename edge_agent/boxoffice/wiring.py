"""The box office built around a started runtime: its hooks into the event, sync, the
mesh, the printer and the trusted clock. Kept out of ``runtime.py`` so that module stays
the start/stop order and nothing else.

It sees the runtime only as ``BoxOfficeHost`` (what it reads of it): importing
``runtime`` would import the mesh, which nothing below the runtime may (import-linter).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, Protocol

from edge_agent.boxoffice.desk import Hooks
from edge_agent.boxoffice.service import BoxOffice
from edge_agent.config.key_files import KeyFile
from edge_agent.config.sections import Config
from edge_agent.gate.live_manifest import LiveManifest
from edge_agent.gate.pipeline import ScanPipeline
from edge_agent.gate.state import GateState
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.timekeeping.trusted_clock import ClockState, TrustedClock

if TYPE_CHECKING:
    from hardware.printer import ReceiptPrinter
    from sync.leases import LeaseClient
    from sync.worker import SyncSnapshot


class _SalesHead(Protocol):
    def note_sales_head(self, seq: int) -> None: ...


class _Link(_SalesHead, Protocol):
    def snapshot(self) -> SyncSnapshot: ...

    def lease_client(self) -> LeaseClient | None: ...


class BoxOfficeHost(Protocol):
    """What the box office's wiring reads of ``AgentRuntime``."""

    @property
    def config(self) -> Config: ...
    @property
    def writer(self) -> LedgerWriter: ...
    @property
    def reader(self) -> sqlite3.Connection: ...
    @property
    def state(self) -> GateState: ...
    @property
    def agent_key(self) -> KeyFile: ...
    @property
    def pipeline(self) -> ScanPipeline: ...
    @property
    def live_manifest(self) -> LiveManifest: ...
    @property
    def printer(self) -> ReceiptPrinter | None: ...
    @property
    def clock(self) -> TrustedClock: ...
    @property
    def sync(self) -> _Link | None: ...
    @property
    def mesh(self) -> _SalesHead | None: ...


def make_box_office(rt: BoxOfficeHost) -> BoxOffice:
    sync = rt.sync

    def event() -> dict[str, Any]:
        info = rt.live_manifest.event
        return {
            "event_id": rt.config.event.event_id,
            "name": info.name if info else "",
            "venue": info.venue if info else rt.config.agent.venue,
            "status": info.status if info else "",
        }

    def online() -> bool:
        if sync is None:
            return False
        snap = sync.snapshot()
        return snap.last_success_ms is not None and snap.last_error is None

    mesh = rt.mesh

    def sales_head(seq: int) -> None:
        if sync is not None:
            sync.note_sales_head(seq)
        if mesh is not None:
            mesh.note_sales_head(seq)

    hooks = Hooks(
        printer=lambda: rt.printer,
        event=event,
        online=online,
        sales_head=sales_head if sync is not None or mesh is not None else None,
        leases=None if sync is None else sync.lease_client(),
        clock_known=lambda: rt.clock.state is not ClockState.ESTIMATED,
    )
    office = BoxOffice(rt.config, rt.writer, rt.reader, rt.state, rt.agent_key, hooks, rt.clock.ms)
    rt.pipeline.subscribe(office.note_scan)
    return office
