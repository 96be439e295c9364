"""Card numbers are refused on every route, before anything reads, logs or stores them.

Real agent on loopback, real ledger file: the proof that a refused body is not stored is
the ledger's bytes on disk (database and WAL), with a control that the same text minus
the Luhn digit *is* stored, so the byte check can see text when it is there.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from demo.event import DemoEvent
from edge_agent.api.app import create_control_app
from edge_agent.api.card_guard import CODE
from edge_agent.cli.manifest_cmd import import_manifest
from edge_agent.devices.roles import Role
from edge_agent.domain.card_numbers import holds_card_number, luhn_ok
from edge_agent.domain.ticket_codec import parse_gh1
from edge_agent.platform_link.manifest_file import parse_manifest
from edge_agent.runtime import wall_clock_ms
from tests.helpers import AiohttpClient, pair, runtime_of

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]
CARD = "4111 1111 1111 1111"
NOT_A_CARD = "4111 1111 1111 1112"  # fails Luhn


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


#: Numeric ticket barcodes (a partner's 16 digits, an EAN-13) that happen to pass Luhn,
#: as one random numeric code in ten does: card-shaped, but tickets.
NUMERIC_CODES = [_with_check_digit("802145551234567"), _with_check_digit("400638133393")]


@pytest.fixture
async def event(event: DemoEvent) -> DemoEvent:
    """The demo event, plus the numeric codes imported as plain codes (the manifest file
    route: ``edge-agent manifest``), before the agent starts."""
    rows = [
        {"code": c, "ticket_id": f"NUM-{i}", "ticket_type": 0} for i, c in enumerate(NUMERIC_CODES)
    ]
    doc = {"event_id": event.config.event.event_id, "plain_codes": rows}
    await import_manifest(event.config, parse_manifest(doc, "numeric codes", wall_clock_ms()))
    return event


def ledger_bytes(event: DemoEvent) -> bytes:
    path = event.config.ledger_path
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def ticket_id(code: str) -> str:
    return parse_gh1(code).body.ticket_id_hex


def agent_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Everything logged but the test server's access log: the agent runs its server with
    ``access_log=None`` (``cli/run_cmd.py``), so request lines are never logged there."""
    return [r for r in caplog.records if r.name != "aiohttp.access"]


async def assert_refused(resp: Any) -> None:
    assert resp.status == 422, await resp.text()
    body = await resp.json()
    assert body["error"]["code"] == CODE
    assert "card number" in body["error"]["message"]
    assert not any(ch.isdigit() for ch in body["error"]["message"].replace("4 digits", ""))


