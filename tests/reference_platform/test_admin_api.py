"""Admin API edges: validation answers name the field, state conflicts have stable codes,
an agent reaches only events it is enrolled for, and secrets never leave the platform."""

from __future__ import annotations

import sqlite3
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.agent_certificate import b64url_encode
from reference_platform.admin_client import AdminApiError
from tests.platform_fixture import EVENT_ID, PlatformFixture, order_body

pytestmark = pytest.mark.integration


async def refused(call: Any) -> AdminApiError:
    with pytest.raises(AdminApiError) as err:
        await call
    assert set(err.value.body["error"]) >= {"code", "message"}
    return err.value


async def test_state_conflicts_have_stable_codes(platform: PlatformFixture) -> None:
    admin = platform.admin
    err = await refused(admin.create_event(EVENT_ID, "Again", "Hall", 0))
    assert (err.status, err.code) == (409, "already_exists")
    err = await refused(admin.put_ticket_type(EVENT_ID, 0, "GA", 1))  # 4 sold
    assert (err.status, err.code) == (409, "capacity_below_sold")
    err = await refused(admin.refund("0" * 32))
    assert (err.status, err.code) == (404, "unknown_ticket")
    err = await refused(admin.refund("not-a-ticket-id"))
    assert (err.status, err.code) == (404, "unknown_ticket")
    err = await refused(admin.unsuspend(platform.gh1_tickets[0].ticket_id))
    assert (err.status, err.code) == (409, "not_suspended")
    err = await refused(admin.create_order(4242, order_body(1, [{"ticket_type": 0}])))
    assert (err.status, err.code) == (404, "unknown_event")
    err = await refused(admin.create_order(EVENT_ID, order_body(1, [{"ticket_type": 9}])))
    assert (err.status, err.code) == (404, "unknown_ticket_type")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_email": ""}, "customer_email"),
        ({"payment": {"brand": "visa", "last4": "42"}}, "payment.last4"),
        ({"tickets": []}, "tickets"),
        ({"tickets": [{"ticket_type": "1"}]}, "ticket_type"),
        ({"tickets": [{"ticket_type": 1, "code": "qr"}]}, "tickets.code"),
        ({"customer_name": "Ada\x00"}, "customer_name"),
    ],
)
async def test_bad_order_fields_are_422_naming_the_field(
    platform: PlatformFixture, change: dict[str, Any], field: str
) -> None:
    err = await refused(
        platform.admin.create_order(EVENT_ID, {**order_body(1, [{"ticket_type": 0}]), **change})
    )
    assert (err.status, err.code, err.body["error"]["field"]) == (422, "invalid", field)


async def test_agents_reach_only_events_they_are_enrolled_for(platform: PlatformFixture) -> None:
    await platform.admin.create_event(2002, "Other night", "Hall", 0)
    token = await platform.enrol("gate-a", Ed25519PrivateKey.generate())
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{platform.url}/v1/events/2002/manifest", headers=platform.agent_headers(token)
        ) as resp:
            assert resp.status == 403
            assert (await resp.json())["error"]["code"] == "not_enrolled"
        async with session.get(
            f"{platform.url}/v1/nowhere", headers=platform.agent_headers(token)
        ) as resp:
            assert resp.status == 404
            assert (await resp.json())["error"]["code"] == "not_found"
            assert "X-Platform-Time-Ms" in resp.headers


async def test_private_keys_and_tokens_never_leave_the_platform(
    platform: PlatformFixture,
) -> None:
    conn = sqlite3.connect(platform.data_dir / "platform.sqlite3")
    (private,) = conn.execute(
        "SELECT private_key FROM event_keys WHERE event_id = ?", (EVENT_ID,)
    ).fetchone()
    conn.close()
    secret = b64url_encode(private)
    token = await platform.enrol("gate-a", Ed25519PrivateKey.generate())
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    answers = [
        await platform.admin.event(EVENT_ID),
        await platform.admin.order(platform.gh1_tickets[0].order_id),
        await platform.admin.enrol(EVENT_ID, "gate-b", b64url_encode(other)),
    ]
    text = str(answers)
    assert secret not in text and private.hex() not in text
    assert token not in text  # gate-a's token was shown once, at its own enrolment
