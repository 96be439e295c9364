"""Venue state through the mesh: one uplink is enough for the whole venue.

Only box a talks to the (real, reference) platform. What it learns there — the
platform's keyring with the venue's certified agent keys, a refund — and what it does
— a door sale, a void — reaches boxes b and c through the venue-event stream: a
ticket bought online admits at c, the refund is refused at b and c, a ticket type's
flags (gate rules) are shown at b, a door-sold ticket admits at b and its void is
refused at b. Each box uploads only its own ledger.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from demo.event import EVENT_ID
from demo.mesh_venue import Box, MeshVenue, http_json
from demo.platform_stack import DemoPlatform
from tests.edge_agent.mesh.venue_helpers import paired_everywhere, scan, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.mesh, pytest.mark.slow]


def _revocations(box: Box, token: str) -> int:
    doc = http_json(f"{box.url}/api/v1/status", token=token)
    return int(doc["manifest"]["revocations"])


def _post(box: Box, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
    doc: dict[str, Any] = http_json(f"{box.url}{path}", body, token)
    return doc


async def test_one_uplink_serves_the_venue(tmp_path: Path) -> None:
    platform = await DemoPlatform.start(tmp_path / "platform", int(time.time() * 1000))
    venue = MeshVenue(tmp_path / "venue", 3, tickets=30)
    a, b, c = venue.boxes
    await platform.enrol(a.config_path, a.name, a.root / "data")
    try:
        await asyncio.to_thread(venue.form)
        token = await asyncio.to_thread(paired_everywhere, venue)
        online = platform.tickets
        # the platform's keyring came through box a: a ticket bought online admits at c
        await asyncio.to_thread(
            wait_for,
            lambda: scan(c, token, online[0].code).get("reason") == "admitted",
            "box-c admitting a platform ticket",
            30,
        )
        # a refund on the platform: box a syncs it, b and c refuse it within a second or so;
        # the gate rules' type flags, set just before, ride the same manifest events
        before = [await asyncio.to_thread(_revocations, x, token) for x in (b, c)]
        await platform.admin.put_ticket_type(
            EVENT_ID, 0, "General admission", 500, 4500, flags=["id_check"], note="Wristband"
        )
        await platform.admin.refund(online[1].ticket_id, "customer asked")
        t0 = time.monotonic()
        for box, n in zip((b, c), before, strict=True):
            await asyncio.to_thread(
                wait_for, lambda x=box, k=n: _revocations(x, token) > k, f"{box.name}", 30
            )
        spread = time.monotonic() - t0
        for box in (b, c):
            assert (await asyncio.to_thread(scan, box, token, online[1].code))["reason"] == (
                "refunded"
            )
        assert spread < 10  # manifest_interval_s is 1 s; the mesh adds milliseconds
        # a door sale at box a admits at box b; its void at a is refused at b
        sup = await asyncio.to_thread(venue.pair, a, "supervisor")
        lease = await asyncio.to_thread(
            _post, a, "/api/v1/boxoffice/leases", {"ticket_type": 0, "count": 5}, sup
        )
        assert "lease_id" in lease, lease
        await asyncio.to_thread(
            _post, a, "/api/v1/boxoffice/sessions", {"operator": "T", "float_cents": 0}, sup
        )
        sale = await asyncio.to_thread(
            _post,
            a,
            "/api/v1/boxoffice/sales",
            {
                "request_id": str(uuid.uuid4()),
                "items": [{"ticket_type": 0, "quantity": 2}],
                "payment": {"method": "cash", "tendered_cents": 20_000},
            },
            sup,
        )
        first, second = (t["code"] for t in sale["tickets"])
        at_b = await asyncio.to_thread(scan, b, token, first)
        assert (at_b["reason"], at_b["check"]) == ("admitted", True), at_b
        assert at_b["flags"]["flags"] == ["id_check"] and at_b["flags"]["note"] == "Wristband"
        known = await asyncio.to_thread(_revocations, b, token)
        voided = await asyncio.to_thread(
            _post, a, f"/api/v1/boxoffice/sales/{sale['sale_id']}/void", {"reason": "t"}, sup
        )
        assert voided.get("status") == "voided", voided
        await asyncio.to_thread(
            wait_for, lambda: _revocations(b, token) > known, "box-b learning the void", 15
        )
        assert (await asyncio.to_thread(scan, b, token, second))["reason"] == "refunded"
        # each box uploads its own ledger (only a has an uplink here): nothing twice
        at_a = await asyncio.to_thread(scan, a, token, online[0].code)
        assert at_a["reason"] == "already_admitted"  # admitted at c, long ago
        for _ in range(100):
            rows = await platform.stored_scan_rows("box-a")
            if rows and rows[-1]["scan_id"] == at_a["scan_id"]:
                break
            await asyncio.sleep(0.2)
        assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
        assert {r["agent_id"] for r in rows} == {"box-a"}
        assert rows[-1]["scan_id"] == at_a["scan_id"]
    finally:
        await asyncio.to_thread(venue.stop_all)
        await platform.stop()
