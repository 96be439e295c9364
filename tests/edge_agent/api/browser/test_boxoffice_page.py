"""The iPad page in a real browser against a real agent: pair, sell, scan at the gate;
and a sale tried while the agent is down is never half-recorded, never sold twice."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Page, Route, expect

from tests.edge_agent.api.browser.stack import BoxOfficeStack, box_office, ipad, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.browser]

TOKEN_KEY = "gatehouse.boxoffice.token"
PENDING_KEY = "gatehouse.boxoffice.pending"


async def pair_and_open(stack: BoxOfficeStack, page: Page, *, shots: bool) -> dict[str, str]:
    """Scan the TUI's pairing link, open a till; the page's own token, for API checks."""
    await page.goto(f"{stack.url}/boxoffice/")
    await expect(page.locator("#screen-pair")).to_be_visible()
    if shots:
        await screenshot(page, "1-pair")
    code = await stack.pairing_code()
    await page.goto(f"{stack.url}/api/v1/pair?code={code}")
    await expect(page.locator("#screen-open")).to_be_visible()
    assert page.url == f"{stack.url}/boxoffice/"  # the code left the address bar
    token = await page.evaluate(f"localStorage.getItem({TOKEN_KEY!r})")
    assert token
    await page.locator("#open-operator").fill("Ana")
    await page.locator("#open-float").fill("100")
    if shots:
        await screenshot(page, "2-open-session")
    await page.locator("#open-submit").tap()
    await expect(page.locator("#screen-sell")).to_be_visible()
    await expect(page.locator("#session-line")).to_contain_text("Ana · 0 sold")
    return {"Authorization": f"Bearer {token}"}


def sold_here(figures: dict[str, Any]) -> int:
    (general,) = [t for t in figures["ticket_types"] if t["ticket_type"] == 0]
    count: int = general["sold_here"]
    return count


def decode_qr(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert len(found) == 1, found
    text: str = found[0].text
    return text


async def test_pair_sell_two_for_cash_and_the_qr_admits_at_the_gate(tmp_path: Path) -> None:
    async with box_office(tmp_path) as stack, ipad() as page:
        till = await pair_and_open(stack, page, shots=True)
        general = page.locator('[data-type="0"]')
        await expect(general).to_contain_text("General admission")
        await expect(general).to_contain_text("10 sellable here")
        plus = page.get_by_test_id("plus-0")
        await plus.tap()
        await plus.tap()
        await expect(page.get_by_test_id("qty-0")).to_have_text("2")
        await expect(page.locator("#total")).to_contain_text("90.00")
        await page.locator("#cash-tendered").fill("100")
        await expect(page.locator("#cash-change")).to_contain_text("10.00")
        await screenshot(page, "3-sell")
        await page.locator("#sell").tap()

        await expect(page.locator("#screen-receipt")).to_be_visible()
        await expect(page.get_by_test_id("change")).to_contain_text("10.00")
        qrs = page.locator("#receipt-qrs figure.qr img")
        await expect(qrs).to_have_count(2)
        await screenshot(page, "4-receipt")
        sales = (await stack.get("/api/v1/boxoffice/sales", till))["sales"]
        assert len(sales) == 1 and sales[0]["status"] == "completed"
        codes = {t["code"] for t in sales[0]["tickets"]}
        seen = [decode_qr(await qrs.nth(i).screenshot()) for i in range(2)]
        assert set(seen) == codes  # what the customer's phone shows is the sold ticket

        # the QR's text at a gate lane: admitted once
        scanner = await stack.pair("scanner")
        status, verdict = await stack.post("/api/v1/scans", {"code": seen[0]}, scanner)
        assert status == 200, verdict
        assert (verdict["outcome"], verdict["reason"]) == ("admit", "admitted")
        status, verdict = await stack.post("/api/v1/scans", {"code": seen[0]}, scanner)
        assert verdict["reason"] == "already_admitted"
        # the page hears of the sale and the admission over its WebSocket, no reload
        await expect(page.locator("#link")).to_have_text("live")
        await expect(general).to_contain_text("2 sold here · 1 in")
        await expect(general).to_contain_text("8 sellable here")
        await expect(page.locator("#session-line")).to_contain_text("Ana · 1 sold")

        await page.locator('#nav [data-go="close"]').tap()
        await page.locator("#close-counted").fill("190")
        await page.locator("#close-submit").tap()
        await expect(page.locator("#close-result")).to_contain_text("The drawer is right.")
        await screenshot(page, "6-close")
        await expect(page.locator("#session-line")).to_have_text("till closed")


async def test_agent_down_means_not_sold_and_the_retry_sells_exactly_once(
    tmp_path: Path,
) -> None:
    async with box_office(tmp_path) as stack, ipad() as page:
        till = await pair_and_open(stack, page, shots=False)
        await page.get_by_test_id("plus-0").tap()
        await page.locator("#cash-tendered").fill("50")
        await stack.stop_agent()

        await page.locator("#sell").tap()
        await expect(page.locator("#banner")).to_contain_text("Not sold — agent unreachable")
        await expect(page.locator("#pending")).to_be_visible()
        await expect(page.locator("#link")).to_contain_text("agent unreachable")
        await expect(page.get_by_test_id("plus-0")).to_be_disabled()  # the sale is kept as is
        await screenshot(page, "5-agent-unreachable")
        pending = await page.evaluate(f"JSON.parse(localStorage.getItem({PENDING_KEY!r}))")
        request_id = pending["request_id"]

        # the agent comes back on the same data dir: nothing was recorded
        await stack.start_agent()
        figures = await stack.get("/api/v1/boxoffice", till)
        assert figures["session"]["sales"] == 0
        assert sold_here(figures) == 0
        assert (await stack.get("/api/v1/boxoffice/sales", till))["sales"] == []
        assert stack.ledger_sales() == 0
        # a reload (or the iPad sleeping) keeps the unsold sale, ready for the same retry
        await page.reload()
        await expect(page.locator("#pending")).to_be_visible()
        await expect(page.get_by_test_id("qty-0")).to_have_text("0")
        await expect(page.get_by_test_id("plus-0")).to_be_disabled()

        # a retry whose answer is lost on the way back: sold at the agent, not on the page
        answered: list[int] = []

        async def lose_answer(route: Route) -> None:
            answered.append((await route.fetch()).status)
            await route.abort()

        await page.route("**/api/v1/boxoffice/sales", lose_answer)
        await page.locator("#pending-retry").tap()
        await expect(page.locator("#banner")).to_contain_text("Not sold — agent unreachable")
        assert answered == [201]
        assert len((await stack.get("/api/v1/boxoffice/sales", till))["sales"]) == 1
        assert stack.ledger_sales() == 1
        again = await page.evaluate(f"JSON.parse(localStorage.getItem({PENDING_KEY!r}))")
        assert again["request_id"] == request_id
        await page.unroute("**/api/v1/boxoffice/sales")

        # the next retry, same request_id: the same sale comes back, nothing sold twice
        await page.locator("#pending-retry").tap()
        await expect(page.locator("#screen-receipt")).to_be_visible()
        await expect(page.locator("#receipt-qrs figure.qr img")).to_have_count(1)
        assert await page.evaluate(f"localStorage.getItem({PENDING_KEY!r})") is None
        sales = (await stack.get("/api/v1/boxoffice/sales", till))["sales"]
        assert len(sales) == 1
        assert sales[0]["sale_id"] in await page.locator("#receipt-summary").inner_text()
        figures = await stack.get("/api/v1/boxoffice", till)
        assert figures["session"]["sales"] == 1
        assert sold_here(figures) == 1
        assert stack.ledger_sales() == 1


async def test_over_https_a_reload_while_the_agent_is_away_still_shows_the_unsold_sale(
    tmp_path: Path,
) -> None:
    """The page over the agent's HTTPS (trusted as an iPad trusts the venue CA) gets a
    service worker; reloaded with the agent stopped it loads from the worker's copy and
    shows the sale that was not sold, which the retry then sells once."""
    async with (
        box_office(tmp_path, https=True) as stack,
        ipad(trust_spki=stack.server_spki) as page,
    ):
        assert stack.url.startswith("https://127.0.0.1:")
        till = await pair_and_open(stack, page, shots=False)
        assert await page.evaluate("window.isSecureContext")
        # the worker is active (it kept the page's files while installing) before the
        # agent goes; it controls the next load. (Polled from here: the page's CSP
        # forbids the eval wait_for_function uses.)
        active = (
            "navigator.serviceWorker.getRegistration()"
            ".then(r => Boolean(r && r.active && r.active.state === 'activated'))"
        )
        for _ in range(150):
            if await page.evaluate(active):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("no service worker is active for the page")
        await page.get_by_test_id("plus-0").tap()
        await page.locator("#cash-tendered").fill("50")
        await stack.stop_agent()
        await page.locator("#sell").tap()
        await expect(page.locator("#pending")).to_be_visible()

        await page.reload()  # nobody answers on the agent's address now
        await expect(page.locator("#screen-sell")).to_be_visible()
        await expect(page.locator("#pending")).to_be_visible()
        await expect(page.locator("#pending-text")).to_contain_text("1 ticket(s), cash")
        await expect(page.locator("#link")).to_contain_text("agent unreachable")
        await screenshot(page, "7-offline-reload")

        await stack.start_agent()
        await page.locator("#pending-retry").tap()
        await expect(page.locator("#screen-receipt")).to_be_visible()
        sales = (await stack.get("/api/v1/boxoffice/sales", till))["sales"]
        assert len(sales) == 1 and stack.ledger_sales() == 1
