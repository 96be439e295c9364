"""The agent and the REAL reference platform on loopback: first load, a refund reaching
the gate, uploads stored with identical ids/seq/chain, and restarts resuming from the
cursors. The agent runs as the LAN app (``create_app``) with its sync worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from edge_agent.api.app import create_app
from edge_agent.config.sections import Config
from edge_agent.devices.roles import Role
from edge_agent.ledger.connection import open_read_connection
from tests.edge_agent.platform_link.agent_setup import enrolled_config
from tests.helpers import AiohttpClient, pair, runtime_of
from tests.platform_fixture import PlatformFixture, running_platform

pytestmark = pytest.mark.integration


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=20, plain=10) as fixture:
        yield fixture


async def scan(client: TestClient[Any, Any], headers: dict[str, str], code: str) -> dict[str, Any]:
    resp = await client.post("/api/v1/scans", json={"code": code}, headers=headers)
    assert resp.status == 200, await resp.text()
    doc: dict[str, Any] = await resp.json()
    return doc


async def sync_now(client: TestClient[Any, Any], headers: dict[str, str]) -> dict[str, Any]:
    resp = await client.post("/api/v1/sync/now", headers=headers)
    assert resp.status == 200, await resp.text()
    doc: dict[str, Any] = await resp.json()
    assert doc["completed"] is True
    return doc


async def platform_rows(platform: PlatformFixture, config: Config) -> list[dict[str, Any]]:
    """The agent's scan rows as the platform stored them."""
    stored = await platform.admin.stored_rows(config.agent.agent_id)
    return [s["row"] for s in stored]


def ledger_rows(config: Config) -> list[tuple[Any, ...]]:
    conn = open_read_connection(config.ledger_path)
    try:
        return conn.execute("SELECT seq, scan_id, chain, manifest_at_ms FROM scans").fetchall()
    finally:
        conn.close()


