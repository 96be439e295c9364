"""What every fault test needs: an enrolled agent config with short timeouts, a ledger
pre-filled with real chained rows, and the exact checks the issue asks for.

The final check is always the same (``assert_platform_holds_exactly``): the rows the
agent's ledger holds — read with the ledger's own upload query, every ledger-v1 field
plus ``chain`` — equal, row for row and field for field, the rows the platform stored
(read through its admin API); the platform's copy re-verifies as a hash chain from
genesis to the agent's head; and the agent's upload cursor is the head. Same count,
same ids, same chain values: no more, no fewer.

Waits poll with a deadline (or wait for an event); nothing sleeps a fixed time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.api.app import create_app
from edge_agent.config.key_files import read_token_file
from edge_agent.config.sections import Config
from edge_agent.ledger.canonical_fast import canonical_values
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.records import SCAN_FIELDS, genesis_chain, next_chain
from edge_agent.ledger.sync_tables import scans_for_upload, upload_cursors
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.runtime import AgentRuntime
from sync.worker import SyncSnapshot, SyncWorker
from tests.edge_agent.platform_link.agent_setup import config_text, write_agent_files
from tests.helpers import AiohttpClient, runtime_of, scan_row
from tests.platform_fixture import PlatformFixture

AGENT = "gate-a"


async def faulty_agent_config(
    root: Path,
    platform: PlatformFixture,
    url: str,
    *,
    batch_rows: int = 50,
    page_size: int = 5000,
    timeout_s: int = 1,
) -> Config:
    """Enrol a new agent and write its config: sync with ``url`` (the proxy), a short
    request timeout, backoff capped at 1 s, uploads in ``batch_rows``-row batches."""
    key = Ed25519PrivateKey.generate()
    token = await platform.enrol(AGENT, key)
    text = config_text(
        AGENT,
        platform.event_id,
        url,
        page_size=page_size,
        batch_rows=batch_rows,
        timeout_s=timeout_s,
        backoff_max_s=1,
        log_level="warning",
    )
    config = write_agent_files(root, token, text, agent_key=key)
    config.agent.data_dir.mkdir(parents=True, exist_ok=True)
    return config


async def prefill(config: Config, count: int, *, start: int = 0) -> None:
    """Append ``count`` chained scan rows through the real ledger writer (group commit),
    before the agent starts: the upload backlog of a gate that was offline."""
    writer = await LedgerWriter.open(config.ledger_path, config.agent.agent_id)
    try:
        event = config.event.event_id
        futures = [
            writer.submit_scan(scan_row(i, event_id=event, ticket_id=f"{i % 997:032x}"))
            for i in range(start, start + count)
        ]
        await asyncio.gather(*futures)
    finally:
        await writer.close()


# ---------------------------------------------------------------- reading both sides


def ledger_rows(path: Path) -> list[dict[str, Any]]:
    """Every scan row of the agent's ledger, as the ledger's upload query reads it."""
    conn = open_read_connection(path)
    try:
        return scans_for_upload(conn, 0, 1 << 31, 1 << 62)
    finally:
        conn.close()


def ledger_cursor(path: Path) -> int:
    conn = open_read_connection(path)
    try:
        return upload_cursors(conn).get("scans", 0)
    finally:
        conn.close()


def ledger_head(path: Path) -> int:
    conn = open_read_connection(path)
    try:
        return int(conn.execute("SELECT coalesce(max(seq), 0) FROM scans").fetchone()[0])
    finally:
        conn.close()


async def platform_rows(platform: PlatformFixture, agent_id: str = AGENT) -> list[dict[str, Any]]:
    """Every row the platform stored for the agent, through its admin API."""
    rows: list[dict[str, Any]] = []
    while True:
        page = await platform.admin.stored_rows(agent_id, after_seq=len(rows), limit=10_000)
        rows += [s["row"] for s in page]
        if len(page) < 10_000:
            return rows


async def stored_through(platform: PlatformFixture, config: Config) -> int:
    """The platform's ``stored_through_seq`` for the agent, by the contract's probe (an
    upload with no rows), straight to the platform (never through the proxy)."""
    token = read_token_file(config.sync_token_path)
    body = {
        "agent_id": config.agent.agent_id,
        "software_version": "probe",
        "clock": {"agent_time_ms": int(time.time() * 1000)},
        "rows": [],
    }
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.post(
            f"{platform.url}/v1/agents/{config.agent.agent_id}/scans",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        doc = await resp.json()
    through: int = doc["stored_through_seq"]
    return through


# ---------------------------------------------------------------------- the checks


async def assert_platform_holds_exactly(
    platform: PlatformFixture, config: Config, *, expected_rows: int | None = None
) -> list[dict[str, Any]]:
    """The issue's check: the platform holds exactly the agent's rows, every field equal,
    and the agent's upload cursor is its head."""
    ours = ledger_rows(config.ledger_path)
    theirs = await platform_rows(platform, config.agent.agent_id)
    if expected_rows is not None:
        assert len(ours) == expected_rows
    assert [r["seq"] for r in ours] == list(range(1, len(ours) + 1))  # contiguous ledger
    assert len(theirs) == len(ours), (len(theirs), len(ours))
    assert [(r["seq"], r["scan_id"], r["chain"]) for r in theirs] == [
        (r["seq"], r["scan_id"], r["chain"]) for r in ours
    ]
    assert theirs == ours  # every field, not only the three above
    assert len({r["scan_id"] for r in theirs}) == len(theirs)
    # the platform's copy alone re-verifies as the agent's hash chain
    prev = genesis_chain(config.agent.agent_id)
    for row in theirs:
        prev = next_chain(prev, canonical_values(tuple(row[name] for name in SCAN_FIELDS)))
        assert prev.hex() == row["chain"], f"platform row {row['seq']} does not chain"
    assert ledger_cursor(config.ledger_path) == len(ours)
    assert await stored_through(platform, config) == len(ours)
    return ours


