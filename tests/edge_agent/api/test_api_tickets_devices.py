"""The box-office/supervisor routes: ticket search and history, manual overrides,
pairing codes, device list and revocation, and the status additions — on a real agent
app over loopback with a real ledger."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from demo.event import DemoEvent
from edge_agent.devices.roles import Role
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.rows import ManifestTicketRow
from edge_agent.ledger.sync_tables import upsert_manifest_tickets
from tests.helpers import pair, runtime_of

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]


async def scan(client: Client, headers: dict[str, str], code: str, direction: str = "in") -> Any:
    resp = await client.post(
        "/api/v1/scans", json={"code": code, "direction": direction}, headers=headers
    )
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def add_holders(client: Client, event: DemoEvent, scanner: dict[str, str]) -> list[str]:
    """Scan three valid tickets once (to learn their ids), then store them in the
    manifest tickets table with holders, through the writer as sync does."""
    ids = []
    for code in event.valid[:3]:
        ids.append((await scan(client, scanner, code, "out"))["ticket_id"])
    ev = event.config.event.event_id
    rows = [
        ManifestTicketRow(ids[0], ev, 0, "O-1", "Ada Lovelace", "ada@example.org"),
        ManifestTicketRow(ids[1], ev, 0, "O-1", "Adam Smith", "adam@example.org"),
        ManifestTicketRow(ids[2], ev, 0, "O-2", "Bob Stone", "bob@example.org"),
    ]
    await runtime_of(client).writer.execute(lambda c: upsert_manifest_tickets(c, rows))
    return ids


async def test_search_by_name_email_order_and_id(
    client: Client, event: DemoEvent, scanner: dict[str, str]
) -> None:
    ids = await add_holders(client, event, scanner)
    box = await pair(client, Role.BOX_OFFICE, "Counter iPad")

    async def search(q: str) -> list[str]:
        resp = await client.get("/api/v1/tickets", params={"q": q}, headers=box)
        assert resp.status == 200, await resp.text()
        return [t["holder_name"] for t in (await resp.json())["tickets"]]

    assert await search("ada") == ["Ada Lovelace", "Adam Smith"]  # name prefix, any case
    assert await search("ADA@example.org") == ["Ada Lovelace"]  # e-mail, any case
    assert await search("O-1") == ["Ada Lovelace", "Adam Smith"]  # order id
    assert await search(ids[2].upper()) == ["Bob Stone"]  # ticket id
    assert await search("nobody") == []
    resp = await client.get("/api/v1/tickets", params={"q": "ada"}, headers=box)
    first = (await resp.json())["tickets"][0]
    assert first["ticket_id"] == ids[0]
    assert first["revoked"] is None
    assert first["admission"] is None  # only exit scans so far (refused: not inside)
    resp = await client.get("/api/v1/tickets", params={"q": "  "}, headers=box)
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "invalid_request"


async def test_ticket_routes_need_box_office_or_supervisor(
    client: Client, scanner: dict[str, str]
) -> None:
    resp = await client.get("/api/v1/tickets", params={"q": "ada"}, headers=scanner)
    assert resp.status == 403
    box = await pair(client, Role.BOX_OFFICE)
    resp = await client.post(
        "/api/v1/tickets/ab/override", json={"direction": "in", "reason": "x"}, headers=box
    )
    assert resp.status == 403  # overrides: supervisor only
    for path in ("/api/v1/devices", "/api/v1/pairing-codes"):
        resp = await client.get(path, headers=box)
        assert resp.status in (403, 405)
    resp = await client.get("/api/v1/devices", headers=box)
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "forbidden"


async def test_override_is_recorded_with_operator_and_seen_by_the_next_scan(
    client: Client, event: DemoEvent, scanner: dict[str, str]
) -> None:
    ids = await add_holders(client, event, scanner)
    sup = await pair(client, Role.SUPERVISOR, "Sam the supervisor")
    url = f"/api/v1/tickets/{ids[0]}/override"
    # check-out of a ticket that is not inside: refused, nothing recorded
    head = runtime_of(client).writer.head_seq
    resp = await client.post(url, json={"direction": "out", "reason": "left"}, headers=sup)
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "not_inside"
    assert runtime_of(client).writer.head_seq == head

    resp = await client.post(url, json={"direction": "in", "reason": "phone died"}, headers=sup)
    assert resp.status == 201, await resp.text()
    verdict = await resp.json()
    assert (verdict["outcome"], verdict["reason"]) == ("admit", "manual_override")
    assert verdict["override_operator"] == "Sam the supervisor"
    assert verdict["seq"] == head + 1
    # the next scan of that ticket sees the override
    again = await scan(client, scanner, event.valid[0])
    assert (again["outcome"], again["reason"]) == ("refuse", "already_admitted")
    # and its history shows both, with operator and reason from the ledger row
    resp = await client.get(f"/api/v1/tickets/{ids[0]}", headers=sup)
    doc = await resp.json()
    assert doc["admission"]["inside"] is True
    assert doc["ticket"]["holder_name"] == "Ada Lovelace"
    last_two = [(s["outcome"], s["reason"], s["override_operator"]) for s in doc["scans"][-2:]]
    assert last_two == [
        ("admit", "manual_override", "Sam the supervisor"),
        ("refuse", "already_admitted", None),
    ]
    assert doc["scans"][-2]["override_reason"] == "phone died"
    assert doc["scans"][-2]["credential_kind"] == "manual"
    # check-out by override; then an exit scan is refused as not inside
    resp = await client.post(url, json={"direction": "out", "reason": "left early"}, headers=sup)
    assert resp.status == 201
    out = await scan(client, scanner, event.valid[0], "out")
    assert out["reason"] == "not_inside"
    # the chain still verifies with the override rows in it
    report = check_ledger(event.config.ledger_path, event.config.agent.agent_id)
    assert report.ok, report.summary()


async def test_override_refuses_unknown_tickets_and_bad_bodies(
    client: Client, scanner: dict[str, str]
) -> None:
    sup = await pair(client, Role.SUPERVISOR)
    unknown = "0" * 32
    resp = await client.post(
        f"/api/v1/tickets/{unknown}/override", json={"direction": "in", "reason": "x"}, headers=sup
    )
    assert resp.status == 404
    body = await resp.json()
    assert body["error"]["code"] == "unknown_ticket"
    assert unknown in body["error"]["message"]
    resp = await client.get(f"/api/v1/tickets/{unknown}", headers=sup)
    assert resp.status == 404
    for bad in (
        {"direction": "in"},
        {"direction": "in", "reason": "   "},
        {"direction": "sideways", "reason": "x"},
        {"direction": "in", "reason": "x", "operator": "me"},
        {"direction": "in", "reason": "bell\x07"},
    ):
        resp = await client.post(f"/api/v1/tickets/{unknown}/override", json=bad, headers=sup)
        assert resp.status == 422, bad
        assert (await resp.json())["error"]["code"] in ("invalid_request", "unknown_field")


async def test_pairing_codes_devices_and_revocation_over_the_lan(
    client: Client, scanner: dict[str, str]
) -> None:
    sup = await pair(client, Role.SUPERVISOR, "Sam")
    resp = await client.post(
        "/api/v1/pairing-codes", json={"role": "scanner", "name": "Lane 2"}, headers=sup
    )
    assert resp.status == 201
    code = await resp.json()
    assert code["role"] == "scanner"
    resp = await client.post("/api/v1/pair", json={"code": code["code"]})
    assert resp.status == 201
    new = await resp.json()
    assert new["name"] == "Lane 2"
    resp = await client.post("/api/v1/pairing-codes", json={"role": "boss"}, headers=sup)
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "invalid_role"

    resp = await client.get("/api/v1/devices", headers=sup)
    devices = {d["name"]: d for d in (await resp.json())["devices"]}
    assert {"Sam", "Lane 2", "t"} <= set(devices)
    assert devices["Lane 2"]["revoked_at"] is None

    lane2 = {"Authorization": f"Bearer {new['token']}"}
    resp = await client.post(f"/api/v1/devices/{new['device_id']}/revoke", headers=sup)
    assert resp.status == 200
    resp = await client.get("/api/v1/status", headers=lane2)
    assert resp.status == 401  # revoked at once
    resp = await client.post(f"/api/v1/devices/{devices['Sam']['device_id']}/revoke", headers=sup)
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "own_device"
    resp = await client.post("/api/v1/devices/nope/revoke", headers=sup)
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "unknown_device"


async def test_status_has_rate_lanes_devices_and_disk(
    client: Client, event: DemoEvent, scanner: dict[str, str]
) -> None:
    await scan(client, scanner, event.valid[0])
    await scan(client, scanner, event.valid[0])
    resp = await client.get("/api/v1/status", headers=scanner)
    doc = await resp.json()
    scans = doc["scans"]
    assert scans["last_minute"] == 2
    lane = event.config.gate.default_lane
    assert scans["by_lane"][lane] == {"admit": 1, "refuse": 1}
    assert scans["by_device"] == [
        {"device_id": scans["recent"][0]["device_id"], "name": "t",
         "by_outcome": {"admit": 1, "refuse": 1}}
    ]  # fmt: skip
    assert scans["recent"][0]["direction"] == "in"
    assert doc["disk"]["data_dir_free_bytes"] > 0
    assert doc["disk"]["data_dir_total_bytes"] >= doc["disk"]["data_dir_free_bytes"]


async def test_conflicts_need_a_supervisor_and_sync(client: Client) -> None:
    box = await pair(client, Role.BOX_OFFICE)
    resp = await client.get("/api/v1/sync/conflicts", headers=box)
    assert resp.status == 403
    sup = await pair(client, Role.SUPERVISOR)
    resp = await client.get("/api/v1/sync/conflicts", headers=sup)
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "sync_disabled"
