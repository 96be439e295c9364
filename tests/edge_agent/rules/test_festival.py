"""A three-day festival with day and weekend passes, with a real agent: doors run past
midnight (01:30 still counts as the day before), a day pass says which day it is for,
entries are limited per event day, a weekend pass left "inside" overnight enters again
the next day, and a restarted agent rebuilds every day count from the ledger exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edge_agent.api.app import create_app
from edge_agent.cli.main import main
from edge_agent.devices.roles import Role
from edge_agent.runtime import AgentRuntime
from tests.edge_agent.rules.venue import Venue, make_venue, ticket_id
from tests.helpers import AiohttpClient, pair, runtime_of

pytestmark = pytest.mark.integration

FRI, SAT, SUN = "2026-07-03", "2026-07-04", "2026-07-05"
RULES = f"""\
[[events]]
event_id = 6001
name = "Riverside Festival"
doors = [
  {{ day = "{FRI}", open = "12:00", close = "02:00" }},
  {{ day = "{SAT}", open = "12:00", close = "02:00" }},
  {{ day = "{SUN}", open = "12:00", close = "23:00" }},
]
ticket_types = [
  {{ ticket_type = 1, name = "Friday pass", days = ["{FRI}"] }},
  {{ ticket_type = 2, name = "Saturday pass", days = ["{SAT}"] }},
  {{ ticket_type = 3, name = "Sunday pass", days = ["{SUN}"] }},
  {{ ticket_type = 4, name = "Weekend pass" }},
]

[[lists]]
id = "festival"
name = "Festival gates"
reentry = true
max_entries_per_day = 2
"""


def festival(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Venue:
    gate = 'lists = ["festival"]\n'
    return make_venue(tmp_path / "festival", 6001, RULES, monkeypatch, gate=gate)


async def test_day_and_weekend_passes_over_three_days(
    aiohttp_client: AiohttpClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    venue = festival(tmp_path, monkeypatch)
    fri, sat, weekend = venue.code(6001, 1), venue.code(6001, 2), venue.code(6001, 4)
    client = await aiohttp_client(create_app(venue.config))
    scanner = await pair(client, Role.SCANNER)

    async def scan(code: str, direction: str = "in", language: str = "en") -> dict[str, Any]:
        resp = await client.post(
            "/api/v1/scans",
            json={"code": code, "direction": direction},
            headers={**scanner, "Accept-Language": language},
        )
        doc: dict[str, Any] = await resp.json()
        return doc

    venue.clock.set(FRI, "11:00")
    assert (await scan(fri))["message"] == "Doors open 12:00"
    venue.clock.set(FRI, "13:00")
    refused = await scan(sat)
    assert (refused["reason"], refused["message"]) == ("wrong_day", "Day pass for Saturday")
    assert (await scan(sat, language="de"))["message"] == "Tagesticket für Samstag"
    assert (await scan(weekend))["reason"] == "admitted"
    for clock in ("14:00", "15:00"):
        venue.clock.set(FRI, clock)
        assert (await scan(weekend, "out"))["reason"] == "exited"
        again = await scan(weekend, language="de")
        if clock == "14:00":
            assert again["reason"] == "readmitted"
        else:
            assert (again["reason"], again["message"]) == (
                "day_limit",
                "Heute schon zweimal eingelassen",
            )
    venue.clock.set(SAT, "01:30")  # still Friday's night: the Friday pass gets in
    late = await scan(fri)
    assert late["reason"] == "admitted" and late["list"] == "festival"
    venue.clock.set(SAT, "13:00")  # the weekend pass never scanned out last night
    assert (await scan(weekend))["reason"] == "readmitted"
    assert (await scan(sat))["reason"] == "admitted"

    before = {t: runtime_of(client).state.admission(ticket_id(t)) for t in (fri, sat, weekend)}
    assert before[weekend] is not None and before[weekend].day == SAT
    assert (before[weekend].entries, before[weekend].day_entries) == (3, 1)
    await client.close()  # the agent stops; start it again on the same ledger
    rt = await AgentRuntime.start(venue.config)
    try:
        after = {t: rt.state.admission(ticket_id(t)) for t in (fri, sat, weekend)}
        assert after == before
        venue.clock.set(SAT, "13:05")
        again = await rt.pipeline.scan(weekend, lane="l", device_id="d", device_kind="t")
        assert again.decision.reason.value == "already_admitted"
    finally:
        await rt.stop()

    code = main(["rules", "explain", "--config", str(venue.config_path), "--at",
                 str(venue.clock.now_ms // 1000), "--json", fri])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["reason"] == "wrong_day"
    assert "decided by: the ticket type's days" in doc["trace"]
    assert any(line.startswith("list festival: covers it") for line in doc["trace"])
