"""``edge-agent doctor`` as a venue tech runs it: a real agent process syncing with a
real platform (both on loopback), then the same box with the agent stopped."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.agent_process import AgentProcess, cli
from tests.edge_agent.platform_link.agent_setup import enrolled_config
from tests.platform_fixture import PlatformFixture, running_platform

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=5, plain=3, subprocess=True) as fixture:
        yield fixture


async def doctor(config: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    out = await asyncio.to_thread(cli, "doctor", "--config", str(config), "--json")
    doc = json.loads(out.stdout)
    assert doc["exit_code"] == out.returncode
    return out.returncode, {c["name"]: c for c in doc["checks"]}


async def test_doctor_with_the_agent_running_then_stopped(
    tmp_path: Path, platform: PlatformFixture
) -> None:
    config = await enrolled_config(tmp_path / "agent", platform)
    agent = await asyncio.to_thread(AgentProcess, config.source)
    try:
        synced = await asyncio.to_thread(cli, "sync", "now", "--config", str(config.source))
        assert synced.returncode == 0, synced.stderr
        code, checks = await doctor(config.source)
        assert checks["agent running"]["status"] == "pass"
        assert checks["platform reachable"]["status"] == "pass"
        assert checks["platform reachable"]["detail"].startswith(platform.url)
        offset = checks["clock offset to the platform"]
        assert offset["status"] == "pass" and "measured now" in offset["detail"]
        manifest = checks["manifest age and tickets"]
        assert manifest["status"] == "pass" and "8 tickets" in manifest["detail"]
        assert checks["keyring and certificate expiry"]["status"] == "pass"
        assert checks["ledger integrity"]["status"] == "pass"  # read-only, beside the writer
        assert code in (0, 1)  # 1 only where this machine's own clock is not synchronised
    finally:
        assert agent.stop(signal.SIGTERM) == 0

    code, checks = await doctor(config.source)
    assert checks["agent running"]["status"] == "warn"
    assert checks["manifest age and tickets"]["status"] == "pass"  # from the ledger
    await platform.stop()
    code, checks = await doctor(config.source)
    unreachable = checks["platform reachable"]
    assert unreachable["status"] == "warn" and "works offline" in unreachable["fix"]
    assert "as sync last measured it" in checks["clock offset to the platform"]["detail"]
    assert code == 1
