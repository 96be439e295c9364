"""Pairing guesses are bounded per address and in total; a supervisor sees and lifts the
lockout; bodies that are not application/json are refused; tokens are never cached."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from demo.event import DemoEvent
from edge_agent.api.app import create_app, create_control_app
from edge_agent.devices.pairing_guard import WINDOW_MS, PairingGuard, PairingRefusal
from edge_agent.devices.roles import Role
from edge_agent.runtime import wall_clock_ms
from tests.helpers import AiohttpClient, pair, runtime_of

Client = TestClient[Any, Any]


def test_each_address_gets_its_own_few_guesses() -> None:
    guard = PairingGuard(per_address=3, total=100, lockout_ms=900_000)
    for _ in range(3):
        assert guard.refusal("10.0.0.9", 1_000) is None
        guard.fail("10.0.0.9", 1_000)
    assert guard.refusal("10.0.0.9", 1_000) is PairingRefusal.ADDRESS
    assert guard.refusal("10.0.0.10", 1_000) is None  # another address is not punished
    assert guard.refusal("10.0.0.9", 1_000 + WINDOW_MS) is None  # a minute later: again


def test_many_addresses_lock_pairing_for_everyone_until_lifted_or_expired() -> None:
    guard = PairingGuard(per_address=5, total=20, lockout_ms=900_000)
    locked_by = [guard.fail(f"10.0.{i}.1", 5_000) for i in range(20)]  # 1 guess each
    assert locked_by == [False] * 19 + [True]
    assert guard.refusal("192.168.1.50", 5_001) is PairingRefusal.LOCKED  # a fresh address too
    view = guard.view(5_001)
    assert view.locked and view.locked_until_ms == 905_000 and view.failures_last_minute == 20
    assert guard.refusal("192.168.1.50", 905_000) is None  # the lockout ends by itself
    guard.fail("10.0.0.1", 910_000)
    guard.lift()
    assert guard.view(910_001) == dataclasses.replace(
        guard.view(910_001), locked=False, failures_last_minute=0, blocked=()
    )
    assert guard.lockouts == 1


def test_a_blocked_address_is_listed_until_its_window_passes() -> None:
    guard = PairingGuard(per_address=2, total=50, lockout_ms=60_000)
    guard.fail("10.0.0.7", 1_000)
    guard.fail("10.0.0.7", 2_000)
    guard.fail("10.0.0.8", 2_000)
    [blocked] = guard.view(3_000).blocked
    assert (blocked.address, blocked.failures, blocked.until_ms) == ("10.0.0.7", 2, 61_000)
    assert guard.view(62_000).blocked == ()


@pytest.fixture
async def strict(aiohttp_client: AiohttpClient, event: DemoEvent) -> Client:
    """An agent whose whole-network limit is the per-address one (5), so one test address
    can reach it."""
    api = dataclasses.replace(event.config.api, pairing_attempts_total_per_minute=5)
    return await aiohttp_client(create_app(dataclasses.replace(event.config, api=api)))


@pytest.mark.integration
async def test_lockout_is_seen_by_a_supervisor_and_lifted(
    strict: Client, caplog: pytest.LogCaptureFixture
) -> None:
    rt = runtime_of(strict)
    supervisor = await pair(strict, Role.SUPERVISOR)
    caplog.set_level(logging.WARNING)
    for _ in range(5):
        r = await strict.post("/api/v1/pair", json={"code": "WXYZ-WXYZ"})
        assert (await r.json())["error"]["code"] == "invalid_pairing_code"
    good = rt.pairing.issue(Role.SCANNER, "real one", wall_clock_ms())
    refused = await strict.post("/api/v1/pair", json={"code": good.code})
    assert refused.status == 429
    assert (await refused.json())["error"]["code"] == "pairing_locked"
    # logged: each failure (address, count) and the lockout, never a code that was tried
    text = "\n".join(r.getMessage() + str(vars(r)) for r in caplog.records)
    assert "wrong pairing code" in text and "pairing locked" in text
    assert "WXYZ" not in text and good.code not in text
    status = await (await strict.get("/api/v1/status", headers=supervisor)).json()
    assert status["pairing"]["locked"] is True and status["pairing"]["blocked_addresses"] == 1
    view = await (await strict.get("/api/v1/pairing/lockout", headers=supervisor)).json()
    assert view["locked"] and view["blocked_addresses"][0]["address"] == "127.0.0.1"
    lifted = await strict.post("/api/v1/pairing/lockout/lift", headers=supervisor)
    assert (await lifted.json())["locked"] is False
    ok = await strict.post("/api/v1/pair", json={"code": good.code})
    assert ok.status == 201  # the real device pairs at once


@pytest.mark.integration
async def test_a_scanner_may_not_see_or_lift_the_lockout(client: Client) -> None:
    scanner = await pair(client, Role.SCANNER)
    assert (await client.get("/api/v1/pairing/lockout", headers=scanner)).status == 403
    assert (await client.post("/api/v1/pairing/lockout/lift", headers=scanner)).status == 403


@pytest.mark.integration
async def test_the_control_socket_lifts_it_too(
    aiohttp_client: AiohttpClient, strict: Client
) -> None:
    control = await aiohttp_client(create_control_app(strict.app))
    for _ in range(5):
        await strict.post("/api/v1/pair", json={"code": "WXYZ-WXYZ"})
    assert runtime_of(strict).pairing_guard.view(wall_clock_ms()).locked
    resp = await control.post("/control/pairing/unlock")
    assert resp.status == 200 and (await resp.json())["locked"] is False
    assert resp.headers["Cache-Control"] == "no-store"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"code": "ABCD-EFGH"}'),  # what a cross-origin page can send
        ("application/x-www-form-urlencoded", b"code=ABCD-EFGH"),
        ("multipart/form-data; boundary=x", b"--x--"),
        ("application/octet-stream", b'{"code": "ABCD-EFGH"}'),
    ],
)
async def test_bodies_that_are_not_json_are_refused_unread(
    client: Client, content_type: str, body: bytes
) -> None:
    rt = runtime_of(client)
    pending = rt.pairing.issue(Role.SCANNER, "x", wall_clock_ms())
    body = body.replace(b"ABCD-EFGH", pending.code.encode())
    resp = await client.post("/api/v1/pair", data=body, headers={"Content-Type": content_type})
    assert resp.status == 415
    assert (await resp.json())["error"]["code"] == "unsupported_media_type"
    # nothing was redeemed and no guess was counted
    assert rt.pairing_guard.view(wall_clock_ms()).failures_last_minute == 0
    again = await client.post("/api/v1/pair", json={"code": pending.code})
    assert again.status == 201


@pytest.mark.integration
async def test_a_body_without_a_type_is_refused_too(
    client: Client, scanner: dict[str, str]
) -> None:
    resp = await client.post(
        "/api/v1/scans", data=b'{"code": "x"}', headers={**scanner, "Content-Type": ""}
    )
    assert resp.status == 415


@pytest.mark.integration
async def test_tokens_and_every_api_answer_are_not_cacheable(client: Client) -> None:
    rt = runtime_of(client)
    pending = rt.pairing.issue(Role.SUPERVISOR, "x", wall_clock_ms())
    resp = await client.post("/api/v1/pair", json={"code": pending.code})
    assert resp.status == 201 and resp.headers["Cache-Control"] == "no-store"
    headers = {"Authorization": f"Bearer {(await resp.json())['token']}"}
    code = await client.post("/api/v1/pairing-codes", json={"role": "scanner"}, headers=headers)
    assert code.headers["Cache-Control"] == "no-store"
    refused = await client.get("/api/v1/status")  # errors too
    assert refused.status == 401 and refused.headers["Cache-Control"] == "no-store"
    page = await client.get("/boxoffice/")  # the page's files keep their own rule
    assert page.headers["Cache-Control"] == "no-cache"


@pytest.mark.integration
async def test_concurrent_guesses_cannot_slip_past_the_count(client: Client) -> None:
    async def guess() -> int:
        resp = await client.post("/api/v1/pair", json={"code": "WXYZ-WXYZ"})
        return resp.status

    statuses = await asyncio.gather(*(guess() for _ in range(40)))
    limit = runtime_of(client).config.api.pairing_attempts_per_minute
    assert statuses.count(403) == limit and statuses.count(429) == 40 - limit
