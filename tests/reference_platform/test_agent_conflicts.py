"""The conflicts report for agents (``GET /v1/events/{e}/conflicts``, agent token):
the same report as the admin route, only for an event the agent is enrolled for."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.helpers import scan_row
from tests.platform_fixture import EVENT_ID, PlatformFixture
from tests.reference_platform.ledger_rows import ledger_rows, upload

pytestmark = pytest.mark.integration


async def test_an_enrolled_agent_reads_the_conflicts_report(
    platform: PlatformFixture, tmp_path: Path
) -> None:
    ticket = platform.gh1_tickets[0].ticket_id
    tokens = {}
    async with aiohttp.ClientSession() as session:
        for agent in ("gate-a", "gate-b"):
            row = scan_row(1, scan_id=f"{agent}-1", event_id=EVENT_ID, ticket_id=ticket)
            rows = await ledger_rows(tmp_path / f"{agent}.sqlite3", agent, 1, lambda i, r=row: r)
            tokens[agent] = await platform.enrol(agent, Ed25519PrivateKey.generate())
            assert (await upload(session, platform, tokens[agent], agent, rows))[0] == 200
        url = f"{platform.url}/v1/events/{EVENT_ID}/conflicts"
        async with session.get(url, headers=platform.agent_headers(tokens["gate-a"])) as resp:
            assert resp.status == 200
            doc = await resp.json()
        assert doc["conflicts"] == await platform.admin.conflicts(EVENT_ID)
        assert [c["ticket_id"] for c in doc["conflicts"]] == [ticket]
        # another event: not enrolled; no token: unauthorized
        async with session.get(
            f"{platform.url}/v1/events/999/conflicts",
            headers=platform.agent_headers(tokens["gate-a"]),
        ) as resp:
            assert resp.status == 403
            assert (await resp.json())["error"]["code"] == "not_enrolled"
        async with session.get(url) as resp:
            assert resp.status == 401
