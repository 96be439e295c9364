"""Door sales end to end through the HTTP API, against a real agent and the real
reference platform on loopback: lease → cash/terminal/comp sales → the tickets verify
with the platform's keyring and admit at this agent's gate → void → refused at once →
upload → the platform holds the chain, counts the seats and refunds the voided ones."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from edge_agent.api.app import create_app
from edge_agent.boxoffice.sale_request import SaleRequest
from edge_agent.devices.roles import Role
from edge_agent.domain.credential import SignedCredential
from edge_agent.domain.keyring import load_keyring
from edge_agent.domain.reasons import ReasonCode
from edge_agent.domain.sale import CashPayment, CompPayment, Delivery, LineItem, TerminalPayment
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.domain.verification import read_credential
from edge_agent.errors import BoxOfficeError
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.sale_records import SALE_FIELDS
from hardware.printer import qr_store_command
from hardware.printer_backends import DummyPrinter
from tests.edge_agent.boxoffice.agent import box_office_config, call, cash_sale
from tests.helpers import AiohttpClient, pair, runtime_of
from tests.platform_fixture import PlatformFixture, running_platform

pytestmark = pytest.mark.integration

EVENT = 1001


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=6, plain=0) as fixture:
        yield fixture


async def _sync(client: Any, boss: dict[str, str]) -> None:
    doc = await call(client, "POST", "/api/v1/sync/now", boss, status=200)
    assert doc["completed"] and doc["sync"]["last_error"] is None, doc


def _figures_type(doc: dict[str, Any], ticket_type: int) -> dict[str, Any]:
    return next(t for t in doc["ticket_types"] if t["ticket_type"] == ticket_type)


async def test_lease_sell_verify_admit_void_upload(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await box_office_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss = await pair(client, Role.SUPERVISOR)
    till = await pair(client, Role.BOX_OFFICE)
    gate = await pair(client, Role.SCANNER)
    await _sync(client, boss)
    figures = await call(client, "GET", "/api/v1/boxoffice", till, status=200)
    standing = _figures_type(figures, 1)
    assert (standing["price_cents"], standing["capacity"], standing["sellable"]) == (4500, 1000, 0)
    assert figures["currency"] == "EUR" and figures["session"] is None and figures["online"]

    # nothing is sold without a session, nor beyond the (empty) lease
    sale = cash_sale(1, 2, 10_000)
    assert (await call(client, "POST", "/api/v1/boxoffice/sales", till, sale, status=409))["error"][
        "code"
    ] == "no_session"
    session = await call(
        client, "POST", "/api/v1/boxoffice/sessions", till,
        {"operator": "Ana", "float_cents": 10_000}, status=201,
    )  # fmt: skip
    assert session["cash_in_drawer_cents"] == 10_000
    again = {"operator": "Ana", "float_cents": 0}
    doc = await call(client, "POST", "/api/v1/boxoffice/sessions", till, again, status=409)
    assert doc["error"]["code"] == "session_open"
    doc = await call(client, "POST", "/api/v1/boxoffice/sales", till, sale, status=409)
    assert doc["error"]["code"] == "not_enough_leased" and doc["sellable"] == 0

    # a lease is a supervisor's call; the platform lends seats
    lease_body = {"ticket_type": 1, "count": 5}
    await call(client, "POST", "/api/v1/boxoffice/leases", till, lease_body, status=403)
    lease = await call(client, "POST", "/api/v1/boxoffice/leases", boss, lease_body, status=201)
    assert lease["count"] == 5
    before = {t["ticket_type"]: t for t in (await platform.admin.event(EVENT))["ticket_types"]}
    assert before[1]["leased"] == 5

    # cash: change is given back; tickets are GH1 signed by the agent's certified key
    receipt = await call(client, "POST", "/api/v1/boxoffice/sales", till, sale, status=201)
    assert receipt["total_cents"] == 9000 and receipt["status"] == "completed"
    assert receipt["payment"] == {"method": "cash", "tendered_cents": 10_000, "change_cents": 1000}
    assert len(receipt["tickets"]) == 2 and receipt["operator"] == "Ana"
    assert all(t["qr_svg"].startswith("<svg") for t in receipt["tickets"])
    keyring = load_keyring((await platform.admin.event(EVENT))["keyring"])
    agent_key_id = runtime_of(client).agent_key.key_id
    for ticket in receipt["tickets"]:
        credential = read_credential(ticket["code"], keyring)
        assert isinstance(credential, SignedCredential)
        assert credential.signature == ReasonCode.OK
        assert credential.ticket.key_id == agent_key_id
        assert credential.ticket.ticket_id.hex() == ticket["ticket_id"]
        assert (credential.ticket.event_id, credential.ticket.ticket_type) == (EVENT, 1)
    first = receipt["tickets"][0]["code"]
    verdict = await call(client, "POST", "/api/v1/scans", gate, {"code": first}, status=200)
    assert verdict["reason"] == "admitted"

    # terminal: brand, last 4, authorisation, terminal; never the card number
    card = {"method": "terminal", "brand": "visa", "last4": "4242", "auth_ref": "A1B2C3",
            "terminal_id": "T-01"}  # fmt: skip
    bad = {**card, "last4": "42"}
    doc = await call(client, "POST", "/api/v1/boxoffice/sales", till,
                     {**cash_sale(1, 1, 0), "payment": bad}, status=422)  # fmt: skip
    assert doc["error"]["code"] == "invalid_request"
    pan = {**card, "auth_ref": "4111 1111 1111 1111"}
    doc = await call(client, "POST", "/api/v1/boxoffice/sales", till,
                     {**cash_sale(1, 1, 0), "payment": pan}, status=422)  # fmt: skip
    assert doc["error"]["code"] == "card_number_refused"
    assert "4111" not in str(doc)
    paid = await call(client, "POST", "/api/v1/boxoffice/sales", till,
                      {**cash_sale(1, 1, 0), "payment": card}, status=201)  # fmt: skip
    assert paid["payment"]["last4"] == "4242" and paid["total_cents"] == 4500

    # comp: a supervisor's device (with its own session), a reason and a name
    comp = {**cash_sale(1, 1, 0), "payment": {"method": "comp", "reason": "artist guest",
                                                "supervisor": "Sam"}}  # fmt: skip
    doc = await call(client, "POST", "/api/v1/boxoffice/sales", till, comp, status=403)
    assert doc["error"]["code"] == "comp_needs_supervisor"
    await call(client, "POST", "/api/v1/boxoffice/sessions", boss,
               {"operator": "Sam", "float_cents": 0}, status=201)  # fmt: skip
    free = await call(client, "POST", "/api/v1/boxoffice/sales", boss, comp, status=201)
    assert free["total_cents"] == 0 and free["payment"]["method"] == "comp"

    # 5 leased, 4 sold: one left, and two cannot be sold
    doc = await call(client, "POST", "/api/v1/boxoffice/sales", till, cash_sale(1, 2, 9000),
                     status=409)  # fmt: skip
    assert (doc["error"]["code"], doc["sellable"]) == ("not_enough_leased", 1)
    figures = await call(client, "GET", "/api/v1/boxoffice", till, status=200)
    standing = _figures_type(figures, 1)
    assert (standing["sellable"], standing["sold_here"], standing["scanned"]) == (1, 4, 1)
    assert figures["session"]["cash_in_drawer_cents"] == 19_000

    # void: refused at this gate at once, the seats go back to the lease, cash back out
    void_path = f"/api/v1/boxoffice/sales/{receipt['sale_id']}/void"
    voided = await call(client, "POST", void_path, till, {"reason": "wrong type"}, status=200)
    assert voided["status"] == "voided" and voided["void"]["refunded_cents"] == 9000
    doc = await call(client, "POST", void_path, till, {"reason": "again"}, status=409)
    assert doc["error"]["code"] == "already_voided"
    for ticket in receipt["tickets"]:
        verdict = await call(client, "POST", "/api/v1/scans", gate, {"code": ticket["code"]})
        assert (verdict["outcome"], verdict["reason"]) == ("refuse", "refunded")
    figures = await call(client, "GET", "/api/v1/boxoffice", till, status=200)
    assert _figures_type(figures, 1)["sellable"] == 3
    assert figures["session"]["cash_in_drawer_cents"] == 10_000
    assert figures["session"]["voids"] == 1

    # upload: the platform holds the same chain and counts the seats once
    await _sync(client, boss)
    stored = [s["row"] for s in await platform.admin.stored_rows("door-a", "sales")]
    conn = open_read_connection(config.ledger_path)
    try:
        ours = conn.execute(f"SELECT {', '.join(SALE_FIELDS)}, chain FROM sales ORDER BY seq")
        assert [list(r.values()) for r in stored] == [list(r) for r in ours.fetchall()]
    finally:
        conn.close()
    assert [r["kind"] for r in stored] == [
        "session_open", "lease_taken", "sale", "sale", "session_open", "sale", "void",
    ]  # fmt: skip
    after = {t["ticket_type"]: t for t in (await platform.admin.event(EVENT))["ticket_types"]}
    assert after[1]["sold"] == before[1]["sold"] + 2  # terminal + comp; the cash sale voided
    assert after[1]["leased"] == 3  # what the agent can still sell
    order = await platform.admin.order(paid["order_id"])
    assert order["payment"] == {"brand": "visa", "last4": "4242", "three_ds": None}
    assert [t["ticket_id"] for t in order["tickets"]] == [paid["tickets"][0]["ticket_id"]]
    refunded = await platform.admin.order(receipt["order_id"])
    assert {t["revocation"]["kind"] for t in refunded["tickets"]} == {"refunded"}

    # the till closes with what was counted
    closed = await call(client, "POST", "/api/v1/boxoffice/sessions/current/close", till,
                        {"counted_cents": 9_500}, status=200)  # fmt: skip
    assert (closed["expected_cents"], closed["difference_cents"]) == (10_000, -500)
    assert closed["session"]["closed_at_ms"] > 0
    doc = await call(client, "POST", "/api/v1/boxoffice/sessions/current/close", till,
                     {"counted_cents": 0}, status=409)  # fmt: skip
    assert doc["error"]["code"] == "no_session"


async def test_print_email_reprint_and_lease_return(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await box_office_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss = await pair(client, Role.SUPERVISOR)
    await _sync(client, boss)
    await call(client, "POST", "/api/v1/boxoffice/sessions", boss,
               {"operator": "Sam", "float_cents": 0}, status=201)  # fmt: skip
    lease = await call(client, "POST", "/api/v1/boxoffice/leases", boss,
                       {"ticket_type": 2, "count": 6}, status=201)  # fmt: skip
    printer = runtime_of(client).printer
    assert isinstance(printer, DummyPrinter)

    printed = await call(client, "POST", "/api/v1/boxoffice/sales", boss,
                         cash_sale(2, 2, 9000, delivery="print"), status=201)  # fmt: skip
    assert printed["delivery"] == {"kind": "print", "printed": True, "email_queued": False}
    assert len(printer.jobs) == 2
    for job, ticket in zip(printer.jobs, printed["tickets"], strict=True):
        assert qr_store_command(ticket["code"]) in job
    # a reprint is the same ticket, never a new one
    path = f"/api/v1/boxoffice/sales/{printed['sale_id']}/print"
    one = printed["tickets"][1]
    doc = await call(client, "POST", path, boss, {"ticket_id": one["ticket_id"]}, status=200)
    assert doc == {"printed": 1} and qr_store_command(one["code"]) in printer.jobs[-1]
    again = await call(client, "GET", f"/api/v1/boxoffice/sales/{printed['sale_id']}", boss)
    assert [t["code"] for t in again["tickets"]] == [t["code"] for t in printed["tickets"]]
    # a printer failure never fails the sale: a warning, and a reprint later
    printer.simulate = "offline"
    sale = await call(client, "POST", "/api/v1/boxoffice/sales", boss,
                      cash_sale(2, 1, 4500, delivery="print"), status=201)  # fmt: skip
    assert sale["delivery"]["printed"] is False and "reprint" in sale["warnings"][0]
    doc = await call(client, "POST", f"/api/v1/boxoffice/sales/{sale['sale_id']}/print", boss,
                     status=503)  # fmt: skip
    assert doc["error"]["code"] == "printer_unavailable"

    # e-mail: needs an address; the platform queues it when the sale arrives
    no_email = cash_sale(2, 1, 4500, delivery="email")
    doc = await call(client, "POST", "/api/v1/boxoffice/sales", boss, no_email, status=422)
    assert doc["error"]["code"] == "invalid_request"
    mailed = await call(client, "POST", "/api/v1/boxoffice/sales", boss,
                        cash_sale(2, 1, 4500, delivery="email",
                                  customer={"name": "Ada", "email": "ada@example.org"}),
                        status=201)  # fmt: skip
    assert mailed["delivery"]["email_queued"] is True
    await _sync(client, boss)
    queue = await platform.admin.email_queue(EVENT)
    assert [(e["order_id"], e["to"]) for e in queue] == [(mailed["order_id"], "ada@example.org")]

    # return: the unsold seats go back to the platform; the lease sells no more
    ret = await call(client, "POST", f"/api/v1/boxoffice/leases/{lease['lease_id']}/return",
                     boss, status=200)  # fmt: skip
    assert ret == {"lease_id": lease["lease_id"], "returned": 2}
    doc = await call(client, "POST", "/api/v1/boxoffice/sales", boss, cash_sale(2, 1, 4500),
                     status=409)  # fmt: skip
    assert doc["error"]["code"] == "not_enough_leased"
    event = {t["ticket_type"]: t for t in (await platform.admin.event(EVENT))["ticket_types"]}
    await _sync(client, boss)
    event = {t["ticket_type"]: t for t in (await platform.admin.event(EVENT))["ticket_types"]}
    assert event[2]["leased"] == 0  # 4 sold are tickets now; 2 returned
    figures = await call(client, "GET", "/api/v1/boxoffice", boss, status=200)
    leases = _figures_type(figures, 2)["leases"]
    assert [(x["count"], x["sold"], x["returned"], x["closed"]) for x in leases] == [
        (6, 4, 2, True)
    ]


async def test_online_top_up_and_change_notifications(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await box_office_config(tmp_path / "agent", platform, lease_size=3, top_up_below=2)
    client = await aiohttp_client(create_app(config))
    boss = await pair(client, Role.SUPERVISOR)
    await _sync(client, boss)
    office = runtime_of(client).boxoffice
    changes = office.changes()
    seen: list[int] = []
    unsubscribe = office.on_change(lambda: seen.append(1))
    await call(client, "POST", "/api/v1/boxoffice/sessions", boss,
               {"operator": "Sam", "float_cents": 0}, status=201)  # fmt: skip
    assert await changes.wait(1.0) is True and seen == [1]
    assert await changes.wait(0.01) is False  # nothing new since
    await call(client, "POST", "/api/v1/boxoffice/leases", boss,
               {"ticket_type": 0, "count": 2}, status=201)  # fmt: skip
    await call(client, "POST", "/api/v1/boxoffice/sales", boss, cash_sale(0, 1, 4500),
               status=201)  # fmt: skip
    # one seat left (< 2): another lease of 3 is taken in the background
    for _ in range(100):
        figures = await office.figures(None)
        leases = _figures_type(figures, 0)["leases"]
        if len(leases) == 2:
            break
        await asyncio.sleep(0.05)
    assert sorted(x["count"] for x in leases) == [2, 3]
    assert _figures_type(figures, 0)["sellable"] == 4
    unsubscribe()
    changes.close()
    count = len(seen)
    await call(client, "POST", "/api/v1/boxoffice/sales", boss, cash_sale(0, 1, 4500),
               status=201)  # fmt: skip
    assert len(seen) == count


async def test_the_service_itself_never_stores_a_card_number(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    """Behind the API's refusal of any body with a card number, the box office checks
    every free text it stores: called directly, it refuses too and records nothing."""
    config = await box_office_config(tmp_path / "agent", platform)
    client = await aiohttp_client(create_app(config))
    boss = await pair(client, Role.SUPERVISOR)
    await _sync(client, boss)
    office = runtime_of(client).boxoffice
    pan = "4111 1111 1111 1111"
    with pytest.raises(BoxOfficeError) as info:
        await office.open_session("dev-1", pan, 0)
    assert info.value.code is SaleCode.CARD_NUMBER_REFUSED
    await office.open_session("dev-1", "Ana", 0)
    await call(client, "POST", "/api/v1/boxoffice/leases", boss,
               {"ticket_type": 1, "count": 3}, status=201)  # fmt: skip

    def sale(**changes: Any) -> SaleRequest:
        base = SaleRequest("req-00000001", "0" * 64, (LineItem(1, 1),), CashPayment(4500),
                           None, None, Delivery.SCREEN)  # fmt: skip
        return dataclasses.replace(base, **changes)

    bad = [
        sale(customer_name=pan),
        sale(customer_email=f"{pan.replace(' ', '')}@example.org"),
        sale(request_id="4111111111111111"),
        sale(payment=TerminalPayment("visa", "1111", pan, "T-01")),
        sale(payment=CompPayment(f"card {pan}", "Sam")),
    ]
    for request in bad:
        with pytest.raises(BoxOfficeError) as info:
            await office.sell("dev-1", request)
        assert info.value.code is SaleCode.CARD_NUMBER_REFUSED
        assert "4111" not in str(info.value)
    receipt, _ = await office.sell("dev-1", sale())
    with pytest.raises(BoxOfficeError) as info:
        await office.void("dev-1", receipt["sale_id"], f"customer card {pan}")
    assert info.value.code is SaleCode.CARD_NUMBER_REFUSED
    await client.close()  # the writer folds the WAL into the file
    raw = config.ledger_path.read_bytes()
    assert b"4111111111111111" not in raw and pan.encode() not in raw
    assert b"req-00000001" in raw  # the sale that was fine is there
