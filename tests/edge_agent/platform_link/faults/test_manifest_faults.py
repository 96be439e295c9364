"""Each network fault on the manifest path, mid-load and again while refunds happen: a
first load in pages of 4 changes is broken at its 3rd page; refunds made on the platform
while the next download fails reach the gate once the fault clears. The agent's stored
manifest and the gate's memory then equal the platform's current state exactly: no page
skipped, none applied twice to harm, the cursor where the platform's log ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.devices.roles import Role
from tests.edge_agent.platform_link.faults.harness import (
    assert_gate_matches_platform,
    assert_platform_holds_exactly,
    faulty_agent_config,
    prefill,
    start_agent,
    wait_until,
)
from tests.edge_agent.platform_link.faults.proxy import MANIFEST, StagedProxy
from tests.faultproxy import Fault
from tests.helpers import AiohttpClient, pair
from tests.platform_fixture import PlatformFixture

pytestmark = pytest.mark.integration

#: Faults after which the platform did serve the page (the agent never got it whole).
SERVED = {Fault.LOSE_RESPONSE, Fault.SLOW, Fault.TRUNCATE}


def since_of(path: str) -> str:
    query = path.split("?", 1)[1] if "?" in path else ""
    return next((p[6:] for p in query.split("&") if p.startswith("since=")), "")


@pytest.mark.parametrize(
    "fault",
    ["refused", Fault.RESET_REQUEST, Fault.LOSE_RESPONSE, Fault.SLOW, Fault.STATUS_500,
     Fault.TRUNCATE],
)  # fmt: skip
async def test_a_fault_on_the_manifest_path_converges_to_the_platforms_state(
    tmp_path: Path,
    platform: PlatformFixture,
    proxy: StagedProxy,
    aiohttp_client: AiohttpClient,
    fault: str,
) -> None:
    timeout_s = 1 if fault is Fault.SLOW else 5  # a slow answer must outlast it
    config = await faulty_agent_config(
        tmp_path / "agent", platform, proxy.url, page_size=4, timeout_s=timeout_s
    )
    await prefill(config, 20)

    async def arm(skip: int) -> None:
        if fault == "refused" and skip == 0:
            await proxy.down()
        elif fault == "refused":
            proxy.down_after("GET", MANIFEST, skip)
        else:
            # Twice: aiohttp repeats an idempotent GET once by itself after a reset or a
            # dropped connection, so a single fault would not even reach the agent.
            times = 1 if fault is Fault.SLOW else 2
            proxy.later(
                Fault(fault), method="GET", path_prefix=MANIFEST, skip=skip, times=times,
                delay_s=1.5,
            )  # fmt: skip

    async def restore() -> None:
        """The fault clears: the proxy listens again; a rule clears once used up."""
        if fault == "refused":
            await proxy.up()

    def all_faults_hit() -> bool:
        return all(rule.times == 0 for rule in proxy.rules)

    await arm(skip=2)  # the first load breaks at its 3rd page
    agent = await start_agent(aiohttp_client, config)

    async def failed() -> bool:
        return agent.worker.snapshot().failures > 0

    await wait_until("the first load to fail", failed)
    pages = [f for f in proxy.forwarded if f.path.startswith(MANIFEST)]
    assert len(pages) >= 2 and all(f.status == 200 for f in pages[:2])
    # the two pages that arrived stay applied (the worker may already be retrying in
    # the background, so the cursor is c:8 or later, never back at the start)
    assert int(agent.worker.snapshot().manifest_cursor.removeprefix("c:")) >= 8
    await restore()
    await agent.converge()
    assert all_faults_hit()
    await assert_gate_matches_platform(platform, agent)
    if fault in SERVED:  # the lost page was asked for again from the same cursor
        sinces = [since_of(f.path) for f in proxy.forwarded if f.path.startswith(MANIFEST)]
        assert sinces.count("c:8") >= 2

    # refunds made while the next download fails reach the gate once it clears
    gh1, plain = platform.gh1_tickets, platform.plain_tickets
    await platform.admin.refund(gh1[0].ticket_id)
    await platform.admin.chargeback(plain[0].ticket_id)
    await arm(skip=0)
    snap = await agent.sync_round()
    assert snap.failures > 0
    await platform.admin.suspend(gh1[1].ticket_id)
    await restore()
    await agent.converge()
    assert all_faults_hit()
    await assert_gate_matches_platform(platform, agent)
    scanner = await pair(agent.client, Role.SCANNER)
    assert (await agent.scan(scanner, gh1[0].code))["reason"] == "refunded"
    assert (await agent.scan(scanner, plain[0].code))["reason"] == "charged_back"
    assert (await agent.scan(scanner, gh1[1].code))["reason"] == "suspended"
    assert (await agent.scan(scanner, gh1[2].code))["reason"] == "admitted"
    await agent.converge()  # the scans went up too, through the same proxy
    await assert_platform_holds_exactly(platform, config, expected_rows=24)


async def test_a_failed_sync_now_is_retried_after_the_backoff_not_an_interval_later(
    tmp_path: Path, platform: PlatformFixture, proxy: StagedProxy, aiohttp_client: AiohttpClient
) -> None:
    """docs/sync.md: a failed round is retried after the backoff (≤ backoff_max_s = 1 s
    here). An operator's "sync now" that fails must not leave a refund waiting for the
    next scheduled download (manifest_interval_s = 3600 s here)."""
    config = await faulty_agent_config(tmp_path / "agent", platform, proxy.url, timeout_s=5)
    agent = await start_agent(aiohttp_client, config)
    await agent.converge()
    ticket = platform.gh1_tickets[3]
    await platform.admin.refund(ticket.ticket_id)
    rule = proxy.later(Fault.STATUS_500, method="GET", path_prefix=MANIFEST, skip=0)
    snap = await agent.sync_round()  # the operator's "sync now" meets a 500
    assert snap.failures > 0 and rule.times == 0
    assert agent.runtime.state.revocation(ticket.ticket_id) is None

    async def refused_at_the_gate() -> bool:
        return agent.runtime.state.revocation(ticket.ticket_id) == "refunded"

    # no more "sync now": the worker's own retry brings the refund
    await wait_until("the worker to retry the manifest on its own", refused_at_the_gate)
    await assert_gate_matches_platform(platform, agent)
