"""``GET /api/v1/boxoffice/ws``: figures on connect and after each change, the scan
socket's authentication, revocation and shutdown close the socket."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from demo.event import DemoEvent
from edge_agent.api.routes.boxoffice_ws import CLOSE_UNAUTHORIZED
from edge_agent.devices.roles import Role
from tests.helpers import pair

pytestmark = pytest.mark.integration

WS = "/api/v1/boxoffice/ws"


async def figures(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive_json(timeout=5)
    assert msg["type"] == "figures", msg
    doc: dict[str, Any] = msg["figures"]
    return doc


async def test_header_auth_pushes_the_figures_at_once_and_after_a_change(
    client: TestClient[Any, Any],
) -> None:
    till = await pair(client, Role.BOX_OFFICE)
    async with client.ws_connect(WS, headers=till) as ws:
        first = await figures(ws)
        assert first == await (await client.get("/api/v1/boxoffice", headers=till)).json()
        assert first["session"] is None
        resp = await client.post(
            "/api/v1/boxoffice/sessions",
            json={"operator": "Ana", "float_cents": 5000},
            headers=till,
        )
        assert resp.status == 201
        pushed = await figures(ws)
        assert pushed["session"]["operator"] == "Ana"
        assert pushed["session"]["float_cents"] == 5000


async def test_browsers_authenticate_with_a_first_message(client: TestClient[Any, Any]) -> None:
    supervisor = await pair(client, Role.SUPERVISOR)
    token = supervisor["Authorization"].split()[1]
    async with client.ws_connect(WS) as ws:
        await ws.send_json({"auth": token})
        assert (await ws.receive_json(timeout=5))["auth"] == "ok"
        assert (await figures(ws))["currency"]


async def test_wrong_tokens_and_roles_are_refused(client: TestClient[Any, Any]) -> None:
    scanner = await pair(client, Role.SCANNER)
    for headers in (scanner, {"Authorization": "Bearer gh_forged"}):
        resp = await client.get(WS, headers={**headers, "Upgrade": "websocket"})
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "unauthorized"
    for first in ({"auth": scanner["Authorization"].split()[1]}, {"auth": 7}, "not json"):
        async with client.ws_connect(WS) as ws:
            if isinstance(first, str):
                await ws.send_str(first)
            else:
                await ws.send_json(first)
            assert (await ws.receive_json(timeout=5))["error"]["code"] == "unauthorized"
            msg = await ws.receive(timeout=5)
            assert msg.type is WSMsgType.CLOSE
            assert ws.close_code == CLOSE_UNAUTHORIZED


async def test_an_admitted_scan_is_pushed(
    client: TestClient[Any, Any], event: DemoEvent, scanner: dict[str, str]
) -> None:
    till = await pair(client, Role.BOX_OFFICE)
    async with client.ws_connect(WS, headers=till) as ws:
        before = {t["ticket_type"]: t["scanned"] for t in (await figures(ws))["ticket_types"]}
        resp = await client.post("/api/v1/scans", json={"code": event.valid[0]}, headers=scanner)
        verdict = await resp.json()
        assert verdict["outcome"] == "admit"
        after = {t["ticket_type"]: t["scanned"] for t in (await figures(ws))["ticket_types"]}
        changed = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
        assert list(changed.values()) == [1]


async def test_a_burst_of_changes_is_coalesced_and_ends_on_the_last_state(
    client: TestClient[Any, Any],
) -> None:
    till = await pair(client, Role.BOX_OFFICE)
    async with client.ws_connect(WS, headers=till) as ws:
        await figures(ws)
        t0 = time.monotonic()
        for i in range(4):  # 8 changes within a few milliseconds
            body = {"operator": f"op{i}", "float_cents": 100 * i}
            assert (await client.post("/api/v1/boxoffice/sessions", json=body, headers=till)).ok
            close = {"counted_cents": 100 * i}
            url = "/api/v1/boxoffice/sessions/current/close"
            assert (await client.post(url, json=close, headers=till)).ok
        assert (
            await client.post(
                "/api/v1/boxoffice/sessions",
                json={"operator": "last", "float_cents": 1},
                headers=till,
            )
        ).ok
        pushes: list[dict[str, Any]] = []
        while not pushes or (pushes[-1]["session"] or {}).get("operator") != "last":
            pushes.append(await figures(ws))
        took = time.monotonic() - t0
        assert len(pushes) <= 1 + 4 * took + 1, (len(pushes), took)
        assert len(pushes) < 9


async def test_revoking_the_device_closes_its_socket(client: TestClient[Any, Any]) -> None:
    till = await pair(client, Role.BOX_OFFICE)
    supervisor = await pair(client, Role.SUPERVISOR)
    device_id = None
    async with client.ws_connect(WS) as ws:
        await ws.send_json({"auth": till["Authorization"].split()[1]})
        device_id = (await ws.receive_json(timeout=5))["device_id"]
        await figures(ws)
        resp = await client.post(f"/api/v1/devices/{device_id}/revoke", headers=supervisor)
        assert resp.status == 200
        # the next change wakes the socket, which finds its token revoked
        body = {"operator": "Sam", "float_cents": 0}
        assert (await client.post("/api/v1/boxoffice/sessions", json=body, headers=supervisor)).ok
        assert (await ws.receive_json(timeout=5))["error"]["code"] == "unauthorized"
        assert (await ws.receive(timeout=5)).type is WSMsgType.CLOSE
        assert ws.close_code == CLOSE_UNAUTHORIZED


async def test_shutdown_closes_the_sockets_at_once(client: TestClient[Any, Any]) -> None:
    till = await pair(client, Role.BOX_OFFICE)
    async with client.ws_connect(WS, headers=till) as ws:
        await figures(ws)
        t0 = time.monotonic()
        await asyncio.wait_for(client.app.shutdown(), 5)
        msg = await ws.receive(timeout=5)
        assert msg.type is WSMsgType.CLOSE
        assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY
        assert time.monotonic() - t0 < 2