async def test_first_load_then_a_refund_reaches_the_gate_and_scans_go_up(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await enrolled_config(tmp_path / "agent", platform, page_size=7)
    client = await aiohttp_client(create_app(config))
    boss = await pair(client, Role.SUPERVISOR)
    scanner = await pair(client, Role.SCANNER)
    status = await sync_now(client, boss)
    sync = status["sync"]
    assert sync["enabled"] and sync["platform_url"] == platform.url
    assert sync["event"]["status"] == "on_sale" and sync["event"]["name"] == "New Year Gala"
    assert sync["manifest"]["at"] is not None and sync["last_error"] is None
    rt = runtime_of(client)
    # the first load came in pages of 7 (30 tickets + types + keyring changes)
    conn = open_read_connection(config.ledger_path)
    try:
        assert conn.execute("SELECT count(*) FROM manifest_tickets").fetchone() == (30,)
        assert conn.execute("SELECT count(*) FROM plain_codes").fetchone() == (10,)
    finally:
        conn.close()
    assert rt.state.manifest_at_ms is not None
    # the platform's keyring is in force: its GH1 tickets admit; plain codes admit
    gh1 = platform.gh1_tickets
    assert (await scan(client, scanner, gh1[0].code))["reason"] == "admitted"
    assert (await scan(client, scanner, platform.plain_tickets[0].code))["reason"] == "admitted"
    # refunded on the platform → next sync → the gate refuses it
    assert (await scan(client, scanner, gh1[1].code))["reason"] == "admitted"
    await platform.admin.refund(gh1[2].ticket_id)
    await platform.admin.chargeback(platform.plain_tickets[1].ticket_id)
    await sync_now(client, boss)
    refused = await scan(client, scanner, gh1[2].code)
    assert (refused["outcome"], refused["reason"]) == ("refuse", "refunded")
    charged = await scan(client, scanner, platform.plain_tickets[1].code)
    assert charged["reason"] == "charged_back"
    # every row went up with identical ids, seq and chain
    doc = await sync_now(client, boss)
    outbox = doc["sync"]["outbox"]["scans"]
    assert (outbox["depth"], outbox["uploaded_through_seq"]) == (0, 5)
    raw = await platform.admin.stored_rows(config.agent.agent_id)
    assert all(s["clock"]["rtt_ms"] is not None for s in raw)  # the batch's clock object
    stored = [s["row"] for s in raw]
    ours = ledger_rows(config)
    assert [(r["seq"], r["scan_id"], r["chain"]) for r in stored] == [r[:3] for r in ours]
    assert all(
        r["manifest_at_ms"] == o[3] and o[3] is not None for r, o in zip(stored, ours, strict=True)
    )
    # status for everyone, sync now only for supervisors
    resp = await client.get("/api/v1/status", headers=scanner)
    body = await resp.json()
    assert body["sync"]["clock"]["rtt_ms"] >= 0 and body["manifest"]["age_s"] >= 0
    assert (await client.post("/api/v1/sync/now", headers=scanner)).status == 403


async def test_restarts_resume_from_the_stored_cursors(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await enrolled_config(tmp_path / "agent", platform, page_size=5)
    client = await aiohttp_client(create_app(config))
    boss = await pair(client, Role.SUPERVISOR)
    scanner = await pair(client, Role.SCANNER)
    await sync_now(client, boss)
    for t in platform.gh1_tickets[:4]:
        await scan(client, scanner, t.code)
    await sync_now(client, boss)
    cursor = runtime_of(client).sync.snapshot().manifest_cursor  # type: ignore[union-attr]
    await client.close()  # the agent stops (worker first, then the writer)

    # while the agent is down: more scans are impossible, the platform changes
    await platform.admin.refund(platform.gh1_tickets[5].ticket_id)
    client = await aiohttp_client(create_app(config))
    rt = runtime_of(client)
    assert rt.sync is not None
    snap = rt.sync.snapshot()
    # resumed where it stopped (the worker's first round may already have moved on)
    assert snap.upload_cursors["scans"] >= 4
    boss = await pair(client, Role.SUPERVISOR)
    scanner = await pair(client, Role.SCANNER)
    # the gate knew the manifest before any new sync: the platform keyring was stored
    assert rt.state.manifest_at_ms is not None
    await sync_now(client, boss)
    assert rt.sync.snapshot().manifest_cursor != cursor
    assert (await scan(client, scanner, platform.gh1_tickets[5].code))["reason"] == "refunded"
    already = await scan(client, scanner, platform.gh1_tickets[0].code)
    assert already["reason"] == "already_admitted"
    await sync_now(client, boss)
    stored = await platform_rows(platform, config)
    assert [r["seq"] for r in stored] == [1, 2, 3, 4, 5, 6]
    assert [(r["seq"], r["scan_id"], r["chain"]) for r in stored] == [
        r[:3] for r in ledger_rows(config)
    ]


async def test_a_platform_restored_from_backup_gets_the_missing_rows_again(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    import shutil

    config = await enrolled_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss = await pair(client, Role.SUPERVISOR)
    scanner = await pair(client, Role.SCANNER)
    await sync_now(client, boss)
    await scan(client, scanner, platform.gh1_tickets[0].code)
    await sync_now(client, boss)
    await platform.stop()
    backup = tmp_path / "platform-backup"
    shutil.copytree(platform.data_dir, backup)  # holds row 1
    await platform.restart()
    for t in platform.gh1_tickets[1:4]:
        await scan(client, scanner, t.code)
    await sync_now(client, boss)  # rows 2..4 up
    await platform.stop()
    shutil.rmtree(platform.data_dir)
    shutil.copytree(backup, platform.data_dir)  # the platform lost rows 2..4
    await platform.restart()
    await scan(client, scanner, platform.gh1_tickets[4].code)
    doc = await sync_now(client, boss)  # sends 5 → 409 gap at 1 → rewinds, sends 2..5
    assert doc["sync"]["outbox"]["scans"]["uploaded_through_seq"] == 5
    stored = await platform_rows(platform, config)
    assert [(r["seq"], r["scan_id"], r["chain"]) for r in stored] == [
        r[:3] for r in ledger_rows(config)
    ]
