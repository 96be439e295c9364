"""Network scanners and phones: the TCP line protocol and the scan WebSocket, on loopback,
with real paired tokens, into real verdicts in the ledger."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from demo.event import DemoEvent
from edge_agent.api.app import create_app
from edge_agent.api.auth import is_public
from edge_agent.devices.roles import Role
from scanner.inputs.tcp import TcpInput
from tests.helpers import AiohttpClient, pair, runtime_of
from tests.lane_helpers import config_with, fake_output, scan_rows

pytestmark = pytest.mark.integration

LANES = """
[[lanes]]
id = "lane-1"
  [[lanes.inputs]]
  id = "tcp-1"
  type = "tcp"
  host = "127.0.0.1"
  port = 0
  auth_timeout_ms = 500
  [[lanes.inputs]]
  id = "ws-1"
  type = "websocket"
  [[lanes.outputs]]
  id = "lights-1"
  type = "fake"
[[lanes]]
id = "exit-1"
direction = "out"
  [[lanes.inputs]]
  id = "ws-2"
  type = "websocket"
  max_clients = 1
"""


@pytest.fixture
async def lane_client(aiohttp_client: AiohttpClient, event: DemoEvent) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(config_with(event, LANES)))


async def tcp_port(client: TestClient[Any, Any]) -> int:
    lane = runtime_of(client).lanes.lane("lane-1")
    assert lane is not None and isinstance(lane.inputs[0], TcpInput)
    tcp = lane.inputs[0]
    async with asyncio.timeout(5):
        await tcp.listening.wait()
    assert tcp.bound is not None and tcp.bound[0] == "127.0.0.1"
    return tcp.bound[1]


async def tcp_session(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def reply(reader: asyncio.StreamReader) -> dict[str, Any]:
    async with asyncio.timeout(5):
        line = await reader.readline()
    assert line.endswith(b"\n"), line
    doc: dict[str, Any] = json.loads(line)
    return doc


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def test_tcp_scanner_gets_a_verdict_per_line(lane_client, event: DemoEvent) -> None:
    headers = await pair(lane_client, Role.SCANNER)
    reader, writer = await tcp_session(await tcp_port(lane_client))
    writer.write(f"AUTH {token_of(headers)}\r\n".encode())
    hello = await reply(reader)
    assert hello["auth"] == "ok"
    device_id = hello["device_id"]
    writer.write(f"{event.valid[0]}\n\n{event.valid[0]}\r\n{event.forged[0]}\n".encode())
    first, again, forged = await reply(reader), await reply(reader), await reply(reader)
    assert (first["outcome"], first["reason"], first["lane"]) == ("admit", "admitted", "lane-1")
    assert again["debounced"] is True and again["scan_id"] == first["scan_id"]
    assert forged["reason"] == "bad_signature"
    # same shape as POST /api/v1/scans
    posted = await lane_client.post("/api/v1/scans", json={"code": event.valid[1]}, headers=headers)
    assert set(first) == set(await posted.json())
    writer.close()
    rows = scan_rows(runtime_of(lane_client).config)
    assert rows[:2] == [
        ("lane-1", device_id, "tcp", "in", "admit", "admitted"),
        ("lane-1", device_id, "tcp", "in", "refuse", "bad_signature"),
    ]
    assert fake_output(runtime_of(lane_client), "lane-1").signals == ["admit", "refuse"]
    health = runtime_of(lane_client).lanes.status()[0]["inputs"][0]
    assert health["connected"] is True and health["reads"] == 3


@pytest.mark.parametrize(
    "first_line", ["AUTH gh_not-a-real-token\n", "HELLO\n", "AUTH\n", "{box_office}\n"]
)
async def test_tcp_refuses_bad_tokens_and_other_roles(lane_client, first_line: str) -> None:
    if first_line == "{box_office}\n":  # a real token, but of a role that may not scan
        first_line = f"AUTH {token_of(await pair(lane_client, Role.BOX_OFFICE))}\n"
    reader, writer = await tcp_session(await tcp_port(lane_client))
    writer.write(first_line.encode() + b"GH1:ANYTHING\n")
    error = await reply(reader)
    assert error["error"]["code"] == "unauthorized"
    assert await reader.read() == b""  # closed, and the code was never judged
    writer.close()
    assert runtime_of(lane_client).writer.head_seq == 0


async def test_tcp_silent_client_and_overlong_line_are_closed(lane_client) -> None:
    reader, writer = await tcp_session(await tcp_port(lane_client))
    assert (await reply(reader))["error"]["code"] == "unauthorized"  # auth_timeout_ms
    writer.close()
    headers = await pair(lane_client, Role.SCANNER)
    reader, writer = await tcp_session(await tcp_port(lane_client))
    writer.write(f"AUTH {token_of(headers)}\n".encode() + b"X" * 10_000 + b"\n")
    assert (await reply(reader))["auth"] == "ok"
    assert (await reply(reader))["error"]["code"] == "line_too_long"
    assert await reader.read() == b""
    writer.close()


async def test_websocket_with_header_goes_through_the_lane(lane_client, event) -> None:
    headers = await pair(lane_client, Role.SCANNER)
    async with lane_client.ws_connect("/api/v1/scans/ws?lane=lane-1", headers=headers) as ws:
        await ws.send_json({"code": event.valid[0]})
        first = await ws.receive_json(timeout=5)
        await ws.send_json({"code": event.valid[0]})
        again = await ws.receive_json(timeout=5)
        await ws.send_str("not json")
        bad = await ws.receive_json(timeout=5)
        await ws.send_json({"code": event.valid[1], "colour": "red"})
        unknown = await ws.receive_json(timeout=5)
        assert runtime_of(lane_client).lanes.status()[0]["inputs"][1]["clients"] == 1
    assert (first["reason"], first["lane"]) == ("admitted", "lane-1")
    assert again["debounced"] is True and again["seq"] == first["seq"]
    assert bad["error"]["code"] == "invalid_json"
    assert unknown["error"]["code"] == "unknown_field"
    rt = runtime_of(lane_client)
    (phone,) = rt.devices.all()
    assert scan_rows(rt.config) == [
        ("lane-1", phone.device_id, "websocket", "in", "admit", "admitted")
    ]
    assert fake_output(rt, "lane-1").signals == ["admit"]


async def test_websocket_auth_message_exit_lane_and_client_limit(lane_client, event) -> None:
    token = token_of(await pair(lane_client, Role.SCANNER))
    async with lane_client.ws_connect("/api/v1/scans/ws?lane=exit-1") as ws:
        await ws.send_json({"auth": token})
        assert (await ws.receive_json(timeout=5))["auth"] == "ok"
        async with lane_client.ws_connect("/api/v1/scans/ws?lane=exit-1") as full:
            await full.send_json({"auth": token})
            await full.receive_json(timeout=5)
            assert (await full.receive_json(timeout=5))["error"]["code"] == "too_many_clients"
        await ws.send_json({"code": event.valid[2], "direction": "in"})  # the lane decides
        verdict = await ws.receive_json(timeout=5)
    assert (verdict["direction"], verdict["reason"]) == ("out", "not_inside")


async def test_websocket_refuses_bad_tokens(lane_client) -> None:
    public = {
        r.resource.canonical  # type: ignore[union-attr]
        for r in lane_client.app.router.routes()
        if is_public(r.handler)
    }
    # (the whole allow-list of public routes is tests/edge_agent/api/test_api_contract.py's)
    assert "/api/v1/scans/ws" in public  # the WebSocket checks the token itself:
    box_office = await pair(lane_client, Role.BOX_OFFICE)
    for headers in ({"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}, box_office):
        resp = await lane_client.get("/api/v1/scans/ws", headers=headers)
        assert resp.status == 401, headers
    async with lane_client.ws_connect("/api/v1/scans/ws") as ws:
        await ws.send_json({"code": "GH1:ANYTHING"})  # a code before any auth
        assert (await ws.receive_json(timeout=5))["error"]["code"] == "unauthorized"
    assert ws.close_code == 4401
    assert runtime_of(lane_client).writer.head_seq == 0  # nothing was judged
    async with lane_client.ws_connect("/api/v1/scans/ws") as ws:
        await ws.send_json({"auth": "gh_wrong"})
        assert (await ws.receive_json(timeout=5))["error"]["code"] == "unauthorized"
        closing = await ws.receive(timeout=5)
        assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 4401


async def test_websocket_without_a_lane_input_is_judged_like_post(lane_client, event) -> None:
    headers = await pair(lane_client, Role.SCANNER)
    async with lane_client.ws_connect("/api/v1/scans/ws?lane=lane-9", headers=headers) as ws:
        await ws.send_json({"code": event.valid[3], "direction": "in"})
        first = await ws.receive_json(timeout=5)
        await ws.send_json({"code": event.valid[3]})
        second = await ws.receive_json(timeout=5)
    assert first["lane"] == "lane-9" and first["reason"] == "admitted"
    assert second["reason"] == "already_admitted" and "debounced" not in second


async def test_a_device_revoked_while_connected_is_cut_off(lane_client, event) -> None:
    rt = runtime_of(lane_client)
    headers = await pair(lane_client, Role.SCANNER)
    reader, writer = await tcp_session(await tcp_port(lane_client))
    writer.write(f"AUTH {token_of(headers)}\n".encode())
    device_id = (await reply(reader))["device_id"]
    async with lane_client.ws_connect("/api/v1/scans/ws?lane=lane-1", headers=headers) as ws:
        rt.devices.revoke(device_id, 0)  # as `edge-agent devices --revoke` does
        writer.write(f"{event.valid[0]}\n".encode())
        assert (await reply(reader))["error"]["code"] == "unauthorized"
        assert await reader.read() == b""
        await ws.send_json({"code": event.valid[0]})
        assert (await ws.receive_json(timeout=5))["error"]["code"] == "unauthorized"
    assert ws.close_code == 4401
    writer.close()
    assert rt.writer.head_seq == 0
