"""What the runtime, the API and the TUI see of a platform link, whichever platform it is.

``[sync] kind`` picks the implementation: the Gatehouse protocol (``service.AgentSync``)
or a pretix server (``pretix.service.PretixLink``). Both run a ``SyncWorker`` and answer
status, "sync now" and the conflicts report the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from edge_agent.config.sections import Config
from edge_agent.gate.live_manifest import LiveManifest
from edge_agent.gate.state import GateState
from edge_agent.ledger.writer import LedgerWriter
from sync.clock import ClockSample
from sync.leases import LeaseClient
from sync.worker import SyncSnapshot, SyncWorker


class PlatformLink(Protocol):
    kind: str
    platform_url: str
    worker: SyncWorker

    async def conflicts(self) -> list[dict[str, Any]]: ...

    def lease_client(self) -> LeaseClient | None: ...

    def note_sales_head(self, seq: int) -> None: ...

    def snapshot(self) -> SyncSnapshot: ...

    async def stop(self) -> None: ...


async def start_link(
    config: Config,
    writer: LedgerWriter,
    live: LiveManifest,
    state: GateState,
    clock_ms: Callable[[], int],
    checkpoint_head: Callable[[], int],
    on_clock_sample: Callable[[ClockSample], object] | None = None,
) -> PlatformLink:
    """Start the link ``[sync]`` names (the caller checked ``sync.enabled``).
    ``on_clock_sample``: each measurement of the platform's clock (the trusted clock's)."""
    if config.sync.kind == "pretix":
        from edge_agent.platform_link.pretix.service import PretixLink

        return await PretixLink.start(
            config, writer, live, state, clock_ms, on_clock_sample=on_clock_sample
        )
    from edge_agent.platform_link.service import AgentSync

    return await AgentSync.start(
        config,
        writer,
        live,
        clock_ms,
        checkpoint_head=checkpoint_head,
        on_clock_sample=on_clock_sample,
    )
