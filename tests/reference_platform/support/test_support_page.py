"""The support page in Debian's chromium (Playwright): sign in as a support account
made with the CLI, find an order by e-mail, last 4 and code, read its tickets'
timeline (bought, delivered, admitted at the gate, refunded, charged back) and download
the signed evidence pack — the JSON verifies with ``edge-agent evidence verify``."""

from __future__ import annotations

import asyncio
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, expect

from edge_agent.api.app import create_app
from edge_agent.devices.roles import Role
from tests.agent_process import CLI, cli
from tests.edge_agent.api.browser.stack import ipad, screenshot
from tests.edge_agent.platform_link.agent_setup import enrolled_config
from tests.helpers import AiohttpClient, pair
from tests.platform_fixture import PlatformFixture, running_platform

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.browser]

PASSWORD = "support-desk-2026!"


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=3, plain=0) as fixture:
        yield fixture


def platform_cli(*args: str) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "reference_platform.cli", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert CLI  # the agent's CLI is used below for verification


async def a_night_at_the_gate(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    """Two of the order's tickets admitted at a gate and uploaded; then one refunded and
    one charged back on the platform."""
    config = await enrolled_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss, scanner = await pair(client, Role.SUPERVISOR), await pair(client, Role.SCANNER)
    for _ in range(2):
        resp = await client.post("/api/v1/sync/now", headers=boss)
        assert resp.status == 200
        if _ == 0:
            for ticket in platform.gh1_tickets[:2]:
                await client.post("/api/v1/scans", json={"code": ticket.code}, headers=scanner)
    await platform.admin.refund(platform.gh1_tickets[1].ticket_id, "customer asked")
    await platform.admin.chargeback(platform.gh1_tickets[2].ticket_id, "fraud claim")


async def sign_in(page: Page, url: str, password: str) -> None:
    await page.goto(f"{url}/support/")
    await expect(page.locator("#screen-login")).to_be_visible()
    await page.locator("#login-user").fill("sam")
    await page.locator("#login-password").fill(password)
    await page.locator("#login-submit").click()


async def test_support_finds_an_order_reads_its_timeline_and_downloads_evidence(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD + "\n")
    await asyncio.to_thread(
        platform_cli, "support-user", "--data", str(platform.data_dir), "--username", "sam",
        "--password-file", str(password_file),
    )  # fmt: skip
    await a_night_at_the_gate(tmp_path, platform, aiohttp_client)
    order_id = platform.gh1_tickets[0].order_id

    async with aiohttp.ClientSession() as http:  # nothing without signing in
        async with http.get(f"{platform.url}/support/api/orders?q=4242") as resp:
            assert resp.status == 401
        async with http.get(f"{platform.url}/support/api/orders/{order_id}/evidence.pdf") as r:
            assert r.status == 401
        admin = {"Authorization": f"Bearer {platform.admin_token}"}
        async with http.get(f"{platform.url}/support/api/orders?q=4242", headers=admin) as r:
            assert r.status == 401  # the admin token is not a support login

    async with ipad() as page:
        await page.set_viewport_size({"width": 1200, "height": 900})
        await sign_in(page, platform.url, "wrong password!!")
        await expect(page.locator("#login-error")).to_have_text("wrong username or password")
        await screenshot(page, "support-1-sign-in")
        await sign_in(page, platform.url, PASSWORD)
        await expect(page.locator("#screen-search")).to_be_visible()
        await expect(page.locator("#who")).to_have_text("sam (support)")

        for query in ("4242", order_id, "CUSTOMER1@example.org"):
            await page.locator("#search-q").fill(query)
            await page.locator("#search-submit").click()
            await expect(page.locator("#results tbody tr")).to_have_count(1)
        await expect(page.locator("#order-title")).to_contain_text(f"Order {order_id}")
        tickets = page.locator(".ticket")
        await expect(tickets).to_have_count(3)
        first, refunded, charged = (
            tickets.filter(has_text=t.ticket_id) for t in platform.gh1_tickets
        )
        await expect(first.locator("tr")).to_have_count(3)  # bought, delivered, admitted
        await expect(first).to_contain_text("admitted at gate-1")
        await expect(first).to_contain_text("bought online (visa ••4242)")
        await expect(refunded.locator("h3")).to_contain_text("REFUNDED")
        await expect(refunded).to_contain_text("refunded: customer asked")
        await expect(charged.locator("h3")).to_contain_text("CHARGED BACK")
        await expect(charged).to_contain_text("charged back: fraud claim")
        await screenshot(page, "support-2-order-timeline")

        for link, name in (("#dl-zip", "pack.zip"), ("#dl-pdf", "evidence.pdf")):
            async with page.expect_download() as info:
                await page.locator(link).click()
            await (await info.value).save_as(tmp_path / name)
        assert (tmp_path / "evidence.pdf").read_bytes().startswith(b"%PDF")
        with zipfile.ZipFile(tmp_path / "pack.zip") as archive:
            archive.extractall(tmp_path / "unzipped")
        pack = tmp_path / "unzipped" / f"evidence-{order_id}"
        assert {"evidence.json", "evidence.json.sig"} <= {p.name for p in pack.iterdir()}
        verified = await asyncio.to_thread(cli, "evidence", "verify", str(pack))
        assert verified.returncode == 0, verified.stdout + verified.stderr

        await page.locator("#logout").click()
        await expect(page.locator("#screen-login")).to_be_visible()
        await page.goto(f"{platform.url}/support/")
        await expect(page.locator("#screen-login")).to_be_visible()  # the session is gone
