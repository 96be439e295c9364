"""Every LAN route needs a paired token with the right role; pairing resists guessing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from edge_agent.api.auth import is_public, roles_of
from edge_agent.devices.roles import Role
from edge_agent.runtime import wall_clock_ms
from tests.helpers import pair, runtime_of

pytestmark = pytest.mark.integration


async def test_every_route_refuses_requests_without_a_token(client: TestClient[Any, Any]) -> None:
    checked = 0
    for route in client.app.router.routes():
        if route.method == "HEAD" or is_public(route.handler):
            continue
        assert roles_of(route.handler), f"{route.resource} declares no roles"
        # a concrete path for routes with parameters ({ticket_id} → x)
        path = re.sub(r"\{[^}]+\}", "x", route.resource.canonical)  # type: ignore[union-attr]
        for headers in ({}, {"Authorization": "Bearer gh_forged"}, {"Authorization": "Basic x"}):
            resp = await client.request(route.method, path, headers=headers, json={})
            assert resp.status == 401, (route.method, path, headers)
            body = await resp.json()
            assert body["error"]["code"] == "unauthorized"
            checked += 1
    assert checked >= 6


async def test_roles_are_checked_per_route(client: TestClient[Any, Any]) -> None:
    box_office = await pair(client, Role.BOX_OFFICE)
    resp = await client.post("/api/v1/scans", json={"code": "x"}, headers=box_office)
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "forbidden"
    resp = await client.get("/api/v1/status", headers=box_office)
    assert resp.status == 200
    supervisor = await pair(client, Role.SUPERVISOR)
    resp = await client.post("/api/v1/scans", json={"code": "x"}, headers=supervisor)
    assert resp.status == 200


async def test_pairing_code_is_one_time_and_token_works(client: TestClient[Any, Any]) -> None:
    rt = runtime_of(client)
    pending = rt.pairing.issue(Role.SCANNER, "handheld 1", wall_clock_ms())
    spaced = pending.code.lower().replace("-", " ")  # typed loosely on a phone
    resp = await client.post("/api/v1/pair", json={"code": spaced, "name": "Lane 2 handheld"})
    assert resp.status == 201
    doc = await resp.json()
    assert doc["role"] == "scanner" and doc["name"] == "Lane 2 handheld"
    assert doc["token"].startswith("gh_") and len(doc["token"]) > 40
    again = await client.post("/api/v1/pair", json={"code": pending.code})
    assert again.status == 403
    assert (await again.json())["error"]["code"] == "invalid_pairing_code"
    status = await client.get("/api/v1/status", headers={"Authorization": f"Bearer {doc['token']}"})
    assert status.status == 200
    # the token is stored only as its hash
    rows = rt.reader.execute("SELECT token_sha256 FROM devices").fetchall()
    assert rows and all(doc["token"] not in r[0] for r in rows)


async def test_expired_code_and_rate_limit(client: TestClient[Any, Any]) -> None:
    rt = runtime_of(client)
    old = rt.pairing.issue(Role.SCANNER, "late", wall_clock_ms() - 10 * 60_000)
    resp = await client.post("/api/v1/pair", json={"code": old.code})
    assert resp.status == 403
    limit = rt.config.api.pairing_attempts_per_minute
    for _ in range(limit - 1):  # one failure already counted above
        r = await client.post("/api/v1/pair", json={"code": "AAAA-AAAA"})
        assert r.status == 403
    good = rt.pairing.issue(Role.SCANNER, "ok", wall_clock_ms())
    blocked = await client.post("/api/v1/pair", json={"code": good.code})
    assert blocked.status == 429  # even a right code waits once the address is blocked
    assert (await blocked.json())["error"]["code"] == "too_many_attempts"


async def test_revoked_device_loses_access(client: TestClient[Any, Any]) -> None:
    headers = await pair(client, Role.SCANNER)
    rt = runtime_of(client)
    device = next(d for d in rt.devices.all() if d.active)
    rt.devices.revoke(device.device_id, wall_clock_ms())
    resp = await client.get("/api/v1/status", headers=headers)
    assert resp.status == 401


async def test_pairing_on_a_full_disk_answers_clearly(client: TestClient[Any, Any]) -> None:
    rt = runtime_of(client)
    pages = await rt.writer.execute(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    await rt.writer.execute(lambda c: c.execute(f"PRAGMA max_page_count = {pages}"))
    # fill the last free pages with pairings until the ledger refuses one
    for _ in range(200):
        pending = rt.pairing.issue(Role.SCANNER, "x" * 60, wall_clock_ms())
        resp = await client.post("/api/v1/pair", json={"code": pending.code})
        if resp.status != 201:
            break
    assert resp.status == 503
    assert (await resp.json())["error"]["code"] == "not_recorded"
    await rt.writer.execute(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
    headers = await pair(client)  # space is back: pairing works again
    assert (await client.get("/api/v1/status", headers=headers)).status == 200
