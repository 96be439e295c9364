"""A seeded, bounded chaos run: for a fixed number of rounds, random faults on every
path (uploads and manifest pages; refused, reset, lost, slow, 500, truncated), random
revocations on the platform (refund, cancel, chargeback, suspend and lift, reissue), and
new scans arriving through the real pipeline (``POST /api/v1/scans``) the whole time.
Then the faults stop and the agent converges: the platform holds exactly the agent's
rows, the gate's state is the platform's, and every revoked ticket is refused for the
platform's reason. The seed is in the test id: a failure replays exactly (up to the
timing of the agent's own background rounds)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from edge_agent.devices.roles import Role
from tests.edge_agent.platform_link.faults.harness import (
    assert_gate_matches_platform,
    assert_no_row_beyond_the_agent,
    assert_platform_holds_exactly,
    faulty_agent_config,
    prefill,
    start_agent,
)
from tests.edge_agent.platform_link.faults.proxy import MANIFEST, SCANS, StagedProxy
from tests.faultproxy import Fault
from tests.helpers import AiohttpClient, pair
from tests.platform_fixture import PlatformFixture, Ticket

pytestmark = pytest.mark.integration

ROUNDS = 20
PREFILLED = 150
#: Slow answers cost the client's whole timeout (1 s): a few per run at most.
MAX_SLOW = 2
PATHS = [("POST", SCANS), ("GET", MANIFEST)]
FINAL = {"refund": "refunded", "cancel": "cancelled", "chargeback": "charged_back"}


@pytest.mark.parametrize("seed", [5, 20261123])
async def test_chaos_then_convergence(
    tmp_path: Path,
    platform: PlatformFixture,
    proxy: StagedProxy,
    aiohttp_client: AiohttpClient,
    seed: int,
) -> None:
    rng = random.Random(seed)
    config = await faulty_agent_config(
        tmp_path / "agent", platform, proxy.url, batch_rows=10, page_size=2
    )
    await prefill(config, PREFILLED)
    agent = await start_agent(aiohttp_client, config)
    scanner = await pair(agent.client, Role.SCANNER)
    tickets: list[Ticket] = [*platform.gh1_tickets, *platform.plain_tickets]
    revoked: dict[str, str] = {}  # ticket id → kind, as the platform has it now
    scans = slow = failed_rounds = 0
    faults_used: set[Fault] = set()

    for _ in range(ROUNDS):
        proxy.clear_faults()
        for _ in range(rng.randint(0, 3)):
            fault = rng.choice([f for f in Fault if f is not Fault.SLOW or slow < MAX_SLOW])
            slow += fault is Fault.SLOW
            method, prefix = rng.choice(PATHS)
            proxy.later(
                fault, method=method, path_prefix=prefix, skip=rng.randint(0, 2),
                times=rng.randint(1, 2), delay_s=1.2,
            )  # fmt: skip
        refused = rng.random() < 0.15
        if refused:
            await proxy.down()
        if rng.random() < 0.5:
            await revoke_one(platform, rng, tickets, revoked)
        codes = [
            rng.choice(tickets).code if rng.random() < 0.85 else f"junk-{rng.random()}"
            for _ in range(rng.randint(0, 8))
        ]

        async def scan_all(codes: list[str] = codes) -> None:
            for code in codes:  # while the round runs: the gate never waits for sync
                await agent.scan(scanner, code)

        snap, _ = await asyncio.gather(agent.sync_round(), scan_all())
        scans += len(codes)
        failed_rounds += snap.failures > 0
        faults_used |= {f for rule in proxy.rules if rule.hits for f in [rule.fault]}
        await assert_no_row_beyond_the_agent(platform, config)
        if refused:
            await proxy.up()

    assert failed_rounds >= 3, "the chaos hardly broke anything: pick other seeds"
    assert len(faults_used) >= 3, faults_used
    proxy.clear_faults()
    await agent.converge()
    await assert_platform_holds_exactly(platform, config, expected_rows=PREFILLED + scans)
    await assert_gate_matches_platform(platform, agent)
    # every ticket the platform revoked is refused for its reason; the others pass
    before = agent.runtime.writer.head_seq
    for ticket in tickets:
        verdict = await agent.scan(scanner, ticket.code)
        if ticket.ticket_id in revoked:
            assert verdict["reason"] == revoked[ticket.ticket_id], ticket
        else:
            assert verdict["outcome"] == "admit" or verdict["reason"] == "already_admitted"
    await agent.converge()
    await assert_platform_holds_exactly(platform, config, expected_rows=before + len(tickets))


async def revoke_one(
    platform: PlatformFixture, rng: random.Random, tickets: list[Ticket], revoked: dict[str, str]
) -> None:
    """One operator action on a ticket that is not finally revoked."""
    open_tickets = [t for t in tickets if revoked.get(t.ticket_id, "suspended") == "suspended"]
    if not open_tickets:
        return
    ticket = rng.choice(open_tickets)
    tid = ticket.ticket_id
    if revoked.get(tid) == "suspended":
        action = rng.choice(["unsuspend", "refund"])
    else:
        action = rng.choice(["refund", "cancel", "chargeback", "suspend", "suspend", "reissue"])
    admin = platform.admin
    if action == "unsuspend":
        await admin.unsuspend(tid)
        del revoked[tid]
    elif action == "suspend":
        await admin.suspend(tid)
        revoked[tid] = "suspended"
    elif action == "reissue":
        await admin.reissue(tid)
        revoked[tid] = "reissued"
    else:
        await getattr(admin, action)(tid)
        revoked[tid] = FINAL[action]
