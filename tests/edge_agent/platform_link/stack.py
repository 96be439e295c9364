"""The agent's sync parts wired by hand on a real ledger file (no runtime, no worker
task), so a test decides exactly when each download or upload happens."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from types import MappingProxyType
from typing import Any

import aiohttp

from edge_agent.domain.gate_policy import GatePolicy, PlainTicket
from edge_agent.domain.trusted_key import Keyring
from edge_agent.gate.claims import LocalClaimer
from edge_agent.gate.live_manifest import LiveManifest
from edge_agent.gate.pipeline import ScanPipeline
from edge_agent.gate.state import GateState
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.queries import lookup_plain_code
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.store import LedgerSyncStore
from edge_agent.runtime import wall_clock_ms
from sync.client import PlatformClient
from sync.clock import ClockEstimator
from sync.manifest import ManifestSync
from sync.outbox import Outbox

AGENT = "gate-a"
EVENT = 1001
TOKEN = "agent-token-for-tests"


def policy() -> GatePolicy:
    return GatePolicy(
        event_id=EVENT,
        gate_id="gate-1",
        gate_name="Gate 1",
        allowed_ticket_types=frozenset(),
        reentry=False,
        exit_scans=True,
        clock_skew_grace_s=120,
        display_tz=UTC,
    )


@dataclass
class Stack:
    path: Path
    writer: LedgerWriter
    store: LedgerSyncStore
    state: GateState
    pipeline: ScanPipeline
    live: LiveManifest
    client: PlatformClient
    clock: ClockEstimator

    async def manifest(self, limit: int = 5000) -> ManifestSync:
        stored = await self.store.load()
        return ManifestSync(
            self.client,
            self.store,
            self.live,
            event_id=EVENT,
            page_limit=limit,
            cursor=stored.manifest_cursor,
            manifest_at_ms=stored.manifest_at_ms,
        )

    async def outbox(self, **kw: Any) -> Outbox:
        stored = await self.store.load()
        return Outbox(
            "scans",
            self.client,
            self.store,
            agent_id=AGENT,
            software_version="test",
            cursor=stored.upload_cursors.get("scans", 0),
            clock=lambda: self.clock.best(wall_clock_ms()),
            clock_ms=wall_clock_ms,
            **kw,
        )

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        conn = open_read_connection(self.path)
        try:
            return conn.execute(query, args).fetchall()
        finally:
            conn.close()


@asynccontextmanager
async def sync_stack(path: Path, base_url: str, token: str = TOKEN) -> AsyncIterator[Stack]:
    writer = await LedgerWriter.open(path, AGENT)
    reader = open_read_connection(path)

    def plain_lookup(code_sha256: str) -> PlainTicket | None:
        row = lookup_plain_code(reader, code_sha256)
        if row is None:
            return None
        return PlainTicket(row.ticket_id, row.event_id, row.ticket_type, 0, 0)

    state = GateState(plain_lookup)
    empty = Keyring(MappingProxyType({}))
    pipeline = ScanPipeline(
        policy=policy(),
        keyring=empty,
        state=state,
        writer=writer,
        claimer=LocalClaimer(),
        clock_ms=wall_clock_ms,
    )
    live = LiveManifest(state, pipeline, empty)
    store = LedgerSyncStore(writer, path, EVENT)
    clock = ClockEstimator()
    session = aiohttp.ClientSession()
    client = PlatformClient(base_url, token, session, timeout_s=10, on_clock=clock.add)
    try:
        yield Stack(path, writer, store, state, pipeline, live, client, clock)
    finally:
        await session.close()
        await store.close()
        reader.close()
        await writer.close()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