async def test_card_numbers_are_refused_on_every_kind_of_route(
    client: Client, event: DemoEvent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sup = await pair(client, Role.SUPERVISOR)
    tid = ticket_id(event.valid[0])
    attempts: list[tuple[str, str, Any, dict[str, str]]] = [
        ("POST", "/api/v1/scans", {"code": "x", "device_kind": CARD}, sup),
        ("POST", "/api/v1/scans", {"code": "x", "lane": "4111111111111111"}, sup),
        ("POST", "/api/v1/scans", {"code": "x", "4111-1111-1111-1111": 1}, sup),
        ("POST", "/api/v1/scans", {"code": 4111111111111111}, sup),
        ("POST", "/api/v1/pair", {"code": "AAAA-AAAA", "name": f"card {CARD}"}, {}),
        ("POST", "/api/v1/pairing-codes", {"role": "scanner", "name": CARD}, sup),
        ("POST", f"/api/v1/tickets/{tid}/override", {"direction": "in", "reason": CARD}, sup),
        ("GET", "/api/v1/tickets?q=4111111111111111", None, sup),
        ("GET", "/api/v1/tickets/4111111111111111", None, sup),
    ]
    for method, path, body, headers in attempts:
        data = None if body is None else json.dumps(body)
        resp = await client.request(
            method, path, data=data, headers={**headers, "Content-Type": "application/json"}
        )
        await assert_refused(resp)
    # a body that is not JSON at all is checked as text
    resp = await client.post("/api/v1/scans", data=f"card={CARD}", headers=sup)
    await assert_refused(resp)
    # nothing was stored or logged, and the agent keeps answering
    for text in (CARD, CARD.replace(" ", ""), "4111-1111-1111-1111"):
        assert text.encode() not in ledger_bytes(event)
        for record in agent_records(caplog):
            seen = repr((record.getMessage(), record.args, vars(record)))
            assert text not in seen, record
    ok = await client.post("/api/v1/scans", json={"code": event.valid[1]}, headers=sup)
    assert ok.status == 200 and (await ok.json())["outcome"] == "admit"


async def test_a_refused_reason_never_reaches_the_ledger_file(
    client: Client, event: DemoEvent
) -> None:
    sup = await pair(client, Role.SUPERVISOR, "Sam")
    admitted = await client.post("/api/v1/scans", json={"code": event.valid[0]}, headers=sup)
    assert (await admitted.json())["outcome"] == "admit"
    path = f"/api/v1/tickets/{ticket_id(event.valid[0])}/override"
    resp = await client.post(path, json={"direction": "out", "reason": f"paid {CARD}"}, headers=sup)
    await assert_refused(resp)
    # control: a reason that is not a card number is stored as typed (so the check can see)
    resp = await client.post(
        path, json={"direction": "out", "reason": f"paid {NOT_A_CARD}"}, headers=sup
    )
    assert resp.status == 201, await resp.text()
    await runtime_of(client).writer.execute(lambda conn: None)  # flushed through the writer
    stored = ledger_bytes(event)
    assert NOT_A_CARD.encode() in stored
    assert CARD.encode() not in stored


async def test_ticket_codes_and_ids_pass(client: Client, event: DemoEvent) -> None:
    sup = await pair(client, Role.SUPERVISOR)
    for code in event.valid[:10] + event.plain[:3]:
        resp = await client.post("/api/v1/scans", json={"code": code + "\r\n"}, headers=sup)
        assert resp.status == 200, await resp.text()
    for code in event.valid[:5]:
        resp = await client.get(f"/api/v1/tickets/{ticket_id(code)}", headers=sup)
        assert resp.status == 200
        resp = await client.get("/api/v1/tickets", params={"q": ticket_id(code)}, headers=sup)
        assert resp.status == 200


async def test_numeric_ticket_codes_that_pass_luhn_are_admitted_never_stored_or_logged(
    client: Client, event: DemoEvent, caplog: pytest.LogCaptureFixture
) -> None:
    """A scanned ``code`` is exempt (its route declares it: ``scanned_code_fields``), on
    POST and on the WebSocket; the other fields of the same body are not."""
    caplog.set_level(logging.DEBUG)
    assert all(holds_card_number({"x": c}) for c in NUMERIC_CODES)  # card-shaped indeed
    posted, streamed = NUMERIC_CODES
    scanner = await pair(client, Role.SCANNER)
    resp = await client.post("/api/v1/scans", json={"code": posted}, headers=scanner)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["outcome"] == "admit"
    again = await client.post(
        "/api/v1/scans", json={"code": posted, "device_kind": CARD}, headers=scanner
    )
    await assert_refused(again)  # the code is fine, a card number beside it is not
    async with client.ws_connect("/api/v1/scans/ws", headers=scanner) as ws:
        await ws.send_json({"code": streamed, "lane": CARD.replace(" ", "")})
        assert (await ws.receive_json(timeout=5))["error"]["code"] == CODE
        await ws.send_json({"code": streamed + "\r\n"})  # as a scanner sends it
        verdict = await ws.receive_json(timeout=5)
        assert verdict["outcome"] == "admit", verdict
    await runtime_of(client).writer.execute(lambda conn: None)  # flushed through the writer
    stored = ledger_bytes(event)
    assert stored.count(b"NUM-0") >= 2  # control: the admission is there, by ticket id
    for code in NUMERIC_CODES:
        assert code.encode() not in stored
        assert hashlib.sha256(code.encode()).hexdigest().encode() in stored  # as its hash
        for record in agent_records(caplog):
            assert code not in repr((record.getMessage(), record.args, vars(record))), record


async def test_the_scan_websocket_refuses_card_numbers_per_message(
    client: Client, event: DemoEvent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scanner = await pair(client, Role.SCANNER)
    async with client.ws_connect("/api/v1/scans/ws", headers=scanner) as ws:
        await ws.send_str(json.dumps({"code": "x", "device_kind": CARD}))
        refused = await ws.receive_json(timeout=5)
        assert refused["error"]["code"] == CODE
        await ws.send_str(json.dumps({"code": 4111111111111111}))  # a code is text
        assert (await ws.receive_json(timeout=5))["error"]["code"] == CODE
        await ws.send_str(f"not json {CARD}")
        assert (await ws.receive_json(timeout=5))["error"]["code"] == CODE
        await ws.send_str(json.dumps({"code": event.valid[2]}))
        verdict = await ws.receive_json(timeout=5)
        assert verdict["outcome"] == "admit"  # the socket stays open and judges
        await ws.close()
        assert ws.closed
    assert not any(CARD in repr(vars(r)) for r in agent_records(caplog))


async def test_the_control_socket_app_refuses_them_too(
    client: Client, aiohttp_client: AiohttpClient
) -> None:
    control = await aiohttp_client(create_control_app(client.app))
    resp = await control.post("/control/pairing-codes", json={"role": "scanner", "name": CARD})
    await assert_refused(resp)
    resp = await control.post("/control/pairing-codes", json={"role": "scanner", "name": "ok"})
    assert resp.status == 201
