"""The agent's sync service: builds the sync worker from ``[sync]`` and owns its parts
(HTTP session, ledger store, worker) from start to a clean stop.

Sync is optional: with ``sync.platform_url = ""`` nothing here runs and the gate works
from what it has. When it runs it only ever adds to the gate's state (after a page has
committed) and reads rows the ledger already holds; a platform that is down only delays
uploads and makes the manifest older (both shown in status).
"""

from __future__ import annotations

import ipaddress
import logging
import random
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from edge_agent import __version__
from edge_agent.config.key_files import read_token_file
from edge_agent.config.sections import Config
from edge_agent.gate.live_manifest import LiveManifest
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.store import STREAMS, LedgerSyncStore
from sync.backoff import Backoff
from sync.client import PlatformClient, redact_url
from sync.clock import ClockEstimator, ClockSample
from sync.errors import ProtocolError
from sync.leases import LeaseClient
from sync.manifest import ManifestSync
from sync.outbox import Outbox
from sync.worker import SyncSnapshot, SyncWorker

log = logging.getLogger(__name__)

#: First retry delay ceiling (docs/sync.md: base 1 s).
BACKOFF_BASE_S = 1.0


def platform_tls(url: str, ca_file: str) -> ssl.SSLContext:
    """How the platform's certificate is verified: always, against ``sync.ca_file`` (a
    private platform CA) or the system's CAs. A plain ``http://`` platform beyond
    loopback is allowed (a lab) but said loudly: tokens and scans would cross in clear."""
    host = urlsplit(url).hostname or ""
    if urlsplit(url).scheme == "http" and not _loopback(host):
        log.warning("sync: the platform is plain http:// on the network; use https://")
    ctx = ssl.create_default_context(cafile=ca_file or None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class AgentSync:
    kind = "gatehouse"

    def __init__(
        self,
        config: Config,
        session: aiohttp.ClientSession,
        store: LedgerSyncStore,
        worker: SyncWorker,
        client: PlatformClient | None = None,
    ) -> None:
        self.platform_url = redact_url(config.sync.platform_url)
        self._session = session
        self._store = store
        self.worker = worker
        self._client = client
        self._event_id = config.event.event_id
        self._agent_id = config.agent.agent_id
        self._backoff_max_s = float(config.sync.backoff_max_s)

    @classmethod
    async def start(
        cls,
        config: Config,
        writer: LedgerWriter,
        gate: LiveManifest,
        clock_ms: Callable[[], int],
        checkpoint_head: Callable[[], int] = lambda: 0,
        on_clock_sample: Callable[[ClockSample], object] | None = None,
    ) -> AgentSync:
        """Read the token (a bad token file is a config error: it stops the start),
        resume from the stored cursors and start the worker."""
        sc = config.sync
        token = read_token_file(config.sync_token_path)
        store = LedgerSyncStore(
            writer, config.ledger_path, config.event.event_id, checkpoint_head=checkpoint_head
        )
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=4, ssl=platform_tls(sc.platform_url, sc.ca_file)),
            headers={"User-Agent": f"gatehouse-edge-agent/{__version__}"},
        )
        try:
            stored = await store.load()
            estimator = ClockEstimator()
            if stored.clock is not None:
                estimator.add(stored.clock)
            client = PlatformClient(
                sc.platform_url,
                token,
                session,
                timeout_s=sc.timeout_s,
                clock_ms=clock_ms,
                on_clock=estimator.add
                if on_clock_sample is None
                else lambda sample: (estimator.add(sample), on_clock_sample(sample)),
            )
            manifest = ManifestSync(
                client,
                store,
                gate,
                event_id=config.event.event_id,
                page_limit=sc.manifest_page_size,
                cursor=stored.manifest_cursor,
                manifest_at_ms=stored.manifest_at_ms,
            )
            outboxes = [
                Outbox(
                    stream,
                    client,
                    store,
                    agent_id=config.agent.agent_id,
                    software_version=__version__,
                    cursor=stored.upload_cursors.get(stream, 0),
                    batch_rows=sc.batch_rows,
                    batch_bytes=sc.batch_bytes,
                    clock=lambda: estimator.best(clock_ms()),
                    clock_ms=clock_ms,
                )
                for stream in STREAMS
            ]
            worker = SyncWorker(
                manifest=manifest,
                outboxes=outboxes,
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
            "sync started",
            extra={
                "platform": redact_url(sc.platform_url),
                "manifest_cursor": stored.manifest_cursor,
                "uploaded_through": dict(stored.upload_cursors),
            },
        )
        return cls(config, session, store, worker, client)

    async def conflicts(self) -> list[dict[str, Any]]:
        """Ask the platform for this event's cross-agent conflicts report (one request,
        outside the worker's rounds). Raises ``SyncError`` subclasses; ``ProtocolError``
        for an answer of the wrong shape."""
        if self._client is None:
            raise ProtocolError("no platform client")
        doc = await self._client.get_conflicts(self._event_id)
        report = doc.get("conflicts") if isinstance(doc, dict) else None
        if not isinstance(report, list) or not all(isinstance(c, dict) for c in report):
            raise ProtocolError('conflicts: expected {"conflicts": [objects]}')
        return report

    def lease_client(self) -> LeaseClient | None:
        """The platform's lease calls for the box office (same client and token)."""
        if self._client is None:
            return None
        return LeaseClient(
            self._client,
            agent_id=self._agent_id,
            event_id=self._event_id,
            backoff_max_s=min(2.0, self._backoff_max_s),
        )

    def note_sales_head(self, seq: int) -> None:
        """New ``sales`` rows are committed: upload them with the next round."""
        self._store.note_sales_head(seq)

    def snapshot(self) -> SyncSnapshot:
        return self.worker.snapshot()

    async def stop(self) -> None:
        """Stop the worker first (nothing half-applied: a page is one transaction), then
        the session and the store; the ledger writer is closed after this."""
        try:
            await self.worker.stop()
        finally:
            await self._session.close()
            await self._store.close()
