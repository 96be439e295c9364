"""Door-sale leases never oversell (also under concurrent requests), orders respect
capacity, and card numbers are refused everywhere."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reference_platform.admin_client import AdminApiError
from tests.platform_fixture import EVENT_ID, PlatformFixture, order_body, running_platform

pytestmark = pytest.mark.integration

LIMITED = 7  # a ticket type with room for 10, 3 of them sold by the platform


class Clock:
    def __init__(self) -> None:
        self.now_ms = 1_767_200_000_000

    def __call__(self) -> int:
        return self.now_ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fx(tmp_path: Path, clock: Clock) -> Any:
    async with running_platform(tmp_path, gh1=0, plain=0, clock=clock) as fixture:
        await fixture.admin.put_ticket_type(EVENT_ID, LIMITED, "Limited", 10)
        await fixture.admin.create_order(
            EVENT_ID, order_body(1, [{"ticket_type": LIMITED, "code": "plain"}] * 3)
        )
        yield fixture


async def lease(
    session: aiohttp.ClientSession,
    fx: PlatformFixture,
    token: str,
    agent_id: str,
    count: int,
    request_id: str | None = None,
    ttl_s: int = 3600,
) -> tuple[int, dict[str, Any]]:
    body = {"lease_request_id": request_id or str(uuid.uuid4()), "agent_id": agent_id,
            "ticket_type": LIMITED, "count": count, "ttl_s": ttl_s}  # fmt: skip
    async with session.post(
        f"{fx.url}/v1/events/{EVENT_ID}/leases", json=body, headers=fx.agent_headers(token)
    ) as resp:
        doc: dict[str, Any] = await resp.json()
        return resp.status, doc


async def give_back(
    session: aiohttp.ClientSession, fx: PlatformFixture, token: str, lease_id: str, unused: int
) -> tuple[int, dict[str, Any]]:
    async with session.post(
        f"{fx.url}/v1/leases/{lease_id}/return",
        json={"unused": unused},
        headers=fx.agent_headers(token),
    ) as resp:
        return resp.status, await resp.json()


async def test_leases_grant_what_is_left_and_are_idempotent(
    fx: PlatformFixture, clock: Clock
) -> None:
    token = await fx.enrol("gate-a", Ed25519PrivateKey.generate())
    async with aiohttp.ClientSession() as session:
        status, first = await lease(session, fx, token, "gate-a", 5, "req-1")
        assert status == 201 and first["count"] == 5
        assert first["expires_at_ms"] == clock.now_ms + 3_600_000
        assert await lease(session, fx, token, "gate-a", 5, "req-1") == (200, first)
        status, second = await lease(session, fx, token, "gate-a", 5, "req-2")
        assert (status, second["count"]) == (201, 2)  # 10 - 3 sold - 5 leased
        status, doc = await lease(session, fx, token, "gate-a", 1, "req-3")
        assert (status, doc["error"]["code"]) == (409, "sold_out")
        # Orders cannot take leased seats either.
        with pytest.raises(AdminApiError) as err:
            await fx.admin.create_order(EVENT_ID, order_body(2, [{"ticket_type": LIMITED}]))
        assert err.value.code == "sold_out"
        # Return 4 unused of the first lease (1 sold at the door): 4 seats come back.
        assert await give_back(session, fx, token, first["lease_id"], 4) == (
            200, {"lease_id": first["lease_id"], "returned": 4},
        )  # fmt: skip
        status, third = await lease(session, fx, token, "gate-a", 9, "req-4")
        assert (status, third["count"]) == (201, 4)
        # Expiry: the unreturned leases' seats come back (the returned one keeps its 1).
        clock.now_ms += 3_600_001
        status, fourth = await lease(session, fx, token, "gate-a", 9, "req-5")
        assert (status, fourth["count"]) == (201, 6)  # 10 - 3 sold - 1 sold at the door
    event = await fx.admin.event(EVENT_ID)
    limited = next(t for t in event["ticket_types"] if t["ticket_type"] == LIMITED)
    assert (limited["sold"], limited["leased"]) == (3, 7)


async def test_concurrent_lease_requests_never_oversell(fx: PlatformFixture) -> None:
    tokens = {f"gate-{i}": await fx.enrol(f"gate-{i}", Ed25519PrivateKey.generate())
              for i in range(4)}  # fmt: skip
    async with aiohttp.ClientSession() as session:
        answers = await asyncio.gather(
            *(lease(session, fx, tokens[a], a, 2) for a in tokens for _ in range(5))
        )
    granted = sum(doc["count"] for status, doc in answers if status == 201)
    assert granted == 7
    assert {doc["error"]["code"] for status, doc in answers if status != 201} == {"sold_out"}


async def test_leases_belong_to_their_agent(fx: PlatformFixture) -> None:
    token_a = await fx.enrol("gate-a", Ed25519PrivateKey.generate())
    token_b = await fx.enrol("gate-b", Ed25519PrivateKey.generate())
    async with aiohttp.ClientSession() as session:
        status, doc = await lease(session, fx, token_a, "gate-b", 1)
        assert (status, doc["error"]["code"]) == (403, "wrong_agent")
        status, mine = await lease(session, fx, token_a, "gate-a", 1, "shared-id")
        assert status == 201
        status, doc = await lease(session, fx, token_b, "gate-b", 1, "shared-id")
        assert (status, doc["error"]["code"]) == (409, "lease_request_reused")
        status, doc = await give_back(session, fx, token_b, mine["lease_id"], 0)
        assert (status, doc["error"]["code"]) == (403, "wrong_agent")
        status, doc = await give_back(session, fx, token_a, mine["lease_id"], 2)
        assert (status, doc["error"]["code"]) == (422, "invalid")
        status, doc = await give_back(session, fx, token_a, "L-nope", 0)
        assert (status, doc["error"]["code"]) == (404, "unknown_lease")


@pytest.mark.parametrize(
    "where",
    ["customer_name", "user_agent", "holder_name", "spaced", "number"],
)
async def test_card_numbers_are_refused_and_never_stored(fx: PlatformFixture, where: str) -> None:
    pan = "4111111111111111"  # a Luhn-valid test PAN
    body = order_body(5, [{"ticket_type": 0, "code": "gh1"}])
    match where:
        case "customer_name" | "user_agent":
            body[where] = f"paid with {pan}"
        case "holder_name":
            body["tickets"][0]["holder_name"] = pan
        case "spaced":
            body["payment"]["note"] = "4111 1111 1111 1111"
        case "number":
            body["payment"]["card"] = int(pan)
    with pytest.raises(AdminApiError) as err:
        await fx.admin.create_order(EVENT_ID, body)
    assert (err.value.status, err.value.code) == (422, "pan_refused")
    assert pan not in err.value.message
    stored = b"".join(p.read_bytes() for p in fx.data_dir.glob("platform.sqlite3*"))
    assert pan.encode() not in stored and b"4111 1111" not in stored
    # Timestamps (13 digits) and an ordinary last4 are not card numbers.
    ok = order_body(5, [{"ticket_type": 0}])
    ok["purchased_at_ms"] = 1_767_000_000_018  # Luhn-valid, still a time
    assert (await fx.admin.create_order(EVENT_ID, ok))["tickets"]


async def test_admin_routes_need_the_admin_token(fx: PlatformFixture) -> None:
    agent_token = await fx.enrol("gate-a", Ed25519PrivateKey.generate())
    url = f"{fx.url}/admin/v1/events/{EVENT_ID}"
    async with aiohttp.ClientSession() as session:
        for headers, status in (
            ({}, 401),
            ({"Authorization": "Bearer nope"}, 401),
            (fx.agent_headers(agent_token), 403),
            (fx.agent_headers(fx.admin_token), 200),
        ):
            async with session.get(url, headers=headers) as resp:
                assert resp.status == status
                assert "X-Platform-Time-Ms" in resp.headers
                if status != 200:
                    assert set((await resp.json())["error"]) >= {"code", "message"}
        async with session.post(
            f"{fx.url}/admin/v1/events", json={"event_id": 5}, headers=fx.agent_headers(agent_token)
        ) as resp:
            assert resp.status == 403


async def test_event_cancellation_stops_sales(fx: PlatformFixture) -> None:
    await fx.admin.cancel_event(EVENT_ID)
    with pytest.raises(AdminApiError) as err:
        await fx.admin.create_order(EVENT_ID, order_body(9, [{"ticket_type": 0}]))
    assert err.value.code == "event_cancelled"
    assert (await fx.admin.event(EVENT_ID))["status"] == "cancelled"