async def assert_no_row_beyond_the_agent(platform: PlatformFixture, config: Config) -> None:
    """At any moment: the agent's cursor never runs ahead of the platform, and what the
    platform holds is a prefix of the agent's ledger (nothing invented, nothing else)."""
    cursor = ledger_cursor(config.ledger_path)  # read first: the platform only grows
    theirs = await platform_rows(platform, config.agent.agent_id)
    assert cursor <= len(theirs), (cursor, len(theirs))
    ours = ledger_rows(config.ledger_path)
    assert theirs == ours[: len(theirs)]


async def wait_until(
    what: str,
    check: Callable[[], Awaitable[bool]],
    *,
    timeout_s: float = 20.0,
    every_s: float = 0.02,
) -> None:
    """Poll ``check`` until it holds; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(every_s)


# ------------------------------------------------------------- the agent in-process


class RunningAgent:
    """The agent as the LAN app (``create_app``: runtime, gate, sync worker) served on
    loopback by the test's ``aiohttp_client``."""

    def __init__(self, client: TestClient[Any, Any], config: Config) -> None:
        self.client = client
        self.config = config

    @property
    def runtime(self) -> AgentRuntime:
        return runtime_of(self.client)

    @property
    def worker(self) -> SyncWorker:
        sync = self.runtime.sync
        assert sync is not None
        return sync.worker

    async def sync_round(self, timeout_s: float = 15.0) -> SyncSnapshot:
        """One full round at once (``sync now``: manifest and uploads, no backoff)."""
        assert await self.worker.sync_now(timeout_s), "a sync round did not finish"
        return self.worker.snapshot()

    def clean(self) -> bool:
        """The last round succeeded and every recorded row is acknowledged."""
        snap = self.worker.snapshot()
        head = self.runtime.writer.head_seq
        return snap.failures == 0 and snap.upload_cursors["scans"] == head and not snap.halted

    async def converge(self, timeout_s: float = 25.0) -> int:
        """Rounds until one succeeds with nothing pending; returns how many it took."""
        deadline = time.monotonic() + timeout_s
        rounds = 0
        while True:
            await self.sync_round()
            rounds += 1
            if self.clean():
                return rounds
            if time.monotonic() > deadline:
                snap = self.worker.snapshot()
                raise AssertionError(f"no clean round after {rounds}: {snap}")

    async def scan(self, headers: dict[str, str], code: str) -> dict[str, Any]:
        resp = await self.client.post("/api/v1/scans", json={"code": code}, headers=headers)
        assert resp.status == 200, await resp.text()
        doc: dict[str, Any] = await resp.json()
        return doc


