"""Zones with capacity, with a real agent: entering another zone moves a ticket (no exit
scan), a full zone refuses or only warns as configured, occupancy follows every move and
exit and never goes negative, a flagged ticket is a distinct verdict with its holder's
name (and its own lights), and a restart rebuilds occupancy from the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edge_agent.api.app import create_app
from edge_agent.cli.manifest_cmd import import_manifest
from edge_agent.devices.roles import Role
from edge_agent.gate.lanes import signal_for
from edge_agent.platform_link.manifest_file import parse_manifest
from edge_agent.runtime import AgentRuntime
from hardware.signals import Signal
from tests.edge_agent.rules.venue import make_venue, ticket_id
from tests.helpers import AiohttpClient, pair

pytestmark = pytest.mark.integration

RULES = """\
[[zones]]
id = "foyer"
name = "Foyer"

[[zones]]
id = "hall"
name = "Hall"
capacity = 2

[[zones]]
id = "deck"
name = "Deck"
capacity = 1
when_full = "warn"

[[lanes]]
id = "foyer-in"
zone = "foyer"

[[lanes]]
id = "hall-in"
zone = "hall"

[[lanes]]
id = "deck-in"
zone = "deck"
language = "es"
"""


async def test_moves_capacity_occupancy_flags_and_restart(
    aiohttp_client: AiohttpClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue = make_venue(tmp_path / "conference", 7001, RULES, monkeypatch)
    a, b, c, d = (venue.code(7001, 0) for _ in range(4))
    manifest = {
        "event_id": 7001,
        "tickets": [{"ticket_id": ticket_id(d), "holder_name": "Ada Lovelace",
                     "flags": ["id_check"], "note": "Speaker"}],
    }  # fmt: skip
    await import_manifest(venue.config, parse_manifest(manifest, "m.json", 0))
    venue.clock.set("2026-05-20", "09:00")
    client = await aiohttp_client(create_app(venue.config))
    scanner = await pair(client, Role.SCANNER)

    async def scan(code: str, lane: str, direction: str = "in") -> dict[str, Any]:
        body = {"code": code, "lane": lane, "direction": direction}
        resp = await client.post("/api/v1/scans", json=body, headers=scanner)
        doc: dict[str, Any] = await resp.json()
        return doc

    async def zones() -> dict[str, int]:
        status = await (await client.get("/api/v1/status", headers=scanner)).json()
        return {z["id"]: z["inside"] for z in status["admissions"]["zones"]}

    for code in (a, b, c):
        assert (await scan(code, "foyer-in"))["zone"] == "foyer"
    moved = await scan(a, "hall-in")
    assert (moved["outcome"], moved["reason"], moved["message"]) == (
        "admit",
        "moved",
        "Welcome to Hall",
    )
    assert (await scan(b, "hall-in"))["reason"] == "moved"
    full = await scan(c, "hall-in")
    assert (full["reason"], full["message"]) == ("zone_full", "Zone full (Hall)")
    assert await zones() == {"foyer": 1, "hall": 2, "deck": 0}
    assert (await scan(a, "deck-in"))["reason"] == "moved"
    warned = await scan(b, "deck-in")  # the deck only warns when full; its lane speaks Spanish
    assert warned["reason"] == "moved" and warned["check"] is True
    assert warned["message"] == "Bienvenido a Deck · Deck por encima del aforo"
    assert await zones() == {"foyer": 1, "hall": 0, "deck": 2}
    for code in (a, c):
        assert (await scan(code, "street", "out"))["reason"] == "exited"
    assert (await scan(c, "street", "out"))["reason"] == "not_inside"
    assert await zones() == {"foyer": 0, "hall": 0, "deck": 1}

    flagged = await scan(d, "foyer-in")
    assert flagged["check"] is True
    assert flagged["flags"] == {"flags": ["id_check"], "note": "Speaker",
                                "holder_name": "Ada Lovelace"}  # fmt: skip
    assert flagged["message"] == "Welcome — admit · CHECK ID · Speaker · Name: Ada Lovelace"
    await client.close()

    rt = await AgentRuntime.start(venue.config)
    try:
        assert rt.state.occupancy() == {"deck": 1, "foyer": 1}
        result = await rt.pipeline.scan(d, lane="hall-in", device_id="x", device_kind="t")
        assert result.decision.reason.value == "moved" and result.decision.needs_check
        assert signal_for(result) is Signal.CHECK
        assert rt.state.occupancy() == {"deck": 1, "hall": 1}
    finally:
        await rt.stop()
