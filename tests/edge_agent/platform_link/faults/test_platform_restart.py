"""The platform restarts in the middle of an upload (400 rows in batches of 50):

* down before the 4th batch reaches it — the agent's requests fail until it is back;
* restarted after it committed the 4th batch but before the agent got the answer;
* the same as a real ``gatehouse-platform serve`` process (SIGTERM, start again).

Each ends with the platform holding exactly the agent's rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.edge_agent.platform_link.faults.harness import (
    assert_no_row_beyond_the_agent,
    assert_platform_holds_exactly,
    faulty_agent_config,
    prefill,
    start_agent,
    wait_until,
)
from tests.edge_agent.platform_link.faults.proxy import SCANS, StagedProxy
from tests.helpers import AiohttpClient
from tests.platform_fixture import PlatformFixture, running_platform

pytestmark = pytest.mark.integration

ROWS = 400


@asynccontextmanager
async def proxied(
    tmp_path: Path, subprocess: bool
) -> AsyncIterator[tuple[PlatformFixture, StagedProxy]]:
    async with running_platform(tmp_path, gh1=2, plain=1, subprocess=subprocess) as platform:
        proxy = StagedProxy("127.0.0.1", platform.port)
        await proxy.start()
        try:
            yield platform, proxy
        finally:
            for pause in proxy.pauses:
                pause.release.set()
            await proxy.close()


@pytest.mark.parametrize(
    ("subprocess", "after_answer"),
    [(False, False), (False, True), (True, False)],
    ids=["down-before-batch-4", "restart-before-answer-4", "process-restart-before-batch-4"],
)
async def test_a_platform_restart_mid_upload_loses_nothing_and_doubles_nothing(
    tmp_path: Path, aiohttp_client: AiohttpClient, subprocess: bool, after_answer: bool
) -> None:
    async with proxied(tmp_path, subprocess) as (platform, proxy):
        config = await faulty_agent_config(tmp_path / "agent", platform, proxy.url, timeout_s=5)
        await prefill(config, ROWS)
        pause = proxy.pause("POST", SCANS, 4, after_answer=after_answer)
        agent = await start_agent(aiohttp_client, config)
        await pause.reached.wait()
        await assert_no_row_beyond_the_agent(platform, config)
        if subprocess or after_answer:
            await platform.restart()  # the held request then meets the new platform
            pause.release.set()
        else:
            await platform.stop()
            pause.release.set()  # forwarded to nobody: the agent's request fails

            async def agent_failed() -> bool:
                return agent.worker.snapshot().failures > 0

            await wait_until("the agent to see the platform gone", agent_failed)
            assert agent.worker.snapshot().upload_cursors["scans"] == 150
            await platform.restart()
        await agent.converge()
        await assert_platform_holds_exactly(platform, config, expected_rows=ROWS)
        sent = proxy.batches()
        assert sent[:3] == [(1, 50), (51, 100), (101, 150)]
        # the 4th batch reached a platform exactly once (the down case: only after it
        # came back); the cursor never skipped it
        assert sent.count((151, 200)) == 1
