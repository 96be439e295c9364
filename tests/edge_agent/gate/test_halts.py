"""A supervisor's halt of admissions (issue 17): entries refused as ``gate_halted`` and
recorded, exits still possible, an alarm in status, and the halt still in force after a
restart until resumed."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from demo.event import DemoEvent
from edge_agent.api.app import create_app
from edge_agent.devices.roles import Role
from edge_agent.ledger.connection import open_read_connection
from tests.helpers import AiohttpClient, pair

pytestmark = pytest.mark.integration


async def scan(client: TestClient[Any, Any], headers: dict[str, str], code: str,
               direction: str = "in") -> dict[str, Any]:  # fmt: skip
    r = await client.post(
        "/api/v1/scans", json={"code": code, "direction": direction}, headers=headers
    )
    assert r.status == 200, await r.text()
    doc: dict[str, Any] = await r.json()
    return doc


async def test_a_halt_refuses_entries_keeps_exits_and_survives_a_restart(
    aiohttp_client: AiohttpClient, event: DemoEvent
) -> None:
    client = await aiohttp_client(create_app(event.config))
    scanner = await pair(client, Role.SCANNER, "Lane 1")
    sup = await pair(client, Role.SUPERVISOR, "Sam")
    inside, waiting = event.valid[0], event.valid[1]
    assert (await scan(client, scanner, inside))["reason"] == "admitted"

    r = await client.post("/api/v1/gate/halt", json={"reason": "crush at door 2"}, headers=scanner)
    assert r.status == 403  # only a supervisor stops the gate
    r = await client.post("/api/v1/gate/halt", json={"reason": ""}, headers=sup)
    assert r.status == 422 and "reason" in (await r.json())["error"]["message"]
    r = await client.post("/api/v1/gate/halt", json={"reason": "crush at door 2"}, headers=sup)
    assert r.status == 200
    halt = (await r.json())["halt"]
    assert halt["operator"] == "Sam" and halt["reason"] == "crush at door 2"

    refused = await scan(client, scanner, waiting)
    assert (refused["outcome"], refused["reason"]) == ("refuse", "gate_halted")
    assert refused["seq"] is not None  # recorded, like every verdict
    assert (await scan(client, scanner, inside, "out"))["reason"] == "exited"
    status = await (await client.get("/api/v1/status", headers=sup)).json()
    assert status["gate"]["halt"]["reason"] == "crush at door 2"
    assert [a["code"] for a in status["alarms"]] == ["admissions_halted"]
    await client.close()

    # a restart (a crash, a power cut, an upgrade) does not lift it
    client = await aiohttp_client(create_app(event.config))
    scanner = await pair(client, Role.SCANNER, "Lane 1")
    sup = await pair(client, Role.SUPERVISOR, "Sam")
    assert (await scan(client, scanner, waiting))["reason"] == "gate_halted"
    r = await client.post("/api/v1/gate/resume", json={"reason": "door 2 clear"}, headers=sup)
    assert (await r.json()) == {"halted": False, "halt": None}
    assert (await scan(client, scanner, waiting))["reason"] == "admitted"
    status = await (await client.get("/api/v1/status", headers=sup)).json()
    assert status["alarms"] == [] and status["gate"]["halt"] is None
    await client.close()

    conn = open_read_connection(event.config.ledger_path)
    rows = conn.execute("SELECT action, operator, reason FROM admission_halts").fetchall()
    conn.close()
    assert rows == [("halt", "Sam", "crush at door 2"), ("resume", "Sam", "door 2 clear")]
