"""A pretix series under the gate rules, against a real pretix: the box scans pretix's
list of every date, with the event's doors and a check-in list of its own (a window,
re-entry, two entries a day). pretix's codes meet those rules like any ticket — a date
is a day ticket, the VIP product's check-in attention is a `check` verdict — and the
refusals reach pretix as failed check-ins with its nearest reasons."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.pretix.gate import Gate
from tests.pretix.server import PretixServer

pytestmark = [pytest.mark.pretix, pytest.mark.integration]


def rules_config(start: datetime) -> str:
    """Doors and the list's window from the first date's start for eight hours (UTC, the
    gate's default zone); a close before the opening runs into the next day."""
    day, opening = start.date().isoformat(), start.strftime("%H:%M")
    closing = (start + timedelta(hours=8)).strftime("%H:%M")
    window = f'{{ day = "{day}", open = "{opening}", close = "{closing}" }}'
    return f"""
[gate]
lists = ["main"]

[[events]]
event_id = 1001
name = "Signed series"
doors = [{window}]

[[lists]]
id = "main"
windows = [{window}]
reentry = true
max_entries_per_day = 2
"""


async def test_pretix_codes_under_doors_a_list_with_a_day_limit_and_flags(
    pretix: PretixServer, fixtures: dict[str, Any], device_tokens: Any, tmp_path: Path
) -> None:
    ev = fixtures["events"]["series"]
    orders = ev["orders"]
    list_id = ev["lists"]["all"]  # every date of the series
    dates = {d["id"]: d for d in pretix.all_pages("/organizers/gh/events/series/subevents/")}
    start = datetime.fromisoformat(dates[ev["subevents"]["day1"]]["date_from"])
    gate = Gate(
        tmp_path / "gate", agent_id="px-rules", url=pretix.base_url, event="series",
        checkin_list=list_id,
    )  # fmt: skip
    # before [log]: the agent's harness rewrites everything after it
    text = gate.config.read_text()
    gate.config.write_text(text.replace("[log]", rules_config(start) + "\n[log]"))
    await gate.enrol(next(device_tokens))
    await gate.start()
    try:
        await gate.synced()
        alice = orders["alice"]["positions"][0]  # Day 1
        reasons = []
        for direction in ("in", "out", "in", "out", "in"):
            verdict = await gate.scan(alice["secret"], direction)
            reasons.append(verdict["reason"])
        assert reasons == ["admitted", "exited", "readmitted", "exited", "day_limit"]
        assert verdict["message"] == "Already entered twice today"
        assert verdict["list"] == "main" and verdict["credential_kind"] == "pretix_sig1"
        # a ticket for Day 2 on Day 1: pretix's list takes every date, the day rule refuses
        day2 = await gate.scan(orders["day2"]["positions"][0]["secret"])
        assert day2["reason"] == "wrong_day" and day2["message"].startswith("Day pass for ")
        # the VIP product has pretix's check-in attention: an admit staff must look at
        vip = await gate.scan(orders["vip"]["positions"][0]["secret"])
        assert (vip["outcome"], vip["reason"], vip["check"]) == ("admit", "admitted", True)
        assert vip["flags"] == {
            "flags": ["attention"],
            "note": "Wristband",
            "holder_name": "Victor VIP",
        }
        assert vip["message"] == "Welcome — admit · Attention · Wristband · Name: Victor VIP"
        await gate.synced()
        a, v = alice["id"], orders["vip"]["positions"][0]["id"]
        d2 = orders["day2"]["positions"][0]["id"]
        rows = [  # this test's tickets (the fixtures checked another one in on this list)
            r
            for r in pretix.all_pages(f"/organizers/gh/events/series/checkins/?list={list_id}")
            if r["position"] in (a, v, d2)
        ]
        ok = sorted((r["position"], r["type"]) for r in rows if r["successful"])
        assert ok == sorted([(a, "entry"), (a, "exit"), (a, "entry"), (a, "exit"), (v, "entry")])
        failed = sorted((r["position"], r["error_reason"]) for r in rows if not r["successful"])
        assert failed == sorted([(a, "rules"), (d2, "invalid_time")])
        assert await gate.conflicts() == []  # pretix's list allows entry after exit
    finally:
        await gate.stop()
