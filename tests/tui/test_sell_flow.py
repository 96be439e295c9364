"""A night at the counter from the TUI alone, driven with Pilot against a real agent with
a real reference platform: open the till, sell two tickets for cash (change shown), see
the QR, admit the ticket at the gate, sell by card terminal, void, reprint, close the
till with the counted cash; and a sale whose answer is lost is retried, never doubled."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Select

from edge_agent.api.app import create_app
from edge_agent.devices.roles import Role
from tests.edge_agent.boxoffice.agent import box_office_config, call
from tests.helpers import AiohttpClient, pair, runtime_of
from tests.platform_fixture import PlatformFixture, running_platform
from tests.tui.conftest import agent_url, paired_token
from tests.tui.replay import BOXOFFICE, RECEIPT, SALES, ReplayAgent
from tests.tui.test_flows import enter, rows_of, settle, text_of
from tests.tui.test_replay_shapes import same_keys
from tui.app import GatehouseApp
from tui.client import HttpAgentClient, JsonDoc
from tui.documents.boxoffice import Sale
from tui.errors import AgentUnreachable
from tui.screens.modals import ConfirmScreen
from tui.screens.sell import SellScreen
from tui.screens.sell_modals import (
    CloseSessionScreen,
    OpenSessionScreen,
    PaymentScreen,
    ReasonScreen,
    ReceiptScreen,
)
from tui.token_store import StoredToken

pytestmark = pytest.mark.integration

SIZE = (100, 32)


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=3, plain=0) as fixture:
        yield fixture


def sell_app(api: Any, stored: StoredToken, tmp_path: Path) -> GatehouseApp:
    return GatehouseApp(
        api, stored=stored, token_path=tmp_path / "tui.json", poll_s=3600, tz=UTC,
        cursor_blink=False,
    )  # fmt: skip


async def test_a_night_at_the_counter(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    client = await aiohttp_client(create_app(await box_office_config(tmp_path / "a", platform)))
    boss = await pair(client, Role.SUPERVISOR)
    gate = await pair(client, Role.SCANNER)
    assert (await call(client, "POST", "/api/v1/sync/now", boss, status=200))["completed"]
    stored = await paired_token(client, Role.SUPERVISOR, "Counter TUI")
    app = sell_app(HttpAgentClient(agent_url(client)), stored, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await settle(app, pilot)
        assert isinstance(app.screen, SellScreen)
        assert "Till closed" in text_of(app, "#till")
        # nothing leased here yet: not "SOLD OUT", which staff read as "the event is full"
        assert rows_of(app, "#types")[1][:3] == ["VIP", "45.00 EUR", "no lease"]
        await pilot.press("down", "l")  # a supervisor leases seats from the platform
        assert isinstance(app.screen, ReasonScreen)
        await enter(pilot, "5")
        await settle(app, pilot)
        general, vip = rows_of(app, "#types")[:2]
        assert general[:3] == ["General admission", "45.00 EUR", "no lease"]  # not leased
        assert vip[:3] == ["VIP", "45.00 EUR", "5"]

        await pilot.press("enter")  # no till yet: nothing happens but a hint
        await pilot.press("n")
        assert isinstance(app.screen, OpenSessionScreen)
        await enter(pilot, "Ana")
        await enter(pilot, "100")
        await settle(app, pilot)
        assert "Till: Ana · float 100.00 EUR · IN DRAWER 100.00 EUR" in text_of(app, "#till")

        app.screen.query_one("#types").move_cursor(row=0)  # type: ignore[attr-defined]
        await pilot.press("plus")  # General admission: none to sell here
        assert "Cart empty" in text_of(app, "#cart")
        await pilot.press("down")
        await pilot.press("plus", "plus")
        assert "2 × VIP = 90.00 EUR" in text_of(app, "#cart")
        await pilot.press("enter")
        assert isinstance(app.screen, PaymentScreen)
        await enter(pilot, "80")  # too little: the dialog says so and stays
        assert isinstance(app.screen, PaymentScreen)
        assert "less than the total 90.00" in text_of(app, "#problem")
        app.screen.query_one("#tendered", Input).value = "100"
        await pilot.pause()
        assert "CHANGE TO GIVE: 10.00 EUR" in text_of(app, "#change")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReceiptScreen)
        receipt = app.screen.receipt
        assert "✔ SOLD" in text_of(app, "#receipt")
        assert "CHANGE 10.00 EUR" in text_of(app, "#receipt")
        assert "█" in text_of(app, "#qr") and "Ticket 1 of 2" in text_of(app, "#ticket")
        await pilot.press("n")
        assert "Ticket 2 of 2" in text_of(app, "#ticket")
        await pilot.press("escape")
        await settle(app, pilot)

        code = receipt.tickets[0].code
        verdict = await call(client, "POST", "/api/v1/scans", gate, {"code": code}, status=200)
        assert verdict["reason"] == "admitted"
        assert "IN DRAWER 190.00 EUR" in text_of(app, "#till")
        assert rows_of(app, "#types")[1][2:5] == ["3", "", "2"]  # sellable, cart, sold here

        # a card-terminal sale: brand, last 4, authorisation, terminal — nothing more
        await pilot.press("plus", "enter")
        payment = app.screen
        assert isinstance(payment, PaymentScreen)
        payment.query_one("#method", Select).value = "terminal"
        await pilot.pause()
        assert not payment.query_one("#tendered", Input).display
        for name, value in (("brand", "visa"), ("last4", "4242"), ("auth_ref", "A1B2C3"),
                            ("terminal_id", "T-01")):  # fmt: skip
            payment.query_one(f"#{name}", Input).value = value
        payment.query_one("#last4", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert "card visa ••4242 auth A1B2C3" in text_of(app, "#receipt")
        await pilot.press("p")  # reprint from the receipt: the same ticket
        await settle(app, pilot)
        printer = runtime_of(client).printer
        assert printer is not None

        # void the first (cash) sale from the list: its tickets stop working at once
        sales = rows_of(app, "#sales")
        assert len(sales) == 2
        first_row = next(i for i, row in enumerate(sales) if row[1] == receipt.order_id)
        app.screen.query_one("#sales").focus()
        app.screen.query_one("#sales").move_cursor(row=first_row)  # type: ignore[attr-defined]
        await pilot.press("v")
        assert isinstance(app.screen, ReasonScreen)
        await enter(pilot, "wrong ticket type")
        await settle(app, pilot)
        again = await call(client, "POST", "/api/v1/scans", gate, {"code": code}, status=200)
        assert again["outcome"] == "refuse"
        assert "IN DRAWER 100.00 EUR" in text_of(app, "#till")  # 90.00 handed back
        assert "1 voids" in text_of(app, "#till")

        app.screen.query_one("#types").focus()
        await pilot.press("u")  # the unsold VIP seats go back to the platform
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        assert rows_of(app, "#types")[1][2] == "no lease"  # returned: none held here now

        await pilot.press("c")
        assert isinstance(app.screen, CloseSessionScreen)
        await enter(pilot, "100")
        await settle(app, pilot)
        assert "Till closed" in text_of(app, "#till")

        # the dashboard shows admissions against capacity per ticket type
        await pilot.press("f1")
        app.poll_status()
        await settle(app, pilot)
        assert "Admitted / capacity: General admission 0/1000 · VIP 1/1000" in text_of(
            app, "#summary"
        )
    figures = await call(client, "GET", "/api/v1/boxoffice", boss, status=200)
    assert figures["ticket_types"][1]["sold_here"] == 1  # the card sale; the cash one voided
    # the snapshots' fixed documents keep the real shapes
    same_keys(figures, BOXOFFICE)
    listed = await call(client, "GET", "/api/v1/boxoffice/sales", boss, status=200)
    same_keys(next(s for s in listed["sales"] if s["order_id"] == receipt.order_id), RECEIPT)
    for real in listed["sales"]:  # a terminal sale and a voided cash sale
        method = real["payment"]["method"]
        fixed = next(
            f for f in SALES if f["payment"]["method"] == method and f["status"] == real["status"]
        )
        same_keys(real, fixed)


class LosingAgent(ReplayAgent):
    """The first sale's answer is lost (the agent may have recorded it); the retry must
    carry the same request id so the agent answers with that same sale."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[JsonDoc] = []

    async def sell(self, body: JsonDoc) -> Sale:
        self.sent.append(copy.deepcopy(body))
        if len(self.sent) == 1:
            raise AgentUnreachable("no answer from the agent within the timeout")
        return Sale.from_json(RECEIPT)


async def test_a_lost_answer_is_retried_with_the_same_request_id(tmp_path: Path) -> None:
    api = LosingAgent()
    stored = StoredToken(api.url, "gh_x", "dev", "Counter", "box_office")
    app = sell_app(api, stored, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press("plus", "enter")
        await enter(pilot, "50")
        await settle(app, pilot)
        assert isinstance(app.screen, SellScreen)
        assert "not confirmed: enter retries the SAME sale" in text_of(app, "#cart")
        await pilot.press("enter")  # retry: no payment dialog, the same body
        await settle(app, pilot)
        assert isinstance(app.screen, ReceiptScreen)
    assert len(api.sent) == 2
    assert api.sent[0] == api.sent[1]
    assert api.sent[0]["payment"] == {"method": "cash", "tendered_cents": 5000}
