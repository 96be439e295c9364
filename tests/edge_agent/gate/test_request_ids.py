"""A retried scan or override with the same request_id gets its first verdict back:
over POST, the scan WebSocket (with and without a lane) and TCP, in flight and after a
restart; never ``already_admitted`` for the person just let in."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from demo.event import DemoEvent
from edge_agent.api.app import create_app
from edge_agent.devices.roles import Role
from edge_agent.domain.ticket_codec import parse_gh1
from edge_agent.ledger.request_ids import prune_requests
from edge_agent.runtime import wall_clock_ms
from tests.helpers import AiohttpClient, pair, runtime_of
from tests.lane_helpers import config_with
from tests.scanner.test_lane_network import LANES, reply, tcp_port, tcp_session, token_of

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]


def rows(client: Client) -> list[tuple[Any, ...]]:
    with sqlite3.connect(runtime_of(client).config.ledger_path) as db:
        return db.execute("SELECT seq, scan_id, outcome, reason FROM scans").fetchall()


async def post(client: Client, headers: dict[str, str], **body: Any) -> tuple[int, Any]:
    resp = await client.post("/api/v1/scans", json=body, headers=headers)
    return resp.status, await resp.json()


async def test_a_retry_gets_the_first_verdict_and_records_nothing(
    client: Client, scanner: dict[str, str], event: DemoEvent
) -> None:
    code = event.valid[0]
    status, first = await post(client, scanner, code=code, request_id="hh-7:000042")
    assert status == 200 and first["outcome"] == "admit" and "replayed" not in first
    status, again = await post(client, scanner, code=code, request_id="hh-7:000042")
    assert status == 200 and again.pop("replayed") is True
    assert again == first  # same scan_id, seq, verdict: the person just let in stays in
    assert len(rows(client)) == 1
    status, fresh = await post(client, scanner, code=code)  # a new scan of that ticket
    assert fresh["reason"] == "already_admitted"
    assert runtime_of(client).pipeline.requests is not None
    assert runtime_of(client).pipeline.requests.replayed == 1


async def test_the_same_id_with_another_body_is_a_conflict(
    client: Client, scanner: dict[str, str], event: DemoEvent
) -> None:
    await post(client, scanner, code=event.valid[0], request_id="r1")
    for changed in (
        {"code": event.valid[1]},
        {"code": event.valid[0], "direction": "out"},
        {"code": event.valid[0], "lane": "lane-9"},
    ):
        status, body = await post(client, scanner, request_id="r1", **changed)
        assert status == 409 and body["error"]["code"] == "request_reused"
    assert len(rows(client)) == 1  # nothing judged for the conflicts


async def test_ids_are_per_device(client: Client, scanner: dict[str, str], event) -> None:
    other = await pair(client, Role.SCANNER, "second handheld")
    _, a = await post(client, scanner, code=event.valid[0], request_id="1")
    _, b = await post(client, other, code=event.valid[1], request_id="1")
    assert a["scan_id"] != b["scan_id"] and b["outcome"] == "admit"


async def test_concurrent_retries_wait_for_the_first_answer(
    client: Client, scanner: dict[str, str], event: DemoEvent
) -> None:
    answers = await asyncio.gather(
        *(post(client, scanner, code=event.valid[2], request_id="burst") for _ in range(8))
    )
    assert {(s, a["seq"], a["outcome"]) for s, a in answers} == {(200, 1, "admit")}
    assert sum(1 for _, a in answers if a.get("replayed")) == 7
    assert len(rows(client)) == 1


async def test_the_first_answer_survives_a_restart(
    aiohttp_client: AiohttpClient, event: DemoEvent
) -> None:
    first_client = await aiohttp_client(create_app(event.config))
    headers = await pair(first_client, Role.SCANNER)
    _, first = await post(first_client, headers, code=event.valid[3], request_id="before-crash")
    await first_client.close()  # the agent stops; the data dir is released
    second = await aiohttp_client(create_app(event.config))
    _, again = await post(second, headers, code=event.valid[3], request_id="before-crash")
    assert again.pop("replayed") is True and again == first
    assert len(rows(second)) == 1
    status, _ = await post(second, headers, code=event.valid[4], request_id="before-crash")
    assert status == 409


async def test_the_request_id_stays_out_of_the_chained_row(
    client: Client, scanner: dict[str, str], event: DemoEvent
) -> None:
    rid = "very-distinctive-request-id-0001"
    await post(client, scanner, code=event.valid[0], request_id=rid)
    path = runtime_of(client).config.ledger_path
    with sqlite3.connect(path) as db:
        [row] = db.execute("SELECT * FROM scans").fetchall()
        stored = db.execute("SELECT device_id, request_id, seq FROM scan_requests").fetchall()
    assert rid not in json.dumps(row) and stored[0][1:] == (rid, 1)


async def test_pruned_ids_are_judged_afresh(
    client: Client, scanner: dict[str, str], event: DemoEvent
) -> None:
    rt = runtime_of(client)
    await post(client, scanner, code=event.valid[0], request_id="old")
    gone = await rt.writer.execute(lambda c: prune_requests(c, wall_clock_ms() + 1))
    assert gone == 1
    _, late = await post(client, scanner, code=event.valid[0], request_id="old")
    assert late["reason"] == "already_admitted"  # past the window: a new scan


@pytest.mark.parametrize("rid", ["", "x" * 65, "tab\there", "nul\x00"])
async def test_request_ids_are_short_printable_text(client: Client, scanner, rid: str) -> None:
    status, body = await post(client, scanner, code="x", request_id=rid)
    assert status == 422 and "request_id" in body["error"]["message"]


async def test_an_override_retry_gets_its_first_answer(client: Client, event: DemoEvent) -> None:
    supervisor = await pair(client, Role.SUPERVISOR)
    await post(client, supervisor, code=event.valid[5])  # the ledger knows the ticket now
    ticket = parse_gh1(event.valid[5]).body.ticket_id_hex
    path = f"/api/v1/tickets/{ticket}/override"
    body = {"direction": "out", "reason": "left to fetch a coat", "request_id": "ov-1"}
    first = await client.post(path, json=body, headers=supervisor)
    assert first.status == 201
    again = await client.post(path, json=body, headers=supervisor)
    assert again.status == 200
    doc = await again.json()
    assert doc.pop("replayed") is True and doc == await first.json()
    changed = await client.post(path, json={**body, "reason": "other"}, headers=supervisor)
    assert changed.status == 409 and (await changed.json())["error"]["code"] == "request_reused"
    assert len(rows(client)) == 2  # the scan and one override


@pytest.fixture
async def lane_client(aiohttp_client: AiohttpClient, event: DemoEvent) -> Client:
    return await aiohttp_client(create_app(config_with(event, LANES)))


async def test_websocket_messages_carry_request_ids(lane_client: Client, event) -> None:
    headers = await pair(lane_client, Role.SCANNER)
    for lane in ("lane-1", None):  # through a lane's websocket input, and like a POST
        query = f"?lane={lane}" if lane else "?lane=none"
        code = event.valid[0] if lane else event.valid[1]
        async with lane_client.ws_connect(f"/api/v1/scans/ws{query}", headers=headers) as ws:
            await ws.send_json({"code": code, "request_id": f"ws-{lane}"})
            first = await ws.receive_json()
            await asyncio.sleep(1.6 if lane else 0)  # past the lane's debounce window
            await ws.send_json({"code": code, "request_id": f"ws-{lane}"})
            again = await ws.receive_json()
            await ws.send_json({"code": event.valid[2], "request_id": f"ws-{lane}"})
            conflict = await ws.receive_json()
        assert first["outcome"] == "admit" and again.pop("replayed") is True
        assert again == first
        assert conflict["error"]["code"] == "request_reused"
    assert len(rows(lane_client)) == 2


async def test_tcp_scanners_send_ids_in_ids_mode(lane_client: Client, event) -> None:
    headers = await pair(lane_client, Role.SCANNER)
    reader, writer = await tcp_session(await tcp_port(lane_client))
    writer.write(f"AUTH {token_of(headers)} ids\n".encode())
    assert (await reply(reader))["auth"] == "ok"
    writer.write(f"t-1 {event.valid[0]}\n".encode())
    first = await reply(reader)
    await asyncio.sleep(1.6)  # past the lane's debounce: only the id can recognise it
    writer.write(f"t-1 {event.valid[0]}\nt-1 {event.valid[1]}\nno-code-here\n".encode())
    again, conflict, malformed = await reply(reader), await reply(reader), await reply(reader)
    writer.close()
    assert first["outcome"] == "admit" and again.pop("replayed") is True and again == first
    assert conflict["error"]["code"] == "request_reused"
    assert malformed["error"]["code"] == "invalid_request"
    assert len(rows(lane_client)) == 1


async def test_a_scan_that_was_not_recorded_is_judged_again(
    client: Client, scanner: dict[str, str], event: DemoEvent
) -> None:
    rt = runtime_of(client)
    pages = await rt.writer.execute(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    await rt.writer.execute(lambda c: c.execute(f"PRAGMA max_page_count = {pages}"))
    for i, code in enumerate(event.valid[:60]):  # until the full ledger refuses one
        status, body = await post(client, scanner, code=code, request_id=f"full-{i}")
        if status != 200:
            break
    assert status == 503 and body["error"]["code"] == "not_recorded"
    with sqlite3.connect(rt.config.ledger_path) as db:  # neither the row nor its id
        ids = {r[0] for r in db.execute("SELECT request_id FROM scan_requests")}
    assert f"full-{i}" not in ids and len(ids) == len(rows(client))
    await rt.writer.execute(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
    status, retried = await post(client, scanner, code=code, request_id=f"full-{i}")
    assert status == 200 and retried["outcome"] == "admit" and "replayed" not in retried
