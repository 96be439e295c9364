"""Selling more than the lease is impossible, online or offline: sales racing for the
last seats through the real HTTP API, sales with the platform stopped, an expired
lease, retries of the same request, and a restart of the agent in between."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.api.app import create_app
from edge_agent.devices.roles import Role
from edge_agent.ledger.connection import open_read_connection
from tests.edge_agent.boxoffice.agent import box_office_config, call, cash_sale
from tests.faultproxy import Fault, FaultProxy
from tests.helpers import AiohttpClient, pair, runtime_of
from tests.platform_fixture import PlatformFixture, running_platform

pytestmark = pytest.mark.integration

SALES = "/api/v1/boxoffice/sales"


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=3, plain=0) as fixture:
        yield fixture


async def _ready(client: Any, *, seats: int, ticket_type: int = 1) -> dict[str, str]:
    """A supervisor's device with an open session and ``seats`` leased."""
    boss = await pair(client, Role.SUPERVISOR)
    doc = await call(client, "POST", "/api/v1/sync/now", boss, status=200)
    assert doc["completed"], doc
    await call(client, "POST", "/api/v1/boxoffice/sessions", boss,
               {"operator": "Ana", "float_cents": 0}, status=201)  # fmt: skip
    lease = {"ticket_type": ticket_type, "count": seats}
    await call(client, "POST", "/api/v1/boxoffice/leases", boss, lease, status=201)
    return boss


def _ledger_counts(path: Path) -> tuple[int, int, int]:
    """(tickets sold and not voided, sale rows, the lease's sold column)."""
    conn = open_read_connection(path)
    try:
        tickets = conn.execute(
            "SELECT count(*) FROM box_office_tickets JOIN box_office_sales USING (sale_id)"
            " WHERE status = 'completed'"
        ).fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM sales WHERE kind = 'sale'").fetchone()[0]
        sold = conn.execute("SELECT sum(sold) FROM box_office_leases").fetchone()[0]
    finally:
        conn.close()
    return int(tickets), int(rows), int(sold)


