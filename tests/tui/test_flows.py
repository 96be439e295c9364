"""Each TUI flow driven with Pilot against a real agent app on loopback (real aiohttp
server, real ledger): first-use pairing, dashboard, lookup + override, devices
(pair with QR, revoke), sync now, an unreachable agent and a refused token."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from textual.widgets import DataTable, Input, Static

from demo.event import DemoEvent
from edge_agent.api.app import create_app
from edge_agent.devices.roles import Role
from edge_agent.runtime import wall_clock_ms
from tests.edge_agent.api.test_api_tickets_devices import add_holders
from tests.edge_agent.evidence.tools import BIN, run_cli
from tests.edge_agent.platform_link.agent_setup import enrolled_config
from tests.helpers import AiohttpClient, pair, runtime_of, scan_row
from tests.platform_fixture import PlatformFixture, running_platform
from tests.reference_platform.ledger_rows import ledger_rows, upload
from tests.tui.conftest import MakeApp, agent_url, paired_token
from tui.app import GatehouseApp
from tui.client import HttpAgentClient
from tui.screens.lookup import LookupScreen
from tui.screens.modals import OverrideScreen, PairDeviceScreen
from tui.screens.pairing import PairScreen
from tui.screens.sync import SyncScreen
from tui.token_store import read_token

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]
SIZE = (80, 24)


def text_of(app: GatehouseApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def rows_of(app: GatehouseApp, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def enter(pilot: Any, text: str) -> None:
    """Fill the focused input and press enter (one key, not one per character)."""
    field = pilot.app.focused
    assert isinstance(field, Input), field
    field.value = text
    await pilot.press("enter")


async def settle(app: GatehouseApp, pilot: Any) -> None:
    """Let every worker finish and the screen catch up (workers do the HTTP calls)."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_first_use_pairs_with_a_code_and_stores_the_token_0600(
    make_app: MakeApp, client: Client, tmp_path: Path
) -> None:
    app = await make_app(role=None)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, PairScreen)
        await enter(pilot, "WRONG-CODE")
        await settle(app, pilot)
        assert "invalid_pairing_code" in text_of(app, "#pair-result")
        code = runtime_of(client).pairing.issue(Role.SUPERVISOR, "", wall_clock_ms()).code
        await enter(pilot, code.lower())  # codes are case-insensitive
        await settle(app, pilot)
        assert not isinstance(app.screen, PairScreen)
        assert app.link == "ok"
        assert app.status is not None
    path = tmp_path / "cfg" / "tui-token.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    stored = read_token(path)
    assert stored is not None
    assert (stored.role, stored.name, stored.url) == ("supervisor", "Test TUI", agent_url(client))
    # the stored token really works
    resp = await client.get("/api/v1/status", headers={"Authorization": f"Bearer {stored.token}"})
    assert resp.status == 200


async def test_dashboard_shows_rate_verdicts_with_words_and_lanes(
    make_app: MakeApp, client: Client, event: DemoEvent, scanner: dict[str, str]
) -> None:
    for code in (event.valid[0], event.valid[0], event.forged[0]):
        resp = await client.post("/api/v1/scans", json={"code": code}, headers=scanner)
        assert resp.status == 200
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        summary = text_of(app, "#summary")
        assert "Scans/min 3" in summary
        assert "✔ in 1 (inside 1)" in summary
        assert "Sync: off" in summary
        recent = rows_of(app, "#recent")
        assert [r[1] for r in recent] == ["✘ REFUSE", "✘ REFUSE", "✔ ADMIT"]
        assert recent[0][5].startswith("bad_signature")
        assert recent[1][5].startswith("already_admitted: Already used")
        assert recent[1][2] == str(event.config.event.event_id)  # the event it was for
        lanes = rows_of(app, "#lanes")
        assert ["  t", "device", "✔1 ✘2 ↩0"] in lanes
        # a new scan shows after the next poll
        await client.post("/api/v1/scans", json={"code": event.valid[1]}, headers=scanner)
        app.poll_status()
        await settle(app, pilot)
        assert "Scans/min 4" in text_of(app, "#summary")


async def test_lookup_then_manual_check_in_is_recorded_with_the_operator(
    make_app: MakeApp, client: Client, event: DemoEvent, scanner: dict[str, str]
) -> None:
    ids = await add_holders(client, event, scanner)
    app = await make_app(name="Sam at the door")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, LookupScreen)
        await enter(pilot, "ada")
        await settle(app, pilot)
        assert [r[0] for r in rows_of(app, "#results")] == ["Ada Lovelace", "Adam Smith"]
        assert rows_of(app, "#results")[0][3] == "not in yet"
        await pilot.press("enter")  # pick the first row
        await settle(app, pilot)
        assert f"Ticket {ids[0]}" in text_of(app, "#detail")
        assert [r[4] for r in rows_of(app, "#history")] == ["not_inside"]  # the exit scan
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, OverrideScreen)
        await pilot.press("enter")  # no reason: refused by the dialog
        assert isinstance(app.screen, OverrideScreen)
        await enter(pilot, "ID checked")
        await settle(app, pilot)
        history = rows_of(app, "#history")
        assert history[-1][1:] == [
            "✔ ADMIT",
            f"{event.config.gate.id}/{event.config.gate.default_lane}",
            "Sam at the door",
            "manual_override: ID checked",
        ]
        assert "State: INSIDE" in text_of(app, "#detail")
    # the agent holds it: the next scan of that ticket is refused as already admitted
    resp = await client.post("/api/v1/scans", json={"code": event.valid[0]}, headers=scanner)
    assert (await resp.json())["reason"] == "already_admitted"


