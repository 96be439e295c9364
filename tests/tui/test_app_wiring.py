"""How the app and its screens talk: one poll of the status and the box-office figures,
whichever screen is shown (the Sell screen adds only its till's sales), and a refusal a
screen meets goes up to the app as a message (a refused token asks for a new code)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from pathlib import Path
from typing import Any

from tests.tui.replay import URL, ReplayAgent
from tests.tui.test_flows import enter, settle, text_of
from tui.app import GatehouseApp
from tui.documents.boxoffice import Figures, Sales
from tui.documents.status import Status
from tui.documents.tickets import TicketsFound
from tui.errors import TokenRefused
from tui.screens.lookup import LookupScreen
from tui.screens.pairing import PairScreen
from tui.screens.sell import SellScreen
from tui.token_store import StoredToken


class CountingAgent(ReplayAgent):
    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    async def status(self) -> Status:
        self.calls["status"] += 1
        return await super().status()

    async def boxoffice(self) -> Figures:
        self.calls["boxoffice"] += 1
        return await super().boxoffice()

    async def sales(self, limit: int = 20) -> Sales:
        self.calls["sales"] += 1
        return await super().sales(limit)


def app_on(api: Any, tmp_path: Path, poll_s: float = 3600) -> GatehouseApp:
    stored = StoredToken(URL, "gh_x", "dev-1", "Sam", "supervisor")
    return GatehouseApp(api, stored=stored, token_path=tmp_path / "t.json", poll_s=poll_s,
                        tz=UTC, cursor_blink=False)  # fmt: skip


async def test_the_sell_screen_adds_no_poll_of_the_figures(tmp_path: Path) -> None:
    api = CountingAgent()
    app = app_on(api, tmp_path)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f5")
        await settle(app, pilot)
        assert isinstance(app.screen, SellScreen)
        assert "Till: Ana" in text_of(app, "#till")
        api.calls.clear()
        for _ in range(3):  # three rounds of the app's poll
            app.poll_status()
            await settle(app, pilot)
        assert api.calls == Counter(status=3, boxoffice=3, sales=3)
        await pilot.press("f1")  # away from the Sell screen: no more sales fetched
        await settle(app, pilot)
        api.calls.clear()
        app.poll_status()
        await settle(app, pilot)
        assert api.calls == Counter(status=1, boxoffice=1)


async def test_with_the_timer_the_figures_come_once_per_status(tmp_path: Path) -> None:
    api = CountingAgent()
    app = app_on(api, tmp_path, poll_s=0.25)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f5")
        await pilot.pause(2.3)  # longer than the Sell screen's own 2 s poll used to be
    assert api.calls["status"] >= 5
    assert api.calls["boxoffice"] <= api.calls["status"]  # a cut-short poll fetches less
    assert 1 <= api.calls["sales"] <= api.calls["boxoffice"]


class RevokedTokenAgent(ReplayAgent):
    async def find_tickets(self, query: str) -> TicketsFound:
        raise TokenRefused(401, "invalid_token", "unknown or revoked device token")


async def test_a_refusal_a_screen_meets_goes_up_to_the_app(tmp_path: Path) -> None:
    app = app_on(RevokedTokenAgent(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, LookupScreen)
        await enter(pilot, "ada")
        await settle(app, pilot)
        assert isinstance(app.screen, PairScreen)  # the app asked for a new code
        assert "unknown or revoked device token" in text_of(app, "#why")
        assert app.stored is None
