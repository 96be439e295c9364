"""SVG snapshots of every screen at 80×24 and 120×40 (pytest-textual-snapshot).

The app runs on fixed answers (``replay.py``), a fixed clock and UTC, so a snapshot
changes only when the screen does. Update after a deliberate change with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.replay import DEV_SAM, FESTIVAL_STATUS, NOW_S, URL, ReplayAgent
from tui.app import GatehouseApp
from tui.client import JsonDoc
from tui.token_store import StoredToken

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def replay_app(
    tmp_path: Path, *, paired: bool = True, status: JsonDoc | None = None
) -> GatehouseApp:
    stored = StoredToken(URL, "gh_x", DEV_SAM, "Sam", "supervisor")
    return GatehouseApp(
        ReplayAgent(status),
        stored=stored if paired else None,
        token_path=tmp_path / "token.json",
        device_name="TUI on box-office-1",
        poll_s=3600,
        clock=lambda: NOW_S,
        tz=UTC,
        cursor_blink=False,
    )


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_dashboard(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(replay_app(tmp_path), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_dashboard_zones_and_flags(
    snap_compare: Any, tmp_path: Path, size: tuple[int, int]
) -> None:
    """Zone occupancy (one full), several events, a flagged admit in its own colour."""
    app = replay_app(tmp_path, status=FESTIVAL_STATUS)
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_lookup_with_history(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def search(pilot: Pilot[Any]) -> None:
        await pilot.press("f2")
        await settle(pilot)
        pilot.app.screen.query_one("#query", Input).value = "ada"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # the first result's history
        await settle(pilot)

    assert snap_compare(replay_app(tmp_path), terminal_size=size, run_before=search)


@pytest.mark.parametrize("size", SIZES)
def test_override_dialog(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def ask(pilot: Pilot[Any]) -> None:
        await pilot.press("f2")
        pilot.app.screen.query_one("#query", Input).value = "ada"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter", "o")
        await settle(pilot)

    assert snap_compare(replay_app(tmp_path), terminal_size=size, run_before=ask)


@pytest.mark.parametrize("size", SIZES)
def test_devices(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def show(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(replay_app(tmp_path), terminal_size=size, run_before=show)


@pytest.mark.parametrize("size", SIZES)
def test_pair_device_with_qr(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def pair(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        pilot.app.screen.query_one("#name", Input).value = "Lane 2 handheld"
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(replay_app(tmp_path), terminal_size=size, run_before=pair)


@pytest.mark.parametrize("size", SIZES)
def test_sync(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def show(pilot: Pilot[Any]) -> None:
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)

    assert snap_compare(replay_app(tmp_path), terminal_size=size, run_before=show)


@pytest.mark.parametrize("size", SIZES)
def test_first_use_pairing(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(replay_app(tmp_path, paired=False), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_sell(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def show(pilot: Pilot[Any]) -> None:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("plus", "plus")
        await settle(pilot)

    assert snap_compare(replay_app(tmp_path), terminal_size=size, run_before=show)


@pytest.mark.parametrize("size", SIZES)
def test_sell_payment(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def pay(pilot: Pilot[Any]) -> None:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("plus", "plus", "enter")
        await settle(pilot)
        pilot.app.screen.query_one("#tendered", Input).value = "100"
        await settle(pilot)

    assert snap_compare(replay_app(tmp_path), terminal_size=size, run_before=pay)


@pytest.mark.parametrize("size", SIZES)
def test_sell_receipt(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    async def sell(pilot: Pilot[Any]) -> None:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("plus", "plus", "enter")
        await settle(pilot)
        pilot.app.screen.query_one("#tendered", Input).value = "100"
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(replay_app(tmp_path), terminal_size=size, run_before=sell)