async def test_concurrent_sales_for_the_last_seats_sell_exactly_the_lease(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await box_office_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss = await _ready(client, seats=7)
    till = await pair(client, Role.BOX_OFFICE)
    await call(client, "POST", "/api/v1/boxoffice/sessions", till,
               {"operator": "Bo", "float_cents": 0}, status=201)  # fmt: skip
    bodies = [(boss if i % 2 else till, cash_sale(1, 1, 4500)) for i in range(16)]
    answers = await asyncio.gather(
        *(client.post(SALES, json=body, headers=who) for who, body in bodies)
    )
    statuses = [a.status for a in answers]
    docs = [await a.json() for a in answers]
    sold = sum(len(d["tickets"]) for d, s in zip(docs, statuses, strict=True) if s == 201)
    assert statuses.count(201) == 7 and statuses.count(409) == 9
    assert all(d["error"]["code"] == "not_enough_leased" for d in docs if "error" in d)
    # every seat of the lease is sold, none twice, none beyond it
    assert sold == 7
    tickets, _rows, lease_sold = _ledger_counts(config.ledger_path)
    assert tickets == lease_sold == sold
    ids = [t["ticket_id"] for d in docs if "tickets" in d for t in d["tickets"]]
    assert len(set(ids)) == len(ids) == sold


async def test_offline_sales_stop_at_the_lease_and_go_up_later(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await box_office_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss = await _ready(client, seats=3, ticket_type=0)
    await platform.stop()  # the venue's uplink is gone
    for _ in range(3):
        await call(client, "POST", SALES, boss, cash_sale(0, 1, 4500), status=201)
    doc = await call(client, "POST", SALES, boss, cash_sale(0, 1, 4500), status=409)
    assert (doc["error"]["code"], doc["sellable"]) == ("not_enough_leased", 0)
    doc = await call(client, "POST", "/api/v1/boxoffice/leases", boss,
                     {"ticket_type": 0, "count": 5}, status=503)  # fmt: skip
    assert doc["error"]["code"] == "platform_unreachable"
    assert _ledger_counts(config.ledger_path) == (3, 3, 3)
    await platform.restart()
    doc = await call(client, "POST", "/api/v1/sync/now", boss, status=200)
    assert doc["sync"]["outbox"]["sales"]["depth"] == 0, doc["sync"]
    stored = await platform.admin.stored_rows(config.agent.agent_id, "sales")
    assert [s["row"]["kind"] for s in stored].count("sale") == 3
    event = {t["ticket_type"]: t for t in (await platform.admin.event(1001))["ticket_types"]}
    assert event[0]["leased"] == 0  # all three seats are tickets on the platform now


async def test_an_expired_lease_sells_nothing(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await box_office_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss = await _ready(client, seats=4)
    await call(client, "POST", SALES, boss, cash_sale(1, 1, 4500), status=201)
    office = runtime_of(client).boxoffice
    real = office.clock_ms
    office.clock_ms = lambda: real() + 13 * 3600 * 1000  # past the 12 h lease
    doc = await call(client, "POST", SALES, boss, cash_sale(1, 1, 4500), status=409)
    assert doc["error"]["code"] == "lease_expired"
    figures = await call(client, "GET", "/api/v1/boxoffice", boss, status=200)
    standing = next(t for t in figures["ticket_types"] if t["ticket_type"] == 1)
    assert standing["sellable"] == 0 and standing["leases"][0]["expired"] is True
    assert _ledger_counts(config.ledger_path) == (1, 1, 1)


async def test_a_retry_never_sells_twice_and_a_reused_id_is_refused(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await box_office_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss = await _ready(client, seats=5)
    body = cash_sale(1, 2, 9000)
    first, second = await asyncio.gather(
        client.post(SALES, json=body, headers=boss), client.post(SALES, json=body, headers=boss)
    )
    assert sorted([first.status, second.status]) == [200, 201]
    a, b = await first.json(), await second.json()
    assert a == b  # the same receipt, the same tickets
    again = await call(client, "POST", SALES, boss, body, status=200)
    assert again["sale_id"] == a["sale_id"]
    changed = {**body, "items": [{"ticket_type": 1, "quantity": 1}]}
    doc = await call(client, "POST", SALES, boss, changed, status=409)
    assert doc["error"]["code"] == "request_reused"
    assert _ledger_counts(config.ledger_path) == (2, 1, 2)


async def test_a_restart_keeps_sessions_sales_leases_and_voids(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await box_office_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss = await _ready(client, seats=4)
    kept_body = cash_sale(1, 1, 5000)
    kept = await call(client, "POST", SALES, boss, kept_body, status=201)
    voided = await call(client, "POST", SALES, boss, cash_sale(1, 1, 4500), status=201)
    await call(client, "POST", f"{SALES}/{voided['sale_id']}/void", boss, {"reason": "x"},
               status=200)  # fmt: skip
    before = await call(client, "GET", "/api/v1/boxoffice", boss, status=200)
    token = boss["Authorization"]
    await client.close()

    client = await aiohttp_client(create_app(config))
    boss = {"Authorization": token}
    after = await call(client, "GET", "/api/v1/boxoffice", boss, status=200)
    assert after["session"] == before["session"]
    assert after["session"]["cash_in_drawer_cents"] == 4500
    assert after["ticket_types"] == before["ticket_types"]
    assert next(t for t in after["ticket_types"] if t["ticket_type"] == 1)["sellable"] == 3
    doc = await call(client, "GET", f"{SALES}/{kept['sale_id']}", boss, status=200)
    assert doc["tickets"][0]["code"] == kept["tickets"][0]["code"]
    listed = await call(client, "GET", f"{SALES}?limit=10", boss, status=200)
    assert [s["sale_id"] for s in listed["sales"]] == [voided["sale_id"], kept["sale_id"]]
    gate = await pair(client, Role.SCANNER)
    verdict = await call(client, "POST", "/api/v1/scans", gate,
                         {"code": voided["tickets"][0]["code"]})  # fmt: skip
    assert verdict["reason"] == "refunded"
    verdict = await call(
        client, "POST", "/api/v1/scans", gate, {"code": kept["tickets"][0]["code"]}
    )
    assert verdict["reason"] == "admitted"
    # the same request after the restart still answers the first receipt
    retry = await call(client, "POST", SALES, boss, kept_body, status=200)
    assert retry["sale_id"] == kept["sale_id"]
    assert _ledger_counts(config.ledger_path) == (1, 2, 1)


async def test_a_lost_lease_answer_is_repeated_never_doubled(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    proxy = FaultProxy("127.0.0.1", platform.port)
    await proxy.start()
    try:
        config = await box_office_config(tmp_path / "agent", platform, url=proxy.url)
        client = await aiohttp_client(create_app(config))
        boss = await pair(client, Role.SUPERVISOR)
        await call(client, "POST", "/api/v1/sync/now", boss, status=200)
        # the platform grants, and every answer (the client's retries too) is lost
        proxy.add(Fault.LOSE_RESPONSE, method="POST", path_prefix="/v1/events/", times=3)
        doc = await call(client, "POST", "/api/v1/boxoffice/leases", boss,
                         {"ticket_type": 2, "count": 4}, status=503)  # fmt: skip
        assert doc["error"]["code"] == "platform_unreachable"
        event = {t["ticket_type"]: t for t in (await platform.admin.event(1001))["ticket_types"]}
        assert event[2]["leased"] == 4  # granted on the platform, unknown here
        # the next request for the type repeats the first (same id): the same lease
        lease = await call(client, "POST", "/api/v1/boxoffice/leases", boss,
                           {"ticket_type": 2, "count": 9}, status=201)  # fmt: skip
        assert lease["count"] == 4
        event = {t["ticket_type"]: t for t in (await platform.admin.event(1001))["ticket_types"]}
        assert event[2]["leased"] == 4
        again = await call(client, "POST", "/api/v1/boxoffice/leases", boss,
                           {"ticket_type": 2, "count": 1}, status=201)  # fmt: skip
        assert again["lease_id"] != lease["lease_id"] and again["count"] == 1
    finally:
        await proxy.close()


async def test_the_venue_never_oversells_across_agents(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    await platform.admin.put_ticket_type(1001, 3, "Backstage", 10, 9000)
    other = await platform.enrol("door-b", Ed25519PrivateKey.generate())

    async def other_asks(count: int) -> tuple[int, dict[str, Any]]:
        body = {"lease_request_id": str(uuid.uuid4()), "agent_id": "door-b",
                "ticket_type": 3, "count": count}  # fmt: skip
        async with aiohttp.ClientSession() as session:
            url = f"{platform.url}/v1/events/1001/leases"
            async with session.post(url, json=body, headers=platform.agent_headers(other)) as r:
                return r.status, await r.json()

    config = await box_office_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss = await _ready(client, seats=10, ticket_type=3)
    assert (await other_asks(1))[1]["error"]["code"] == "sold_out"
    await call(client, "POST", SALES, boss, cash_sale(3, 3, 27_000), status=201)
    one = await call(client, "POST", SALES, boss, cash_sale(3, 1, 9000), status=201)
    await call(client, "POST", f"{SALES}/{one['sale_id']}/void", boss, {"reason": "x"},
               status=200)  # fmt: skip
    await call(client, "POST", "/api/v1/sync/now", boss, status=200)
    backstage = (await platform.admin.event(1001))["ticket_types"][3]
    assert (backstage["sold"], backstage["leased"]) == (3, 7)
    assert (await other_asks(1))[1]["error"]["code"] == "sold_out"
    lease_id = (await call(client, "GET", "/api/v1/boxoffice", boss))["ticket_types"][3]["leases"][
        0
    ]["lease_id"]
    ret = await call(client, "POST", f"/api/v1/boxoffice/leases/{lease_id}/return", boss,
                     status=200)  # fmt: skip
    assert ret["returned"] == 7
    status, granted = await other_asks(9)
    assert (status, granted["count"]) == (201, 7)  # exactly the seats door-a did not sell


async def test_a_return_the_platform_missed_is_told_once_online(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    proxy = FaultProxy("127.0.0.1", platform.port)
    await proxy.start()
    try:
        config = await box_office_config(tmp_path / "agent", platform, url=proxy.url)
        client = await aiohttp_client(create_app(config))
        boss = await _ready(client, seats=6, ticket_type=2)
        await call(client, "POST", SALES, boss, cash_sale(2, 2, 9000), status=201)
        lease_id = (await call(client, "GET", "/api/v1/boxoffice", boss))["ticket_types"][2][
            "leases"
        ][0]["lease_id"]
        proxy.add(Fault.RESET_REQUEST, method="POST", path_prefix="/v1/leases/", times=3)
        doc = await call(client, "POST", f"/api/v1/boxoffice/leases/{lease_id}/return", boss,
                         status=503)  # fmt: skip
        assert doc["error"]["code"] == "platform_unreachable"
        # closed here at once: nothing more is sold on it
        doc = await call(client, "POST", SALES, boss, cash_sale(2, 1, 4500), status=409)
        assert doc["error"]["code"] == "not_enough_leased"
        assert (await platform.admin.event(1001))["ticket_types"][2]["leased"] == 6
        # back online, the next platform call tells it
        await call(client, "POST", "/api/v1/boxoffice/leases", boss,
                   {"ticket_type": 0, "count": 1}, status=201)  # fmt: skip
        # (held while open: 6, or 4 once the sale is uploaded; once returned: the 2 sold
        # seats until the sale rows are uploaded, then 0)
        for _ in range(100):
            leased = (await platform.admin.event(1001))["ticket_types"][2]["leased"]
            if leased <= 2:
                break
            await asyncio.sleep(0.05)
        assert leased in (0, 2)
        assert await runtime_of(client).boxoffice.retry_returns() == 0  # nothing left to tell
        await call(client, "POST", "/api/v1/sync/now", boss, status=200)
        backstage = (await platform.admin.event(1001))["ticket_types"][2]
        assert backstage["leased"] == 0
    finally:
        await proxy.close()
