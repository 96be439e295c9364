"""The box office built around a started runtime: its hooks into the event, sync, the
printer and the trusted clock. Kept out of ``runtime.py`` so that module stays the
start/stop order and nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edge_agent.boxoffice.desk import Hooks
from edge_agent.boxoffice.service import BoxOffice
from edge_agent.timekeeping.trusted_clock import ClockState

if TYPE_CHECKING:
    from edge_agent.runtime import AgentRuntime


def make_box_office(rt: AgentRuntime) -> BoxOffice:
    sync = rt.sync

    def event() -> dict[str, object]:
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

    hooks = Hooks(
        printer=lambda: rt.printer,
        event=event,
        online=online,
        sales_head=None if sync is None else sync.note_sales_head,
        leases=None if sync is None else sync.lease_client(),
        clock_known=lambda: rt.clock.state is not ClockState.ESTIMATED,
    )
    office = BoxOffice(rt.config, rt.writer, rt.reader, rt.state, rt.agent_key, hooks, rt.clock.ms)
    rt.pipeline.subscribe(office.note_scan)
    return office