def _evidence_dirs(root: Path) -> list[Path]:
    return list(root.glob("evidence-*"))


async def test_a_box_office_device_gets_no_evidence_pack(
    make_app: MakeApp,
    client: Client,
    event: DemoEvent,
    scanner: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await add_holders(client, event, scanner)
    monkeypatch.chdir(tmp_path)
    app = await make_app(role=Role.BOX_OFFICE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await enter(pilot, "bob")
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        assert app.screen.is_active  # the screen stays usable
    assert not _evidence_dirs(tmp_path)


async def test_a_box_office_device_cannot_override(
    make_app: MakeApp, client: Client, event: DemoEvent, scanner: dict[str, str]
) -> None:
    await add_holders(client, event, scanner)
    head = runtime_of(client).writer.head_seq
    app = await make_app(role=Role.BOX_OFFICE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await enter(pilot, "bob")
        await settle(app, pilot)
        assert "Bob Stone" in text_of(app, "#detail")
        await pilot.press("o")
        await enter(pilot, "left")
        await settle(app, pilot)
        assert "forbidden" in text_of(app, "#detail")
    assert runtime_of(client).writer.head_seq == head


async def test_devices_pair_a_scanner_with_code_and_qr_then_revoke_it(
    make_app: MakeApp, client: Client
) -> None:
    app = await make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await settle(app, pilot)
        assert [r[0] for r in rows_of(app, "#devices")] == ["Sam (this TUI)"]
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PairDeviceScreen)
        await enter(pilot, "Lane 9")
        await settle(app, pilot)
        shown = text_of(app, "#code")
        code = shown.split()[1]
        assert f"{agent_url(client)}/api/v1/pair?code={code}" in shown
        qr = text_of(app, "#qr")
        assert len(qr.splitlines()) > 10 and "█" in qr
        # the code shown is real: a device exchanges it for a token
        resp = await client.post("/api/v1/pair", json={"code": code})
        assert resp.status == 201
        await pilot.press("escape")
        await settle(app, pilot)
        names = [r[0] for r in rows_of(app, "#devices")]
        assert names == ["Sam (this TUI)", "Lane 9"]
        app.screen.query_one("#devices", DataTable).move_cursor(row=1)
        await pilot.press("x")
        await pilot.press("y")
        await settle(app, pilot)
        assert rows_of(app, "#devices")[1][3].startswith("REVOKED")
    lane9 = [d for d in runtime_of(client).devices.all() if d.name == "Lane 9"]
    assert lane9 and not lane9[0].active


async def test_devices_shows_a_pairing_lockout_and_lifts_it(
    make_app: MakeApp, client: Client
) -> None:
    app = await make_app()
    rt = runtime_of(client)
    now = wall_clock_ms()
    for i in range(rt.config.api.pairing_attempts_total_per_minute):
        rt.pairing_guard.fail(f"10.9.{i}.1", now)  # someone guessing from many addresses
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        app.poll_status()
        await settle(app, pilot)
        title = str(app.screen.query_one("#devices", DataTable).border_title)
        assert "PAIRING LOCKED" in title
        await pilot.press("u")
        await settle(app, pilot)
        assert str(app.screen.query_one("#devices", DataTable).border_title) == "Paired devices"
    assert not rt.pairing_guard.view(wall_clock_ms()).locked


async def test_unreachable_agent_is_said_plainly(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from tui.token_store import StoredToken

    url = f"http://127.0.0.1:{port}"
    app = GatehouseApp(
        HttpAgentClient(url, timeout_s=2),
        stored=StoredToken(url, "gh_x", "d", "Sam", "supervisor"),
        token_path=tmp_path / "t.json",
        poll_s=3600,
        tz=UTC,
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.link == "unreachable"
        assert "AGENT UNREACHABLE" in text_of(app, "#link")
        assert f"cannot reach the agent at {url}" in text_of(app, "#link")


async def test_a_revoked_token_asks_for_a_new_pairing_code(
    make_app: MakeApp, client: Client
) -> None:
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.link == "ok"
        assert app.stored is not None
        runtime_of(client).devices.revoke(app.stored.device_id, wall_clock_ms())
        app.poll_status()
        await settle(app, pilot)
        assert isinstance(app.screen, PairScreen)
        assert "unknown or revoked device token" in text_of(app, "#why")
        code = runtime_of(client).pairing.issue(Role.SUPERVISOR, "", wall_clock_ms()).code
        await enter(pilot, code)
        await settle(app, pilot)
        assert app.link == "ok"


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path / "platform", gh1=2, plain=1) as fixture:
        yield fixture


async def test_sync_now_and_a_conflict_between_two_gates(
    aiohttp_client: AiohttpClient, platform: PlatformFixture, tmp_path: Path
) -> None:
    """gate-a (a real agent) syncs, admits a ticket and uploads it; gate-b uploads its own
    admission of the same ticket; the TUI's Sync screen shows the platform's report."""
    config = await enrolled_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    stored = await paired_token(client, Role.SUPERVISOR, "Sam")
    scanner = await pair(client, Role.SCANNER)
    ticket = platform.gh1_tickets[0]
    app = GatehouseApp(
        HttpAgentClient(agent_url(client)),
        stored=stored,
        token_path=tmp_path / "t.json",
        poll_s=3600,
        tz=UTC,
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await pilot.press("n")  # first round: the manifest brings the platform's keyring
        await settle(app, pilot)
        assert text_of(app, "#sync-result").startswith("✔ Sync round done at")
        detail = text_of(app, "#sync-detail")
        assert f"Platform   {platform.url}" in detail
        assert "New Year Gala" in detail
        assert app.screen.query_one("#conflicts", DataTable).row_count == 0

        resp = await client.post("/api/v1/scans", json={"code": ticket.code}, headers=scanner)
        assert (await resp.json())["outcome"] == "admit"
        other = await ledger_rows(
            tmp_path / "gate-b.sqlite3",
            "gate-b",
            1,
            lambda i: scan_row(i, event_id=platform.event_id, ticket_id=ticket.ticket_id),
        )
        token_b = await platform.enrol("gate-b", Ed25519PrivateKey.generate())
        async with aiohttp.ClientSession() as session:
            assert (await upload(session, platform, token_b, "gate-b", other))[0] == 200

        await pilot.press("n")  # uploads gate-a's admission, then fetches the report
        await settle(app, pilot)
        assert "Outbox     scans: 0 waiting" in text_of(app, "#sync-detail")
        rows = rows_of(app, "#conflicts")
        # in admission-time order: gate-b's row is dated earlier (a fixed 2024 time)
        assert [r[:2] for r in rows] == [[ticket.ticket_id, "gate-b"], ["", "gate-a"]]


async def test_sync_now_on_an_agent_without_sync_says_so(make_app: MakeApp) -> None:
    app = await make_app()
    async with app.run_test(size=SIZE) as pilot:
        # through the command palette this time
        await pilot.press("ctrl+p")
        await pilot.pause()
        await enter(pilot, "Sync: platform state")
        await settle(app, pilot)
        assert isinstance(app.screen, SyncScreen)
        assert "Sync is OFF" in text_of(app, "#sync-detail")
        await pilot.press("n")
        await settle(app, pilot)
        assert "sync_disabled" in text_of(app, "#sync-result")


async def test_lookup_saves_the_tickets_evidence_pack_and_it_verifies(
    aiohttp_client: AiohttpClient,
    platform: PlatformFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An enrolled agent (its key certified by the platform) admits a ticket; the
    supervisor's TUI finds it, presses ``e``, and the pack it writes verifies."""
    config = await enrolled_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss = await pair(client, Role.SUPERVISOR)
    scanner = await pair(client, Role.SCANNER)
    assert (await client.post("/api/v1/sync/now", headers=boss)).status == 200
    ticket = platform.gh1_tickets[0]
    resp = await client.post("/api/v1/scans", json={"code": ticket.code}, headers=scanner)
    assert (await resp.json())["outcome"] == "admit"
    monkeypatch.chdir(tmp_path)  # the pack goes to ./evidence-<ticket id>/
    app = GatehouseApp(
        HttpAgentClient(agent_url(client)),
        stored=await paired_token(client, Role.SUPERVISOR, "Sam"),
        token_path=tmp_path / "t.json",
        poll_s=3600,
        tz=UTC,
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await enter(pilot, ticket.ticket_id)
        await settle(app, pilot)
        assert "e: evidence pack" in text_of(app, "#detail")
        await pilot.press("e")
        await settle(app, pilot)
    out = tmp_path / f"evidence-{ticket.ticket_id}"
    assert sorted(p.name for p in out.iterdir()) == [
        "evidence.html", "evidence.json", "evidence.json.sig",
    ]  # fmt: skip
    assert "was scanned and admitted at" in (out / "evidence.html").read_text()
    code, stdout, stderr = await run_cli(BIN / "edge-agent", "evidence", "verify", out)
    assert code == 0, stdout + stderr
    assert "evidence pack VERIFIED" in stdout
