"""``edge-agent sync status|now`` against a running agent subprocess that syncs with a
reference platform subprocess (both on loopback)."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.agent_process import AgentProcess, cli
from tests.edge_agent.platform_link.agent_setup import enrolled_config
from tests.platform_fixture import PlatformFixture, running_platform

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=5, plain=3, subprocess=True) as fixture:
        yield fixture


async def test_sync_status_and_now_through_the_control_socket(
    tmp_path: Path, platform: PlatformFixture
) -> None:
    config = await enrolled_config(tmp_path / "agent", platform)
    path = str(config.source)
    out = await asyncio.to_thread(cli, "sync", "status", "--config", path)
    assert out.returncode == 2
    assert "no agent is running" in out.stderr

    check = await asyncio.to_thread(cli, "check", "--config", path)
    assert check.returncode == 0, check.stdout
    assert f"ok   sync: {platform.url}, token {config.sync_token_path}" in check.stdout

    agent = await asyncio.to_thread(AgentProcess, config.source)
    try:
        now = await asyncio.to_thread(cli, "sync", "now", "--config", path, "--json")
        assert now.returncode == 0, now.stderr
        answer = json.loads(now.stdout)
        assert answer["completed"] is True
        assert answer["sync"]["event"]["name"] == "New Year Gala"

        text = await asyncio.to_thread(cli, "sync", "status", "--config", path)
        assert text.returncode == 0, text.stderr
        assert f"sync: on, platform {platform.url}" in text.stdout
        assert "manifest: as of" in text.stdout
        assert "upload scans: 0 waiting" in text.stdout
        assert "event: New Year Gala — on_sale" in text.stdout
        assert "agent-token" not in text.stdout  # never the token

        as_json = await asyncio.to_thread(cli, "sync", "status", "--config", path, "--json")
        doc = json.loads(as_json.stdout)
        assert doc["enabled"] is True and doc["manifest"]["cursor"].startswith("c:")
        assert doc["clock"]["rtt_ms"] >= 0
    finally:
        code = await asyncio.to_thread(agent.stop, signal.SIGTERM)
    assert code == 0
    assert any('"sync started"' in line for line in agent.log_lines)
