"""The conflicts report (one ticket first-admitted by two agents) and the sales stream."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.ledger.records import genesis_chain, next_chain
from edge_agent.ledger.sale_records import SALE_FIELDS
from tests.helpers import scan_row
from tests.platform_fixture import EVENT_ID, PlatformFixture
from tests.reference_platform.ledger_rows import ledger_rows, upload

pytestmark = pytest.mark.integration


async def test_a_ticket_admitted_by_two_agents_is_a_conflict(
    platform: PlatformFixture, tmp_path: Path
) -> None:
    both, readmit, same_agent = (t.ticket_id for t in platform.gh1_tickets[:3])
    a_plan = {
        1: (both, "admit", "admitted"),
        2: (readmit, "admit", "admitted"),
        3: (same_agent, "admit", "admitted"),
        4: (same_agent, "admit", "admitted"),
    }
    # gate-b's last row moves same_agent's ticket into its zone: an admit, not a first
    # admission, so no conflict (issue 16)
    b_plan = {1: (readmit, "exit", "exited"), 2: (readmit, "admit", "readmitted"),
              3: (both, "admit", "admitted"), 4: (same_agent, "admit", "moved")}  # fmt: skip

    def maker(plan: dict[int, tuple[str, str, str]], prefix: str) -> Any:
        def make(i: int) -> Any:
            ticket, outcome, reason = plan[i]
            return scan_row(i, scan_id=f"{prefix}-{i}", event_id=EVENT_ID, ticket_id=ticket,
                            outcome=outcome, reason=reason)  # fmt: skip

        return make

    uploads = {}
    for agent, plan in (("gate-a", a_plan), ("gate-b", b_plan)):
        rows = await ledger_rows(tmp_path / f"{agent}.sqlite3", agent, 4, maker(plan, agent))
        uploads[agent] = (await platform.enrol(agent, Ed25519PrivateKey.generate()), rows)
    async with aiohttp.ClientSession() as session:
        for agent, (token, rows) in uploads.items():
            assert (await upload(session, platform, token, agent, rows))[0] == 200
    report = await platform.admin.conflicts(EVENT_ID)
    assert [c["ticket_id"] for c in report] == [both]
    admissions = report[0]["admissions"]
    assert {(a["agent_id"], a["scan_id"], a["seq"]) for a in admissions} == {
        ("gate-a", "gate-a-1", 1),
        ("gate-b", "gate-b-3", 3),
    }
    assert all(a["at_ms"] > 0 for a in admissions)
    # each names its gate and whether a mesh marked it unconfirmed (docs/mesh.md)
    assert all(a["gate"] == "gate-1" and a["unconfirmed"] is False for a in admissions)


def sale_rows(agent_id: str, count: int) -> list[dict[str, Any]]:
    """Session-open rows chained with the rule ``docs/sync.md`` gives for sales (values
    in ``SALE_FIELDS`` order), computed here with ``json.dumps``, independently of the
    writer's and the platform's encoder."""
    rows: list[dict[str, Any]] = []
    prev = genesis_chain(agent_id)
    for seq in range(1, count + 1):
        row: dict[str, Any] = dict.fromkeys(SALE_FIELDS)
        row.update(
            seq=seq, entry_id=f"entry-{seq}", agent_id=agent_id, at_ms=1_767_000_000_000,
            kind="session_open", session_id=f"s-{seq}", device_id="ipad-1", operator="Ana",
            amount_cents=10_000, currency="EUR",
        )  # fmt: skip
        values = [row[k] for k in SALE_FIELDS]
        canonical = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
        prev = next_chain(prev, canonical.encode("utf-8"))
        rows.append({**row, "chain": prev.hex()})
    return rows


async def test_sales_stream_is_idempotent_and_chain_checked(platform: PlatformFixture) -> None:
    token = await platform.enrol("gate-a", Ed25519PrivateKey.generate())
    rows = sale_rows("gate-a", 30)
    async with aiohttp.ClientSession() as session:
        assert await upload(session, platform, token, "gate-a", rows[:20], stream="sales") == (
            200, {"stored_through_seq": 20, "received": 20, "duplicates": 0},
        )  # fmt: skip
        assert await upload(session, platform, token, "gate-a", rows[10:30], stream="sales") == (
            200, {"stored_through_seq": 30, "received": 10, "duplicates": 10},
        )  # fmt: skip
        forged = [dict(r) for r in rows[25:30]]
        forged[0]["amount_cents"] = 1
        status, doc = await upload(session, platform, token, "gate-a", forged, stream="sales")
        assert (status, doc["error"]["code"], doc["error"]["seq"]) == (409, "chain_mismatch", 26)
        # The scans stream of the same agent is separate.
        status, doc = await upload(session, platform, token, "gate-a", [])
        assert doc["stored_through_seq"] == 0
    stored = await platform.admin.stored_rows("gate-a", "sales", limit=100)
    assert [s["row"] for s in stored] == rows


def _rechain(agent_id: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    prev = genesis_chain(agent_id)
    out = []
    for row in rows:
        values = [row[k] for k in SALE_FIELDS]
        prev = next_chain(prev, json.dumps(values, separators=(",", ":")).encode("utf-8"))
        out.append({**{k: row[k] for k in SALE_FIELDS}, "chain": prev.hex()})
    return out


async def test_a_sale_row_that_cannot_take_effect_is_a_bad_row(platform: PlatformFixture) -> None:
    token = await platform.enrol("gate-a", Ed25519PrivateKey.generate())
    base = sale_rows("gate-a", 1)[0]
    ticket = {"ticket_id": "ab" * 16, "ticket_type": 1, "lease_id": None, "unit_cents": 0,
              "code": ""}  # fmt: skip
    sale = {**base, "kind": "sale", "event_id": EVENT_ID, "sale_id": "s-1", "order_id": "DO-1",
            "tickets": json.dumps([ticket])}  # fmt: skip
    cases = [
        ({**base, "kind": "refund"}, "kind"),
        ({**sale, "order_id": None}, "order_id"),
        ({**sale, "tickets": "[{}]"}, "tickets"),
        (sale, "tickets"),  # a sold ticket without its GH1 code
    ]
    async with aiohttp.ClientSession() as session:
        for row, field in cases:
            rows = _rechain("gate-a", [row])
            status, doc = await upload(session, platform, token, "gate-a", rows, stream="sales")
            assert (status, doc["error"]["code"], doc["error"]["field"]) == (422, "bad_row", field)
    assert await platform.admin.stored_rows("gate-a", "sales") == []
