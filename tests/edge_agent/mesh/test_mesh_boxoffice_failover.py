"""The iPad page moves to another box of the venue when its own box dies, and its
unsold sale does not.

Two real boxes in a mesh (a real platform behind box a for the lease), the page in
Debian's chromium: paired and selling at box a, box a is killed (SIGKILL, a box losing
power) with a sale in flight. The page keeps that sale for box a (same request id),
offers box b, moves there with its token in the URL fragment (gone from the address
bar at once), and works at b as the same device: a till opened at b is that device's.
Box a comes back and the kept sale, retried on box a's page, is sold there once.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from demo.mesh_venue import Box, MeshVenue, http_json
from demo.platform_stack import DemoPlatform
from tests.edge_agent.api.browser.stack import ipad, screenshot
from tests.edge_agent.mesh.venue_helpers import ledger_rows, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.mesh, pytest.mark.browser, pytest.mark.slow]

TOKEN_KEY = "gatehouse.boxoffice.token"
PENDING_KEY = "gatehouse.boxoffice.pending"
MEMBERS_KEY = "gatehouse.boxoffice.members"


def _lease(box: Box, supervisor: str) -> bool:
    doc = http_json(
        f"{box.url}/api/v1/boxoffice/leases", {"ticket_type": 0, "count": 5}, supervisor
    )
    return "lease_id" in doc


def _knows(box: Box, token: str) -> bool:
    return "self" in http_json(f"{box.url}/api/v1/mesh", token=token)


def _local_storage(state: Any, origin: str) -> dict[str, str]:
    for o in state["origins"]:
        if o["origin"] == origin:
            return {item["name"]: item["value"] for item in o["localStorage"]}
    return {}


def _sales_with(box: Box, request_id: str) -> int:
    rows = ledger_rows(
        box.ledger, "SELECT count(*) FROM box_office_sales WHERE request_id = ?", (request_id,)
    )
    return int(rows[0][0])


def _session_devices(box: Box) -> set[str]:
    return {d for (d,) in ledger_rows(box.ledger, "SELECT device_id FROM box_office_sessions")}


async def test_the_ipad_moves_to_a_box_that_answers_and_its_unsold_sale_stays(
    tmp_path: Path,
) -> None:
    t0 = time.monotonic()
    platform = await DemoPlatform.start(tmp_path / "platform", int(time.time() * 1000))
    venue = MeshVenue(tmp_path / "venue", 2, tickets=10)
    a, b = venue.boxes
    await platform.enrol(a.config_path, a.name, a.root / "data")
    try:
        await asyncio.to_thread(venue.form)
        supervisor = await asyncio.to_thread(venue.pair, a, "supervisor")
        # the lease is the platform's: taken once box a has the event's manifest
        await asyncio.to_thread(wait_for, lambda: _lease(a, supervisor), "a lease at box a", 30)
        code = await asyncio.to_thread(
            a.control, "POST", "/control/pairing-codes", {"role": "box_office", "name": "iPad"}
        )
        async with ipad() as page:
            # paired and selling at box a (the TUI's pairing link)
            await page.goto(f"{a.url}/api/v1/pair?code={code['code']}")
            await expect(page.locator("#screen-open")).to_be_visible()
            token = await page.evaluate(f"localStorage.getItem({TOKEN_KEY!r})")
            await asyncio.to_thread(wait_for, lambda: _knows(b, token), "the pairing at box b")
            await page.locator("#open-operator").fill("Ana")
            await page.locator("#open-float").fill("100")
            await page.locator("#open-submit").tap()
            await expect(page.locator("#screen-sell")).to_be_visible()
            # the page has learned the venue's boxes from box a
            await page.wait_for_function(
                f"(JSON.parse(localStorage.getItem({MEMBERS_KEY!r})) || {{members: []}})"
                ".members.length === 2"
            )
            await page.get_by_test_id("plus-0").tap()
            await page.locator("#cash-tendered").fill("50")

            # box a loses power; the sale tapped now gets no answer
            await asyncio.to_thread(venue.kill, a)
            t_kill = time.monotonic()
            await page.locator("#sell").tap()
            await expect(page.locator("#pending")).to_be_visible()
            pending = await page.evaluate(f"JSON.parse(localStorage.getItem({PENDING_KEY!r}))")
            request_id = pending["request_id"]

            failover = page.locator("#failover")
            await expect(failover).to_contain_text("box-a (Gate A) is not answering")
            move = page.get_by_test_id("move-box-b")
            await expect(move).to_have_text("Continue at box-b (Gate B)")
            await expect(page.get_by_test_id("kept-here")).to_contain_text(
                "stays kept for box-a and is never sent to another box"
            )
            t_offered = time.monotonic() - t_kill
            await screenshot(page, "failover-1-box-a-down")
            await move.tap()

            # at box b: the token came along in the fragment, which is gone at once
            await expect(page).to_have_url(f"{b.url}/boxoffice/")
            assert await page.evaluate("location.hash") == ""
            assert await page.evaluate("history.length") >= 2
            assert await page.evaluate(f"localStorage.getItem({TOKEN_KEY!r})") == token
            # the same device at box b: its figures load (no till here yet)
            await expect(page.locator("#screen-open")).to_be_visible()
            moved = page.locator("#moved")
            await expect(moved).to_contain_text("Moved here from box-a (Gate A)")
            await expect(page.get_by_test_id("kept-elsewhere")).to_contain_text(
                "kept for box-a, on its page — not here"
            )
            await screenshot(page, "failover-2-at-box-b")
            await page.locator("#open-operator").fill("Ana")
            await page.locator("#open-float").fill("0")
            await page.locator("#open-submit").tap()
            await expect(page.locator("#screen-sell")).to_be_visible()
            (device,) = _session_devices(a)
            assert _session_devices(b) == {device}  # the till at b is the same device's

            # the unsold sale stayed with box a: in a's storage, same id, never sent to b
            state = await page.context.storage_state()
            kept_at_a = _local_storage(state, a.url)
            assert kept_at_a[TOKEN_KEY] == token
            assert json.loads(kept_at_a[PENDING_KEY])["request_id"] == request_id
            assert PENDING_KEY not in _local_storage(state, b.url)
            assert _sales_with(b, request_id) == 0

            # box a comes back: its page (the link back) still has the sale, and the retry
            # sells it there with the same request id, once
            await asyncio.to_thread(venue.start, a)
            await page.get_by_test_id("back-to-box").tap()
            await expect(page).to_have_url(f"{a.url}/boxoffice/")
            await expect(page.locator("#pending")).to_be_visible()
            await page.locator("#pending-retry").tap()
            await expect(page.locator("#screen-receipt")).to_be_visible()
            assert _sales_with(a, request_id) == 1
            assert _sales_with(b, request_id) == 0
            assert await page.evaluate(f"localStorage.getItem({PENDING_KEY!r})") is None
        print(f"offered box b {t_offered:.1f} s after the kill; {time.monotonic() - t0:.1f} s")
    finally:
        await asyncio.to_thread(venue.stop_all)
        await platform.stop()