async def start_agent(aiohttp_client: AiohttpClient, config: Config) -> RunningAgent:
    return RunningAgent(await aiohttp_client(create_app(config)), config)


# ---------------------------------------------------------------- the manifest side


async def platform_manifest(platform: PlatformFixture, config: Config) -> dict[str, Any]:
    """The platform's whole current manifest in one page (a first load), fetched with
    the agent's token straight from the platform."""
    token = read_token_file(config.sync_token_path)
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(
            f"{platform.url}/v1/events/{platform.event_id}/manifest?limit=20000",
            headers={"Authorization": f"Bearer {token}"},
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
        doc: dict[str, Any] = await resp.json()
    assert doc["more"] is False
    return doc


async def assert_gate_matches_platform(platform: PlatformFixture, agent: RunningAgent) -> None:
    """The agent's stored manifest (tickets, plain codes, types, revocations, cursor) and
    the gate's memory (revocations, type names, event status) equal the platform's
    current state — whatever pages were fetched twice or lost on the way."""
    full = await platform_manifest(platform, agent.config)
    conn = open_read_connection(agent.config.ledger_path)
    try:
        tickets = conn.execute(
            "SELECT ticket_id, ticket_type, order_id, holder_name, holder_email,"
            " plain_code_sha256, valid_from, valid_until FROM manifest_tickets ORDER BY ticket_id"
        ).fetchall()
        plain = conn.execute("SELECT count(*) FROM plain_codes").fetchone()[0]
        revoked = dict(
            (tid, (kind, at_ms))
            for tid, kind, at_ms in conn.execute(
                "SELECT ticket_id, kind, at_ms FROM revocations WHERE source = 'platform'"
            )
        )
        types = dict(conn.execute("SELECT ticket_type, name FROM ticket_types"))
        cursor, at_ms, status = conn.execute(
            "SELECT manifest_cursor, manifest_at_ms, event_status FROM sync_state"
        ).fetchone()
    finally:
        conn.close()
    want_tickets = sorted(
        (
            t["ticket_id"],
            t["ticket_type"],
            t["order_id"],
            t["holder_name"],
            t["holder_email"],
            t["plain_code_sha256"],
            t["valid_from"],
            t["valid_until"],
        )
        for t in full["tickets"]
    )
    assert tickets == want_tickets
    assert plain == sum(1 for t in full["tickets"] if t["plain_code_sha256"] is not None)
    want_revoked = {
        r["ticket_id"]: (r["kind"], r["at_ms"]) for r in full["revocations"] if r["kind"]
    }
    assert {t: kind for t, (kind, _) in revoked.items()} == {
        t: kind for t, (kind, _) in want_revoked.items()
    }
    # docs/ledger.md: a re-revocation (refunded after suspended) keeps the first time
    assert all(revoked[t][1] <= at_ms for t, (_, at_ms) in want_revoked.items())
    assert types == {t["ticket_type"]: t["name"] for t in full["ticket_types"]}
    assert cursor == full["cursor"] and at_ms is not None
    assert status == full["event"]["status"]
    state = agent.runtime.state
    assert state.revocation_count == len(want_revoked)
    for ticket_id, (kind, _) in want_revoked.items():
        assert state.revocation(ticket_id) == kind
    for t in full["ticket_types"]:
        assert state.ticket_type_name(t["ticket_type"]) == t["name"]
    assert state.event_status == full["event"]["status"]
    assert agent.worker.snapshot().manifest_cursor == full["cursor"]
