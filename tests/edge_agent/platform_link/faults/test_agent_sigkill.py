"""The agent is SIGKILLed while it uploads, three times, at different points, and
restarted each time: a real ``edge-agent run`` process with ``[sync]`` configured and a
backlog of 20,000 rows, talking to the reference platform through the proxy.

1. at a moment picked by watching the platform's stored count grow;
2. while the platform has committed a batch and the agent waits for the answer;
3. while a batch is on its way (the proxy holds it, and delivers it after the death).

After the last restart the upload converges: the platform holds exactly the agent's rows
and the agent's cursor is its head.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.agent_process import AgentProcess
from tests.edge_agent.platform_link.faults.harness import (
    assert_platform_holds_exactly,
    faulty_agent_config,
    ledger_cursor,
    prefill,
    stored_through,
    wait_until,
)
from tests.edge_agent.platform_link.faults.proxy import SCANS, StagedProxy
from tests.platform_fixture import PlatformFixture

ROWS = 20_000
BATCH = 500

pytestmark = [pytest.mark.slow, pytest.mark.integration]


async def start(config_path: Path) -> AgentProcess:
    return await asyncio.to_thread(AgentProcess, config_path, "info")


async def kill(agent: AgentProcess) -> None:
    code = await asyncio.to_thread(agent.stop, signal.SIGKILL)
    assert code == -signal.SIGKILL


async def test_sigkill_during_upload_loses_nothing_and_doubles_nothing(
    tmp_path: Path, platform: PlatformFixture, proxy: StagedProxy
) -> None:
    root = tmp_path / "agent"
    config = await faulty_agent_config(root, platform, proxy.url, batch_rows=BATCH, timeout_s=10)
    await prefill(config, ROWS)
    config_path = root / "config.toml"
    agent = await start(config_path)
    kills = []
    try:
        # 1. as soon as the platform's count grows, the agent dies mid-stream
        async def growing() -> bool:
            return await stored_through(platform, config) > 0

        await wait_until("the upload to start", growing, timeout_s=30)
        await kill(agent)
        kills.append(await stored_through(platform, config))

        # 2. the platform committed a batch; the agent dies waiting for the answer
        agent = await start(config_path)
        held = proxy.pause("POST", SCANS, 3, after_answer=True)
        await asyncio.wait_for(held.reached.wait(), 30)
        await kill(agent)
        held.release.set()  # the answer goes to a dead socket
        kills.append(await stored_through(platform, config))

        # 3. a batch is on its way when the agent dies; the platform gets it afterwards
        agent = await start(config_path)
        on_the_way = proxy.pause("POST", SCANS, 2, after_answer=False)
        await asyncio.wait_for(on_the_way.reached.wait(), 30)
        await kill(agent)
        on_the_way.release.set()
        await asyncio.wait_for(on_the_way.done.wait(), 30)  # stored after the death
        kills.append(await stored_through(platform, config))

        # every kill was during the upload, each later than the one before
        assert 0 < kills[0] < kills[1] < kills[2] < ROWS, kills
        assert ledger_cursor(config.ledger_path) <= kills[2]

        agent = await start(config_path)

        async def converged() -> bool:
            return (
                await stored_through(platform, config) == ROWS
                and ledger_cursor(config.ledger_path) == ROWS
            )

        await wait_until("the restarted agent to converge", converged, timeout_s=60, every_s=0.1)
        assert await asyncio.to_thread(agent.stop, signal.SIGTERM) == 0
    finally:
        if agent.proc.poll() is None:
            await asyncio.to_thread(agent.stop, signal.SIGKILL)
    await assert_platform_holds_exactly(platform, config, expected_rows=ROWS)
    # the batch committed before kill 2 went again after the restart (a duplicate), and
    # every batch started right after an acknowledged one: nothing skipped
    sent = proxy.batches()
    assert len(sent) > len(set(sent))
    assert {first for first, _ in sent} <= set(range(1, ROWS, BATCH))
