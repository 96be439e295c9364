"""A box dies; its backup goes onto a new box; the platform sees no gap: the rows it
already had, the rows it had not yet, then the new box's next scan at the next seq."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from edge_agent.api.app import create_app
from edge_agent.backup.restore import restore_backup
from edge_agent.backup.take import take_backup
from edge_agent.config.loading import load_config
from edge_agent.devices.roles import Role
from edge_agent.runtime import wall_clock_ms
from tests.edge_agent.platform_link.agent_setup import enrolled_config
from tests.helpers import AiohttpClient, pair
from tests.platform_fixture import PlatformFixture, running_platform

pytestmark = pytest.mark.integration

PASSPHRASE = "the second box at door B"


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=8, plain=2) as fixture:
        yield fixture


async def scan(client: TestClient[Any, Any], headers: dict[str, str], code: str) -> int:
    resp = await client.post("/api/v1/scans", json={"code": code}, headers=headers)
    assert resp.status == 200, await resp.text()
    seq: int = (await resp.json())["seq"]
    return seq


async def sync_now(client: TestClient[Any, Any], headers: dict[str, str]) -> None:
    resp = await client.post("/api/v1/sync/now", headers=headers)
    assert resp.status == 200 and (await resp.json())["completed"] is True


async def test_restore_on_a_new_box_then_upload_continues_at_the_next_seq(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await enrolled_config(tmp_path / "old-box", platform)
    codes = [t.code for t in platform.gh1_tickets]
    old = await aiohttp_client(create_app(config))
    boss, scanner = await pair(old, Role.SUPERVISOR), await pair(old, Role.SCANNER)
    await sync_now(old, boss)
    for code in codes[:3]:
        await scan(old, scanner, code)
    await sync_now(old, boss)  # rows 1..3 on the platform
    for code in codes[3:5]:
        await scan(old, scanner, code)  # rows 4..5 never leave the old box but in the backup
    done = take_backup(config, tmp_path / "usb", wall_clock_ms(), passphrase=PASSPHRASE)
    await old.close()  # the old box dies
    assert done.head_seq >= 5

    box = tmp_path / "new-box"
    box.mkdir()
    (box / "config.toml").write_bytes((done.path / "config.toml").read_bytes())
    (box / "keyring.json").write_bytes((done.path / "keyring.json").read_bytes())
    new_config = load_config(box / "config.toml")
    restored = restore_backup(new_config, done.path, wall_clock_ms(), passphrase=PASSPHRASE)
    assert new_config.sync_token_path.is_file()  # the token came back from the sealed secrets
    # the agent's key, the platform token, and the venue CA the venue's devices trust
    # (with the API certificate it issued)
    assert sorted(Path(p).name for p in restored.secrets_written) == [
        "agent.key",
        "agent.token",
        "server.crt",
        "server.key",
        "venue-ca.crt",
        "venue-ca.key",
    ]

    new = await aiohttp_client(create_app(new_config))
    boss2, scanner2 = await pair(new, Role.SUPERVISOR), await pair(new, Role.SCANNER)
    assert await scan(new, scanner2, codes[5]) == done.head_seq + 1
    again = await new.post("/api/v1/scans", json={"code": codes[0]}, headers=scanner2)
    assert (await again.json())["reason"] == "already_admitted"  # the restored index holds
    await sync_now(new, boss2)

    stored = await platform.admin.stored_rows(config.agent.agent_id)
    seqs = [s["row"]["seq"] for s in stored]
    assert seqs == list(range(1, done.head_seq + 3))  # no gap, nothing twice
    status = await (await new.get("/api/v1/status", headers=boss2)).json()
    scans_outbox = status["sync"]["outbox"]["scans"]
    assert scans_outbox["depth"] == 0 and scans_outbox["halted"] is None
