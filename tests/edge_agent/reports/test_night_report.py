"""A night at a real agent with a real platform — gate scans, a re-entry, refusals, door
sales paid three ways, a void, a comp, a till closed short — then the night report
(text, JSON, PDF) and the exports say exactly that."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from edge_agent.api.app import create_app
from edge_agent.config.loading import load_config
from edge_agent.devices.roles import Role
from edge_agent.reports.exports import export_table
from edge_agent.reports.night import night_report
from edge_agent.reports.render import render_pdf, render_text
from edge_agent.runtime import wall_clock_ms
from tests.agent_process import cli
from tests.edge_agent.boxoffice.agent import box_office_config, call, cash_sale
from tests.helpers import AiohttpClient, pair
from tests.platform_fixture import PlatformFixture, running_platform

pytestmark = pytest.mark.integration


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=6, plain=0) as fixture:
        yield fixture


async def a_night(client: Any, platform: PlatformFixture) -> None:
    boss, till = await pair(client, Role.SUPERVISOR), await pair(client, Role.BOX_OFFICE)
    gate = await pair(client, Role.SCANNER)
    await call(client, "POST", "/api/v1/sync/now", boss, status=200)
    codes = [t.code for t in platform.gh1_tickets]
    for code in codes[:3]:
        await call(client, "POST", "/api/v1/scans", gate, {"code": code}, status=200)
    await call(client, "POST", "/api/v1/scans", gate, {"code": codes[0]}, status=200)  # twice
    await call(client, "POST", "/api/v1/scans", gate, {"code": "GH1:forged"}, status=200)
    out = {"code": codes[1], "direction": "out"}
    await call(client, "POST", "/api/v1/scans", gate, out, status=200)
    await call(client, "POST", "/api/v1/scans", gate, {"code": codes[1]}, status=200)

    await call(client, "POST", "/api/v1/boxoffice/sessions", till,
               {"operator": "Ana", "float_cents": 10_000}, status=201)  # fmt: skip
    await call(client, "POST", "/api/v1/boxoffice/leases", boss,
               {"ticket_type": 1, "count": 6}, status=201)  # fmt: skip
    cash = await call(client, "POST", "/api/v1/boxoffice/sales", till,
                      cash_sale(1, 2, 10_000), status=201)  # fmt: skip
    card = {"method": "terminal", "brand": "visa", "last4": "4242", "auth_ref": "A1B2C3",
            "terminal_id": "T-01"}  # fmt: skip
    await call(client, "POST", "/api/v1/boxoffice/sales", till,
               {**cash_sale(1, 1, 0), "payment": card}, status=201)  # fmt: skip
    await call(client, "POST", "/api/v1/boxoffice/sessions", boss,
               {"operator": "Sam", "float_cents": 0}, status=201)  # fmt: skip
    comp = {"method": "comp", "reason": "artist guest", "supervisor": "Sam"}
    await call(client, "POST", "/api/v1/boxoffice/sales", boss,
               {**cash_sale(1, 1, 0), "payment": comp}, status=201)  # fmt: skip
    first = cash["tickets"][0]["code"]
    await call(client, "POST", "/api/v1/scans", gate, {"code": first}, status=200)
    await call(client, "POST", f"/api/v1/boxoffice/sales/{cash['sale_id']}/void", till,
               {"reason": "wrong type"}, status=200)  # fmt: skip
    await call(client, "POST", "/api/v1/scans", gate, {"code": first}, status=200)  # voided
    await call(client, "POST", "/api/v1/boxoffice/sessions/current/close", till,
               {"counted_cents": 9_500}, status=200)  # fmt: skip


async def test_the_night_report_tells_the_night(
    tmp_path: Path, platform: PlatformFixture, aiohttp_client: AiohttpClient
) -> None:
    config = await box_office_config(tmp_path / "agent", platform)
    config.source.write_text(config.source.read_text() + "\n[policy]\nreentry = true\n")
    config = load_config(config.source)
    client = await aiohttp_client(create_app(config))
    await a_night(client, platform)

    r = night_report(config, wall_clock_ms())  # while the agent runs (read-only)
    assert r.admitted_tickets == 4  # three online tickets + one door-sold
    assert sum(r.admissions_by_ticket_type.values()) == 4
    assert sum(r.admissions_by_hour.values()) == 4 and r.admissions_by_gate == {"gate-1": 4}
    assert r.reentries == 1 and r.exits == 1
    assert r.refusals_by_reason == {"already_admitted": 1, "malformed": 1, "refunded": 1}
    # known: 6 online + 4 door-sold, less the 2 voided (revoked) = 8; 4 admitted,
    # of which the voided one no longer counts as a known ticket
    assert r.known_tickets == 8 and r.no_shows == 8 - 3
    assert r.door_sales_by_payment == {
        "cash": {"sales": 1, "tickets": 2, "amount_cents": 9000},
        "comp": {"sales": 1, "tickets": 1, "amount_cents": 0},
        "terminal": {"sales": 1, "tickets": 1, "amount_cents": 4500},
    }
    assert r.door_takings_cents == 4500  # the cash sale was voided
    ana, sam = r.tills
    assert (ana.operator, ana.state, ana.expected_cents, ana.difference_cents) == (
        "Ana", "short", 10_000, -500,
    )  # fmt: skip
    assert sam.state == "open"
    kinds = [(a.kind, a.operator, a.supervisor, a.reason) for a in r.voids_and_comps]
    assert kinds == [("comp", "Sam", "Sam", "artist guest"), ("void", "Ana", "", "wrong type")]

    text = render_text(r)
    assert "SHORT" in text and "EUR -5.00" in text and "artist guest" in text
    pdf = PdfReader(io.BytesIO(render_pdf(r)))
    pdf_text = "".join(page.extract_text() for page in pdf.pages)
    assert "Till sessions" in pdf_text and "SHORT" in pdf_text and "artist guest" in pdf_text

    out = io.StringIO()
    assert export_table(config.ledger_path, "sales", "csv", out) >= 8
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    sold = [row for row in rows if row["kind"] == "sale"]
    assert len(sold) == 3 and all('"code"' not in row["tickets"] for row in sold)
    out = io.StringIO()
    assert export_table(config.ledger_path, "scans", "json", out) == 9
    scans = json.loads(out.getvalue())
    assert [s["seq"] for s in scans] == list(range(1, 10)) and "chain" in scans[0]

    pdf_path = tmp_path / "night.pdf"
    done = await asyncio.to_thread(
        cli, "report", "night", "--config", str(config.source), "--pdf", str(pdf_path), "--json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["admitted_tickets"] == 4
    assert pdf_path.read_bytes().startswith(b"%PDF")
    done = await asyncio.to_thread(
        cli, "report", "export", "--config", str(config.source), "--table", "scans"
    )
    assert done.returncode == 0 and done.stdout.startswith("seq,scan_id,agent_id")
