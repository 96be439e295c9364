"""POST /api/v1/scans end to end: real app, real ledger file, real signed codes."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from demo.event import DemoEvent
from edge_agent.api.app import create_app
from edge_agent.ledger.health import check_ledger
from tests.helpers import AiohttpClient, pair, runtime_of

pytestmark = pytest.mark.integration


async def scan(
    client: TestClient[Any, Any], headers: dict[str, str], code: str, **extra: str
) -> dict[str, Any]:
    resp = await client.post("/api/v1/scans", json={"code": code, **extra}, headers=headers)
    assert resp.status == 200, await resp.text()
    doc: dict[str, Any] = await resp.json()
    return doc


async def test_each_kind_of_scan_gets_its_verdict(client, scanner, event: DemoEvent) -> None:
    v = await scan(client, scanner, event.valid[0], lane="lane-2")
    assert (v["outcome"], v["reason"], v["gate"], v["lane"]) == (
        "admit",
        "admitted",
        "gate-3",
        "lane-2",
    )
    assert v["recorded"] is True and v["seq"] == 1
    again = await scan(client, scanner, event.valid[0])
    assert again["reason"] == "already_admitted"
    assert again["first_admitted"]["gate"] == "Gate 3"
    assert again["message"].startswith("Already used ") and again["message"].endswith("at Gate 3")
    expectations = {
        event.forged[0]: "bad_signature",
        event.wrong_event[0]: "wrong_event",
        event.foreign[0]: "unknown_key",  # signed by a key the keyring does not hold
        event.expired[0]: "expired",
        event.backstage[0]: "not_allowed_at_gate",
        event.plain[0]: "admitted",
        "4006381333931": "unknown_code",
        "GH1:nope": "malformed",
        "\x00\x01\x02": "malformed",
        "\ud800": "malformed",
    }
    for code, kind in event.revoked.items():
        expectations[code] = kind.value
    for code, reason in expectations.items():
        assert (await scan(client, scanner, code))["reason"] == reason, repr(code[:20])


async def test_exit_and_reentry(client, scanner, event: DemoEvent) -> None:
    code = event.valid[1]
    assert (await scan(client, scanner, code, direction="out"))["reason"] == "not_inside"
    assert (await scan(client, scanner, code))["reason"] == "admitted"
    assert (await scan(client, scanner, code, direction="out"))["outcome"] == "exit"
    assert (await scan(client, scanner, code))["reason"] == "readmitted"  # demo policy allows


async def test_verdict_is_in_the_ledger_file_when_answered(
    client, scanner, event: DemoEvent
) -> None:
    seen = []
    for code in event.valid[:5]:
        v = await scan(client, scanner, code)
        # a separate connection on the file: the row is committed before the answer
        with sqlite3.connect(event.config.ledger_path) as db:
            row = db.execute(
                "SELECT scan_id, outcome, reason FROM scans WHERE seq = ?", (v["seq"],)
            ).fetchone()
        assert row == (v["scan_id"], "admit", "admitted")
        seen.append(v["seq"])
    assert seen == sorted(seen) and len(set(seen)) == 5
    with sqlite3.connect(event.config.ledger_path) as db:
        stored = db.execute("SELECT code_sha256 FROM scans").fetchall()
    assert all(event.valid[0] not in r[0] for r in stored)  # only hashes are kept


async def test_concurrent_scans_of_one_ticket_admit_exactly_once(client, scanner, event) -> None:
    import asyncio

    code = event.valid[2]
    results = await asyncio.gather(*(scan(client, scanner, code) for _ in range(30)))
    reasons = sorted(r["reason"] for r in results)
    assert reasons.count("admitted") == 1 and reasons.count("already_admitted") == 29


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"not json", {"Content-Type": "application/json"}, 400, "invalid_json"),
        (b"\xff\xfe", {"Content-Type": "application/json"}, 400, "invalid_json"),
        (b"[1, 2]", {"Content-Type": "application/json"}, 422, "invalid_request"),
        (b'{"lane": "x"}', {"Content-Type": "application/json"}, 422, "invalid_request"),
        (b'{"code": 5}', {"Content-Type": "application/json"}, 422, "invalid_request"),
        (b'{"code": "x", "pan": "1"}', {"Content-Type": "application/json"}, 422, "unknown_field"),
        (
            b'{"code": "x", "direction": "up"}',
            {"Content-Type": "application/json"},
            422,
            "invalid_request",
        ),
        (
            b"[" * 50_000 + b"]" * 50_000,
            {"Content-Type": "application/json"},
            413,
            "body_too_large",
        ),
        (b"[" * 20_000 + b"]" * 20_000, {"Content-Type": "application/json"}, 400, "invalid_json"),
        (
            b'{"code": "' + b"A" * 5000 + b'"}',
            {"Content-Type": "application/json"},
            422,
            "invalid_request",
        ),
        (b"x" * 70_000, {"Content-Type": "application/json"}, 413, "body_too_large"),
        (b"<html>", {"Content-Type": "text/html"}, 415, "unsupported_media_type"),
        (
            b'{"code": "x", "lane": "\\ud800"}',
            {"Content-Type": "application/json"},
            422,
            "invalid_request",
        ),
        (
            b'{"code": "x", "device_kind": "a\\u0000b"}',
            {"Content-Type": "application/json"},
            422,
            "invalid_request",
        ),
        (b'"\\ud800"', {"Content-Type": "application/json"}, 422, "invalid_request"),
        (b'{"\\ud800": 1}', {"Content-Type": "application/json"}, 422, "unknown_field"),
    ],
)
async def test_hostile_bodies_get_clear_errors(
    client, scanner, body, headers, status, code
) -> None:
    resp = await client.post("/api/v1/scans", data=body, headers={**scanner, **headers})
    assert resp.status == status
    assert (await resp.json())["error"]["code"] == code
    ok = await client.post("/api/v1/scans", json={"code": "still-alive"}, headers=scanner)
    assert ok.status == 200  # the agent keeps answering


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # a required enum: null is not "absent" (it was taken as the default, "in")
        (b'{"code": "x", "direction": null}', "field 'direction' must be one of: 'in', 'out'"),
        # past Python's 4,300-digit int limit (json.loads raised ValueError: a 500)
        (b'{"code": "x", "lane": ' + b"7" * 4301 + b"}", "field 'lane' must be a string"),
        (b'{"code": ' + b"7" * 5000 + b"}", "field 'code' must be a string"),
    ],
    ids=["null-direction", "huge-int-lane", "huge-int-code"],
)
async def test_null_enums_and_huge_integers_are_refused_by_name(
    client, scanner, body: bytes, message: str
) -> None:
    headers = {**scanner, "Content-Type": "application/json"}
    resp = await client.post("/api/v1/scans", data=body, headers=headers)
    assert resp.status == 422
    assert (await resp.json())["error"] == {"code": "invalid_request", "message": message}


async def test_unknown_route_and_method_use_the_error_shape(client, scanner) -> None:
    resp = await client.get("/api/v1/nope", headers=scanner)
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
    resp = await client.delete("/api/v1/scans", headers=scanner)
    assert resp.status == 405 and (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_status_reports_ledger_and_counts(client, scanner, event: DemoEvent) -> None:
    await scan(client, scanner, event.valid[0])
    await scan(client, scanner, event.valid[0])
    resp = await client.get("/api/v1/status", headers=scanner)
    doc = await resp.json()
    assert doc["agent"]["agent_id"] == "demo-gate-box"
    assert doc["ledger"]["head_seq"] == 2
    assert doc["scans"]["by_reason"] == {"admitted": 1, "already_admitted": 1}
    assert doc["admissions"] == {"tickets_admitted": 1, "inside_now": 1, "zones": []}
    assert doc["manifest"]["revocations"] == len(event.revoked)
    assert "ledger OK" in doc["ledger"]["start_check"] or "OK" in doc["ledger"]["start_check"]
    assert doc["scans"]["recent"][0]["reason"] == "already_admitted"


async def test_restart_rebuilds_admissions_from_the_ledger(
    aiohttp_client: AiohttpClient, event: DemoEvent
) -> None:
    first = await aiohttp_client(create_app(event.config))
    headers = await pair(first)
    assert (await scan(first, headers, event.valid[0]))["reason"] == "admitted"
    await first.close()  # runs cleanup: the writer drains, the lock is released
    second = await aiohttp_client(create_app(event.config))
    # the device token survived the restart too
    v = await scan(second, headers, event.valid[0])
    assert v["reason"] == "already_admitted" and v["seq"] == 2
    await second.close()
    assert check_ledger(event.config.ledger_path, "demo-gate-box").ok


async def test_full_disk_answers_not_recorded_and_loses_nothing(client, scanner, event) -> None:
    rt = runtime_of(client)
    pages = await rt.writer.execute(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    await rt.writer.execute(lambda c: c.execute(f"PRAGMA max_page_count = {pages}"))
    failed = None
    for code in event.valid[:60]:
        resp = await client.post("/api/v1/scans", json={"code": code}, headers=scanner)
        if resp.status == 503:
            failed = (code, await resp.json())
            break
        assert resp.status == 200
    assert failed is not None, "the size limit never bit"
    code, body = failed
    assert body["error"]["code"] == "not_recorded"
    assert body["verdict"]["reason"] == "not_recorded" and body["verdict"]["recorded"] is False
    await rt.writer.execute(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
    # the failed admission was rolled back: the same ticket is admitted now, once
    assert (await scan(client, scanner, code))["reason"] == "admitted"
    assert (await scan(client, scanner, code))["reason"] == "already_admitted"
    report = check_ledger(event.config.ledger_path, "demo-gate-box")
    assert report.ok
