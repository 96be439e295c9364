"""The pretix link's life: built from ``[sync]`` (``kind = "pretix"``), started and stopped
with the runtime, read by status and the supervisor's conflicts report.

It has the shape of the Gatehouse link (``platform_link/service.AgentSync``), so the
runtime, the API and the TUI need not know which platform is on the other end. Door
sales are off with pretix (no quota lease: ``lease_client`` is ``None``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

import aiohttp

from edge_agent import __version__
from edge_agent.config.key_files import read_token_file
from edge_agent.config.sections import Config
from edge_agent.gate.live_manifest import LiveManifest
from edge_agent.gate.state import GateState
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.pretix.store import PretixLedgerStore
from edge_agent.platform_link.service import platform_tls
from sync.backoff import Backoff
from sync.client import redact_url
from sync.clock import ClockEstimator, ClockSample
from sync.leases import LeaseClient
from sync.pretix.client import PretixClient
from sync.pretix.download import PretixManifestSync
from sync.pretix.upload import STREAM, PretixOutbox
from sync.worker import SyncSnapshot, SyncWorker

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 1.0
#: Rows read per upload batch (each row is one request; the cursor is saved per chunk).
UPLOAD_BATCH_ROWS = 200


class PretixLink:
    kind = "pretix"

    def __init__(
        self,
        config: Config,
        session: aiohttp.ClientSession,
        store: PretixLedgerStore,
        worker: SyncWorker,
    ) -> None:
        self.platform_url = redact_url(config.sync.platform_url)
        self._agent_id = config.agent.agent_id
        self._session = session
        self._store = store
        self.worker = worker

    @classmethod
    async def start(
        cls,
        config: Config,
        writer: LedgerWriter,
        gate: LiveManifest,
        state: GateState,
        clock_ms: Callable[[], int],
        on_clock_sample: Callable[[ClockSample], object] | None = None,
    ) -> PretixLink:
        sc, px = config.sync, config.sync.pretix
        token = read_token_file(config.sync_token_path)
        store = PretixLedgerStore(
            writer,
            config.ledger_path,
            event_id=config.event.event_id,
            organizer=px.organizer,
            state=state,
            link=f"{px.organizer}/{px.event}/{px.checkin_list}",
            live=gate,
            clock_ms=clock_ms,
        )
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=max(4, px.upload_concurrency), ssl=platform_tls(sc.platform_url, sc.ca_file)
            ),
            headers={"User-Agent": f"gatehouse-edge-agent/{__version__}"},
        )
        try:
            stored = await store.load()
            estimator = ClockEstimator()
            if stored.clock is not None:
                estimator.add(stored.clock)
            client = PretixClient(
                sc.platform_url,
                px.organizer,
                token,
                session,
                timeout_s=sc.timeout_s,
                clock_ms=clock_ms,
                on_clock=estimator.add
                if on_clock_sample is None
                else lambda sample: (estimator.add(sample), on_clock_sample(sample)),
            )
            manifest = PretixManifestSync(
                client,
                store,
                event=px.event,
                list_id=px.checkin_list,
                clock_ms=clock_ms,
                cursor=stored.manifest_cursor,
                manifest_at_ms=stored.manifest_at_ms,
            )
            outbox = PretixOutbox(
                client,
                store,
                event=px.event,
                checkin_list=lambda: manifest.checkin_list,
                device_id=lambda: manifest.device_id,
                complete_as_of_ms=lambda: manifest.complete_as_of_ms,
                cursor=stored.upload_cursors.get(STREAM, 0),
                batch_rows=min(sc.batch_rows, UPLOAD_BATCH_ROWS),
                concurrency=px.upload_concurrency,
            )
            worker = SyncWorker(
                manifest=manifest,
                outboxes=[outbox],
                store=store,
                clock=estimator,
                backoff=Backoff(BACKOFF_BASE_S, float(sc.backoff_max_s), random.Random()),
                manifest_interval_s=sc.manifest_interval_s,
                upload_interval_s=sc.upload_interval_s,
                clock_ms=clock_ms,
                last_success_ms=stored.last_success_ms,
                last_error=stored.last_error,
                last_error_ms=stored.last_error_ms,
            )
        except BaseException:
            await session.close()
            await store.close()
            raise
        worker.start()
        log.info(
            "pretix link started",
            extra={
                "platform": redact_url(sc.platform_url),
                "organizer": px.organizer,
                "event": px.event,
                "checkin_list": px.checkin_list,
                "uploaded_through": stored.upload_cursors.get(STREAM, 0),
            },
        )
        return cls(config, session, store, worker)

    async def conflicts(self) -> list[dict[str, Any]]:
        """The rows pretix disagreed with, in the report's shape: this agent's admission,
        then pretix's side (other devices' entries, or pretix's verdict)."""
        report = []
        for c in await self._store.conflicts():
            admissions: list[dict[str, Any]] = [
                {
                    "agent_id": self._agent_id,
                    "scan_id": c["scan_id"],
                    "seq": c["seq"],
                    "at_ms": c["at_ms"],
                }
            ]
            for device, at_ms in c["others"]:
                name = "pretix" if device is None else f"pretix device {device}"
                admissions.append({"agent_id": name, "scan_id": None, "seq": None, "at_ms": at_ms})
            if not c["others"]:
                admissions.append(
                    {
                        "agent_id": f"pretix: {c['reason']}",
                        "scan_id": None,
                        "seq": None,
                        "at_ms": None,
                    }
                )
            report.append(
                {
                    "ticket_id": c["ticket_id"],
                    "admissions": admissions,
                    "reason": c["reason"],
                    "detail": c["detail"],
                }
            )
        return report

    def lease_client(self) -> LeaseClient | None:
        return None  # no door sales with pretix (docs/pretix.md)

    def note_sales_head(self, seq: int) -> None:
        """Door sales are off with pretix: there is no sales stream to upload."""

    def snapshot(self) -> SyncSnapshot:
        return self.worker.snapshot()

    async def stop(self) -> None:
        try:
            await self.worker.stop()
        finally:
            await self._session.close()
            await self._store.close()
