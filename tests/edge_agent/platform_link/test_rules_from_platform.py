"""Rules that come from the REAL reference platform through sync: ticket-type and
single-ticket flags (with the holder's name) make a distinct verdict at the gate, a
lifted flag goes, and the holder's live page shows a rotating code the gate admits
(its keyring came with the manifest) while a screenshot of it is refused later."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from edge_agent.api.app import create_app
from edge_agent.devices.roles import Role
from edge_agent.domain.rotating import encode_rotating, step_at
from tests.edge_agent.platform_link.agent_setup import enrolled_config
from tests.edge_agent.rules.venue import Clock, use_clock
from tests.helpers import AiohttpClient, pair
from tests.platform_fixture import EVENT_ID, PlatformFixture, order_body, running_platform

pytestmark = pytest.mark.integration


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=2, plain=0) as fixture:
        yield fixture


async def test_flags_and_live_codes_reach_the_gate(
    tmp_path: Path,
    platform: PlatformFixture,
    aiohttp_client: AiohttpClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = platform.admin
    await admin.put_ticket_type(EVENT_ID, 5, "Bar pass", 50, flags=["age_18"])
    order = await admin.create_order(EVENT_ID, order_body(7, [
        {"ticket_type": 5, "holder_name": "Ada Lovelace"},
        {"ticket_type": 0, "holder_name": "Grace Hopper", "flags": ["accessibility"],
         "note": "Wheelchair space row A"},
        {"ticket_type": 0, "holder_name": "Alan Turing"},
    ]))  # fmt: skip
    bar, access, live = order["tickets"]
    assert all(
        t["live_url"].startswith(f"/tickets/{t['ticket_id']}/live?k=") for t in order["tickets"]
    )

    config = await enrolled_config(tmp_path / "agent", platform)
    clock = Clock()  # the agent's clock, so the test can move it later
    use_clock(monkeypatch, clock)
    client = await aiohttp_client(create_app(config))
    boss, scanner = await pair(client, Role.SUPERVISOR), await pair(client, Role.SCANNER)
    assert (await client.post("/api/v1/sync/now", headers=boss)).status == 200

    async def scan(code: str) -> dict[str, Any]:
        resp = await client.post("/api/v1/scans", json={"code": code}, headers=scanner)
        doc: dict[str, Any] = await resp.json()
        return doc

    verdict = await scan(bar["code"])
    assert verdict["check"] is True and verdict["flags"]["flags"] == ["age_18"]
    assert verdict["message"] == "Welcome — admit · 18+ — check age · Name: Ada Lovelace"
    verdict = await scan(access["code"])
    assert verdict["flags"] == {"flags": ["accessibility"], "note": "Wheelchair space row A",
                                "holder_name": "Grace Hopper"}  # fmt: skip

    async with aiohttp.ClientSession() as web:
        page = await (await web.get(platform.url + live["live_url"])).text()
        assert "Live code" in page
        svg_path = re.search(r'src="([^"]+live\.svg[^"]*)"', page)
        assert svg_path is not None
        wrong = await web.get(platform.url + live["live_url"][:-4] + "0000")
        assert wrong.status == 404  # a link with the wrong secret shows nothing
        svg = await (await web.get(platform.url + svg_path.group(1).replace("&amp;", "&"))).text()
        assert svg.lstrip().startswith("<svg")
    # what the page's QR holds: the code at the platform's current step
    secret = bytes.fromhex(live["live_url"].split("k=")[1])
    shown = encode_rotating(live["code"], secret, step_at(clock.now_ms // 1000))
    ok = await scan(shown)
    assert (ok["reason"], ok["credential_kind"]) == ("admitted", "gh1_rotating")
    clock.now_ms += 60_000
    screenshot = await scan(shown)  # a minute later: four steps on
    assert screenshot["reason"] == "stale_code"  # checked before the admission state
