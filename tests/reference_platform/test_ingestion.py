"""Scan upload: idempotent, contiguous, chain-checked against rows made by the real
ledger writer; what is stored is exactly what the agent holds."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.ledger.records import encode_ext
from tests.helpers import scan_row
from tests.platform_fixture import PlatformFixture
from tests.reference_platform.ledger_rows import batch, ledger_rows, upload

pytestmark = pytest.mark.integration


def _row(i: int) -> Any:
    # Half the rows carry a manifest age (ledger-v1 ``manifest_at_ms``), as after a sync.
    return scan_row(i, manifest_at_ms=None if i % 2 else 1_767_000_000_000 + i)


@pytest.fixture
async def rows(tmp_path: Path) -> list[dict[str, Any]]:
    return await ledger_rows(tmp_path / "gate-a.sqlite3", "gate-a", 250, _row)


@pytest.fixture
async def token(platform: PlatformFixture, agent_key: Ed25519PrivateKey) -> str:
    return await platform.enrol("gate-a", agent_key)


async def stored(fx: PlatformFixture, agent_id: str = "gate-a") -> list[dict[str, Any]]:
    return await fx.admin.stored_rows(agent_id, limit=10_000)


async def test_batches_store_exactly_the_agent_rows(
    platform: PlatformFixture, token: str, rows: list[dict[str, Any]]
) -> None:
    async with aiohttp.ClientSession() as session:
        answers = [await upload(session, platform, token, "gate-a", rows[i : i + 100])
                   for i in range(0, 250, 100)]  # fmt: skip
    assert answers == [
        (200, {"stored_through_seq": 100, "received": 100, "duplicates": 0}),
        (200, {"stored_through_seq": 200, "received": 100, "duplicates": 0}),
        (200, {"stored_through_seq": 250, "received": 50, "duplicates": 0}),
    ]
    kept = await stored(platform)
    assert [k["row"] for k in kept] == rows  # every field, and the chain, as uploaded
    assert kept[1]["row"]["manifest_at_ms"] == 1_767_000_000_002
    assert all(k["received_at_ms"] > 0 for k in kept)
    assert kept[0]["clock"] == batch("gate-a", [])["clock"]


async def test_repeated_and_overlapping_batches_double_nothing(
    platform: PlatformFixture, token: str, rows: list[dict[str, Any]]
) -> None:
    async with aiohttp.ClientSession() as session:
        assert (await upload(session, platform, token, "gate-a", rows[:100]))[1]["received"] == 100
        again = await upload(session, platform, token, "gate-a", rows[:100])
        overlap = await upload(session, platform, token, "gate-a", rows[50:150])
        empty = await upload(session, platform, token, "gate-a", [])
    assert again == (200, {"stored_through_seq": 100, "received": 0, "duplicates": 100})
    assert overlap == (200, {"stored_through_seq": 150, "received": 50, "duplicates": 50})
    assert empty == (200, {"stored_through_seq": 150, "received": 0, "duplicates": 0})
    assert [k["row"]["seq"] for k in await stored(platform)] == list(range(1, 151))


async def test_gap_answers_where_to_resume(
    platform: PlatformFixture, token: str, rows: list[dict[str, Any]]
) -> None:
    async with aiohttp.ClientSession() as session:
        await upload(session, platform, token, "gate-a", rows[:100])
        status, doc = await upload(session, platform, token, "gate-a", rows[150:200])
        assert status == 409
        assert doc["error"]["code"] == "gap"
        assert doc["error"]["stored_through_seq"] == 100
        # The agent rewinds to 100 and re-sends: accepted.
        assert (await upload(session, platform, token, "gate-a", rows[100:200]))[0] == 200
    assert len(await stored(platform)) == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("outcome", "refuse"), ("at_ms", 1), ("ticket_id", None), ("gate", "gate-9")],
)
async def test_a_tampered_row_is_chain_mismatch_and_nothing_of_the_batch_is_kept(
    platform: PlatformFixture, token: str, rows: list[dict[str, Any]], field: str, value: Any
) -> None:
    tampered = [dict(r) for r in rows[100:200]]
    tampered[20][field] = value  # seq 121, chain value left as the agent computed it
    async with aiohttp.ClientSession() as session:
        await upload(session, platform, token, "gate-a", rows[:100])
        status, doc = await upload(session, platform, token, "gate-a", tampered)
        assert status == 409
        assert doc["error"]["code"] == "chain_mismatch" and doc["error"]["seq"] == 121
        assert len(await stored(platform)) == 100
        # A re-sent duplicate that differs from the stored row is refused too.
        old = [dict(r) for r in rows[:10]]
        old[3][field] = value
        status, doc = await upload(session, platform, token, "gate-a", old)
        assert (status, doc["error"]["code"], doc["error"]["seq"]) == (409, "chain_mismatch", 4)


async def test_another_history_for_the_same_agent_is_chain_mismatch(
    platform: PlatformFixture, token: str, rows: list[dict[str, Any]], tmp_path: Path
) -> None:
    # e.g. a box whose data dir was wiped and that started a new ledger under the same id
    other = await ledger_rows(
        tmp_path / "other.sqlite3", "gate-a", 20, lambda i: scan_row(i, scan_id=f"new-{i}")
    )
    async with aiohttp.ClientSession() as session:
        await upload(session, platform, token, "gate-a", rows[:100])
        status, doc = await upload(session, platform, token, "gate-a", other)
    assert (status, doc["error"]["code"], doc["error"]["seq"]) == (409, "chain_mismatch", 1)


async def test_tokens_open_only_their_own_agent(
    platform: PlatformFixture, token: str, rows: list[dict[str, Any]]
) -> None:
    other_token = await platform.enrol("gate-b", Ed25519PrivateKey.generate())
    async with aiohttp.ClientSession() as session:
        status, doc = await upload(session, platform, other_token, "gate-a", rows[:10])
        assert (status, doc["error"]["code"]) == (403, "wrong_agent")
        status, doc = await upload(session, platform, platform.admin_token, "gate-a", rows[:10])
        assert status == 403
        status, doc = await upload(session, platform, "gpa_not-a-token", "gate-a", rows[:10])
        assert (status, doc["error"]["code"]) == (401, "unauthorized")
        async with session.post(f"{platform.url}/v1/agents/gate-a/scans", json={}) as resp:
            assert resp.status == 401
            assert "X-Platform-Time-Ms" in resp.headers
        # gate-b's own path, but rows claiming to be gate-a's
        status, doc = await upload(
            session, platform, other_token, "gate-b", [], body=batch("gate-b", rows[:10])
        )
        assert (status, doc["error"]["code"], doc["error"]["field"]) == (422, "bad_row", "agent_id")
    assert await stored(platform) == []


def _broken(rows: list[dict[str, Any]], how: str) -> list[dict[str, Any]]:
    out = [dict(r) for r in rows[:5]]
    row = out[2]
    match how:
        case "missing":
            del row["reason"]
        case "extra":
            row["note"] = "hello"
        case "string_int":
            row["at_ms"] = str(row["at_ms"])
        case "bool":
            row["event_id"] = True
        case "float":
            row["at_ms"] = float(row["at_ms"])
        case "chain":
            row["chain"] = row["chain"].upper()
        case "not_contiguous":
            out[2], out[3] = out[3], out[2]
    return out


@pytest.mark.parametrize(
    ("how", "field"),
    [
        ("missing", "reason"),
        ("extra", "note"),
        ("string_int", "at_ms"),
        ("bool", "event_id"),
        ("float", "at_ms"),
        ("chain", "chain"),
        ("not_contiguous", "seq"),
    ],
)
async def test_bad_rows_are_422_naming_seq_and_field(
    platform: PlatformFixture, token: str, rows: list[dict[str, Any]], how: str, field: str
) -> None:
    async with aiohttp.ClientSession() as session:
        status, doc = await upload(session, platform, token, "gate-a", _broken(rows, how))
    assert status == 422, doc
    assert doc["error"]["code"] == "bad_row"
    assert doc["error"]["field"] == field
    assert doc["error"]["seq"] in (3, 4)
    assert await stored(platform) == []


async def test_gzip_bodies_and_the_size_limit(
    platform: PlatformFixture, token: str, rows: list[dict[str, Any]]
) -> None:
    url = f"{platform.url}/v1/agents/gate-a/scans"
    headers = {**platform.agent_headers(token), "Content-Encoding": "gzip",
               "Content-Type": "application/json"}  # fmt: skip
    async with aiohttp.ClientSession() as session:
        body = gzip.compress(json.dumps(batch("gate-a", rows[:100])).encode())
        async with session.post(url, data=body, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["stored_through_seq"] == 100
        # 9 MiB of JSON once inflated (a few KB on the wire): refused, not buffered.
        padded = batch("gate-a", [])
        padded["software_version"] = "x" * (9 * 1024 * 1024)
        async with session.post(
            url, data=gzip.compress(json.dumps(padded).encode()), headers=headers
        ) as resp:
            assert resp.status == 413
            assert (await resp.json())["error"]["code"] == "too_large"
        too_many = batch("gate-a", rows[:1] * 1001)
        async with session.post(url, json=too_many, headers=platform.agent_headers(token)) as resp:
            assert resp.status == 413
    assert len(await stored(platform)) == 100


async def test_the_platform_stores_extensions_and_recomputes_their_chain(
    tmp_path: Path, platform: PlatformFixture, agent_key: Ed25519PrivateKey
) -> None:
    token = await platform.enrol("gate-a", agent_key)
    rows = await ledger_rows(
        tmp_path / "gate-a.sqlite3",
        "gate-a",
        6,
        lambda i: scan_row(i, ext=encode_ext({"claim": "unconfirmed"}) if i % 2 else None),
    )
    assert rows[0]["ext"] == {"claim": "unconfirmed"} and "ext" not in rows[1]
    async with aiohttp.ClientSession() as session:
        tampered = [dict(r) for r in rows]
        tampered[2]["ext"] = {"claim": "confirmed"}  # not what the agent hashed
        status, answer = await upload(session, platform, token, "gate-a", tampered)
        assert (status, answer["error"]["code"]) == (409, "chain_mismatch")
        bad = [dict(r) for r in rows]
        bad[0]["ext"] = {"Claim": "x"}
        status, answer = await upload(session, platform, token, "gate-a", bad)
        assert (status, answer["error"]["code"]) == (422, "bad_row")
        assert "ext" in answer["error"]["message"]
        status, answer = await upload(session, platform, token, "gate-a", rows)
        assert status == 200 and answer["stored_through_seq"] == 6
    kept = await platform.admin.stored_rows("gate-a", limit=100)
    assert [k["row"] for k in kept] == rows


async def test_a_cancelled_event_and_a_cancelled_ticket_arrive_as_two_reasons(
    platform: PlatformFixture, token: str, tmp_path: Path
) -> None:
    reasons = {1: "event_cancelled", 2: "cancelled"}
    rows = await ledger_rows(
        tmp_path / "gate-a.sqlite3",
        "gate-a",
        2,
        lambda i: scan_row(i, outcome="refuse", reason=reasons[i]),
    )
    async with aiohttp.ClientSession() as session:
        assert (await upload(session, platform, token, "gate-a", rows))[0] == 200
    assert [k["row"]["reason"] for k in await stored(platform)] == list(reasons.values())
