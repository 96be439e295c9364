"""A door sale paid by external card terminal, end to end through the real API: a lease
from a real reference platform, a sale with a ``terminal`` payment, the ticket scanned
at the gate, the rows uploaded, then the pack from the agent (CLI and the LAN route the
TUI uses) and from the platform — each verified, its HTML parsed — and altered sale
fields caught by ``edge-agent evidence verify``, naming the sale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edge_agent.api.app import create_app
from edge_agent.devices.roles import Role
from edge_agent.evidence.core.canonical import PackSignature, canonical_json, parse_canonical
from edge_agent.evidence.files import write_pack_files
from tests.edge_agent.boxoffice.agent import box_office_config, call, cash_sale
from tests.edge_agent.evidence.test_platform_packs import platform_trust
from tests.edge_agent.evidence.tools import BIN, html_conclusions, run_cli
from tests.helpers import AiohttpClient, pair, runtime_of
from tests.platform_fixture import running_platform

pytestmark = pytest.mark.integration

AGENT = BIN / "edge-agent"
CARD = {"method": "terminal", "brand": "visa", "last4": "4242", "auth_ref": "A1B2C3",
        "terminal_id": "T-01"}  # fmt: skip


def _door_sale(pack: dict[str, Any]) -> dict[str, Any]:
    [sale] = pack["sales"]
    return sale


def _check_sale(pack: dict[str, Any], order_id: str, ticket_id: str, gate: str) -> None:
    sale = _door_sale(pack)
    assert (sale["kind"], sale["order_id"], sale["agent_id"]) == ("sale", order_id, "door-a")
    assert (sale["method"], sale["card_brand"], sale["card_last4"]) == ("terminal", "visa", "4242")
    assert (sale["auth_ref"], sale["terminal_id"], sale["amount_cents"]) == ("A1B2C3", "T-01", 4500)
    assert sale["operator"] == "Ana" and sale["delivery_text"] == "printed"
    assert [t["ticket_id"] for t in sale["tickets"]] == [ticket_id]
    [scan] = pack["scans"]
    assert sale["tickets"][0]["code_sha256"] == scan["code_sha256"]
    [line] = pack["conclusion"]["tickets"]
    assert line["status"] == "admitted" and line["door_sale"] == sale["sale_id"]
    text = line["text"]
    assert "was sold at the door of Riverside Hall by gate box door-a" in text, text
    assert "paid by card terminal VISA ••4242 auth A1B2C3 (terminal T-01)" in text, text
    assert f"; ticket admitted at {gate}, Riverside Hall at 20" in text, text


@pytest.mark.slow
async def test_door_sale_paid_by_external_terminal(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    async with running_platform(tmp_path, gh1=0, plain=0) as platform:
        config = await box_office_config(tmp_path / "agent", platform)
        client = await aiohttp_client(create_app(config))
        boss = await pair(client, Role.SUPERVISOR)
        till = await pair(client, Role.BOX_OFFICE)
        gate = await pair(client, Role.SCANNER)
        await call(client, "POST", "/api/v1/sync/now", boss, status=200)
        await call(client, "POST", "/api/v1/boxoffice/leases", boss,
                   {"ticket_type": 1, "count": 2}, status=201)  # fmt: skip
        await call(client, "POST", "/api/v1/boxoffice/sessions", till,
                   {"operator": "Ana", "float_cents": 0}, status=201)  # fmt: skip
        body = {**cash_sale(1, 1, 0), "payment": CARD, "delivery": "print"}
        receipt = await call(client, "POST", "/api/v1/boxoffice/sales", till, body, status=201)
        order_id, [ticket] = receipt["order_id"], receipt["tickets"]
        verdict = await call(client, "POST", "/api/v1/scans", gate, {"code": ticket["code"]})
        assert verdict["reason"] == "admitted"
        signer = runtime_of(client).chain_signer
        assert signer is not None and await signer.sign_now() is not None
        for _ in range(2):  # rows first, then the checkpoint covering them
            await call(client, "POST", "/api/v1/sync/now", boss, status=200)

        # the agent's pack: the CLI (read-only ledger, agent running) ...
        out = tmp_path / "agent-pack"
        code, stdout, stderr = await run_cli(
            AGENT, "evidence", "export", "--config", config.source, "--order", order_id,
            "--out", out,
        )  # fmt: skip
        assert code == 0, stderr
        pack = json.loads((out / "evidence.json").read_bytes())
        _check_sale(pack, order_id, ticket["ticket_id"], "Gate 1")
        raw = (out / "evidence.json").read_text()
        assert ticket["code"] not in raw and "customer_email" not in raw
        conclusions, _ = html_conclusions(out / "evidence.html")
        assert conclusions[0] == pack["conclusion"]["tickets"][0]["text"]
        html = (out / "evidence.html").read_text()
        assert "Door sales and payments" in html and "A1B2C3" in html
        code, stdout, stderr = await run_cli(AGENT, "evidence", "verify", out)
        assert code == 0, stdout + stderr
        assert "1 door sale/void row(s)" in stdout and "not proven here" in stdout

        # ... and the LAN route (supervisors only) answers the same pack for the ticket
        path = f"/api/v1/tickets/{ticket['ticket_id']}/evidence"
        await call(client, "GET", path, till, status=403)
        doc = await call(client, "GET", path, boss, status=200)
        by_route = parse_canonical(doc["evidence_json"].encode())
        _check_sale(by_route, order_id, ticket["ticket_id"], "Gate 1")
        assert doc["conclusion"][0] == by_route["conclusion"]["tickets"][0]["text"]
        assert "Door sales and payments" in doc["html"]

        # the platform's pack: the door sale became an order; the same sale row
        trust = await platform_trust(platform)
        served = await platform.admin.evidence(order_id)
        platform_out = tmp_path / "platform-pack"
        write_pack_files(
            platform_out,
            served["evidence_json"].encode(),
            PackSignature.from_json_dict(served["signature"]),
        )
        platform_pack = json.loads(served["evidence_json"])
        # the platform knows gate ids, not the names staff use
        _check_sale(platform_pack, order_id, ticket["ticket_id"], "gate-1")
        assert _door_sale(platform_pack)["received_at_ms"] is not None
        assert platform_pack["order"]["payment"]["last4"] == "4242"
        (platform_out / "trust.json").write_text(json.dumps(trust))
        code, stdout, stderr = await run_cli(
            AGENT, "evidence", "verify", platform_out, "--trust", platform_out / "trust.json"
        )
        assert code == 0, stdout + stderr

    # altered sale fields fail, naming the sale (re-encoded canonically, as a forger would)
    sale_name = f"sale door-a sales seq {_door_sale(pack)['seq']}"
    edits = {
        "amount_cents": (4000, "amount_cents 4000 is not the sum"),
        "card_last4": ("42424", "card_last4 must be exactly 4 digits"),
        "auth_ref": ("ZZZZZZ", "payment_text does not say"),
    }
    for field, (value, named) in edits.items():
        altered = json.loads((out / "evidence.json").read_bytes())
        _door_sale(altered)[field] = value
        bad = tmp_path / f"bad-{field}"
        bad.mkdir()
        (bad / "evidence.json").write_bytes(canonical_json(altered))
        (bad / "evidence.json.sig").write_bytes((out / "evidence.json.sig").read_bytes())
        code, stdout, stderr = await run_cli(AGENT, "evidence", "verify", bad)
        assert code == 1, stdout
        assert f"NOT verified: {sale_name}" in stderr and named in stderr, stderr
