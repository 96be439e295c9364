"""Each network fault on the scans upload path, mid-stream: 300 rows go up in batches of
50 through the fault proxy; the 3rd batch is broken. Then the fault clears, the next
rounds converge, and the platform holds exactly the agent's rows.

What each fault does to the batch it hits (``tests/faultproxy.py``):

* refused — the proxy stops listening after batch 2: the batch never leaves the agent;
* reset mid-request, 500 — the batch never reaches / is never stored by the platform;
* lost response, slow response (beyond the 1 s client timeout), truncated body — the
  platform STORED the batch but the agent never got the answer: it must send the same
  rows again (counted as duplicates), never skip them, never store them twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.edge_agent.platform_link.faults.harness import (
    assert_no_row_beyond_the_agent,
    assert_platform_holds_exactly,
    faulty_agent_config,
    prefill,
    start_agent,
    stored_through,
    wait_until,
)
from tests.edge_agent.platform_link.faults.proxy import SCANS, StagedProxy
from tests.faultproxy import Fault
from tests.helpers import AiohttpClient
from tests.platform_fixture import PlatformFixture

pytestmark = pytest.mark.integration

ROWS = 300
BATCH = 50
#: Faults after which the platform has committed the broken batch.
COMMITTED = {Fault.LOSE_RESPONSE, Fault.SLOW, Fault.TRUNCATE}


@pytest.mark.parametrize(
    "fault",
    ["refused", Fault.RESET_REQUEST, Fault.LOSE_RESPONSE, Fault.SLOW, Fault.STATUS_500,
     Fault.TRUNCATE],
)  # fmt: skip
async def test_a_fault_mid_upload_loses_nothing_and_doubles_nothing(
    tmp_path: Path,
    platform: PlatformFixture,
    proxy: StagedProxy,
    aiohttp_client: AiohttpClient,
    fault: str,
) -> None:
    # 1 s only where a slow answer must outlast it; else room for a loaded machine, so
    # no batch times out by accident and gets sent twice
    timeout_s = 1 if fault is Fault.SLOW else 5
    config = await faulty_agent_config(
        tmp_path / "agent", platform, proxy.url, batch_rows=BATCH, timeout_s=timeout_s
    )
    await prefill(config, ROWS)
    rule = None
    if fault == "refused":
        proxy.down_after("POST", SCANS, 2)
    else:
        times = 1 if fault is Fault.SLOW else 2  # twice: the retry fails too
        rule = proxy.later(
            Fault(fault), method="POST", path_prefix=SCANS, skip=2, times=times, delay_s=1.5
        )
    agent = await start_agent(aiohttp_client, config)  # its worker starts uploading

    async def agent_failed() -> bool:
        return agent.worker.snapshot().failures > 0

    await wait_until("the agent to see the fault", agent_failed)
    assert proxy.batches()[:2] == [(1, 50), (51, 100)]  # the fault hit mid-stream
    await assert_no_row_beyond_the_agent(platform, config)
    if fault == "refused":
        assert proxy.went_down.is_set()
        # while refused: nothing moves, however often it tries
        snap = await agent.sync_round()
        assert snap.failures >= 2 and snap.upload_cursors["scans"] == 100
        assert await stored_through(platform, config) == 100
        await proxy.up()
    rounds = await agent.converge()  # "sync now" rounds: no waiting out the backoff
    assert rounds >= 1
    if rule is not None:
        assert rule.times == 0  # the fault was used up: it hit every time it was armed
    snap = agent.worker.snapshot()
    assert snap.last_error is not None and "scans" in snap.last_error  # it did fail
    await assert_platform_holds_exactly(platform, config, expected_rows=ROWS)
    sent = proxy.batches()
    third = sent.count((101, 150))
    if fault in COMMITTED:
        assert third >= 2  # stored, answer lost → the same rows again, as duplicates
    else:
        assert third == 1  # never reached the platform → sent (and stored) once
    # every batch starts right after what the platform had acknowledged: no skipped row
    assert {first for first, _ in sent} <= {1 + BATCH * k for k in range(ROWS // BATCH)}
