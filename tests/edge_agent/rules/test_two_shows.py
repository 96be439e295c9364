"""A two-show evening through one door, with a real agent: a 17:00 and a 20:00 show,
each with its own doors; each code admits to its own show only while its doors are
open, in the device's language, and every scan names its event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edge_agent.api.app import create_app
from edge_agent.devices.roles import Role
from edge_agent.ledger.queries import scans_for_ticket
from tests.edge_agent.rules.venue import make_venue, ticket_id
from tests.helpers import AiohttpClient, pair, runtime_of

pytestmark = pytest.mark.integration

RULES = """\
[[events]]
event_id = 5001
name = "Matinee 17:00"
doors = [{ day = "2026-03-14", open = "16:15", close = "19:00" }]

[[events]]
event_id = 5002
name = "Evening 20:00"
doors = [{ day = "2026-03-14", open = "19:15", close = "22:30" }]
"""


async def test_each_code_admits_to_its_own_show_while_its_doors_are_open(
    aiohttp_client: AiohttpClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue = make_venue(tmp_path / "theatre", 5001, RULES, monkeypatch)
    matinee, evening, other = venue.code(5001, 0), venue.code(5002, 0), venue.code(5003, 0)
    client = await aiohttp_client(create_app(venue.config))
    scanner = await pair(client, Role.SCANNER)

    async def scan(code: str, language: str = "en", direction: str = "in") -> dict[str, Any]:
        headers = {**scanner, "Accept-Language": language}
        resp = await client.post(
            "/api/v1/scans", json={"code": code, "direction": direction}, headers=headers
        )
        assert resp.status == 200, await resp.text()
        doc: dict[str, Any] = await resp.json()
        return doc

    venue.clock.set("2026-03-14", "16:30")
    first = await scan(matinee)
    assert (first["reason"], first["event_id"]) == ("admitted", 5001)
    early = await scan(evening, "fr")
    assert (early["reason"], early["message"]) == ("doors_not_open", "Ouverture des portes à 19:15")
    assert early["language"] == "fr" and early["event_id"] == 5002

    venue.clock.set("2026-03-14", "19:20")
    late = await scan(venue.code(5001, 0))
    assert (late["reason"], late["message"]) == ("doors_closed", "Doors closed at 19:00")
    assert (await scan(evening))["reason"] == "admitted"
    assert (await scan(matinee, direction="out"))["reason"] == "exited"  # exits: any time
    assert (await scan(other))["reason"] == "wrong_event"

    status = await (await client.get("/api/v1/status", headers=scanner)).json()
    assert status["event"]["events"] == [
        {"event_id": 5001, "name": "Matinee 17:00"},
        {"event_id": 5002, "name": "Evening 20:00"},
    ]
    assert [r["event_id"] for r in status["scans"]["recent"][:3]] == [5003, 5001, 5002]
    rows = scans_for_ticket(runtime_of(client).reader, ticket_id(evening))
    assert [(s.row.event_id, s.row.reason) for s in rows] == [
        (5002, "doors_not_open"),
        (5002, "admitted"),
    ]
