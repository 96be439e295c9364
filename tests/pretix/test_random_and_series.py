"""pretix's random secrets (plain codes from pretix's list) and an event series whose gate
scans the check-in list of one date, against a real pretix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pretix.gate import Gate, at_ms
from tests.pretix.server import PretixServer

pytestmark = [pytest.mark.pretix, pytest.mark.integration]


async def test_random_secrets_are_looked_up_in_pretix_list(
    pretix: PretixServer, fixtures: dict[str, Any], device_tokens: Any, tmp_path: Path
) -> None:
    ev = fixtures["events"]["rnd"]
    orders = ev["orders"]
    list_id = ev["lists"]["all"]
    gate = Gate(
        tmp_path / "gate", agent_id="px-rnd", url=pretix.base_url, event="rnd", checkin_list=list_id
    )
    await gate.enrol(next(device_tokens))
    await gate.start()
    try:
        sync = await gate.synced()
        assert sync["event"]["name"] == "Random concert"
        alice = orders["alice"]["positions"][0]["secret"]
        first = await gate.scan(alice)
        assert (first["reason"], first["credential_kind"]) == ("admitted", "plain")
        assert (await gate.scan(alice + "\r\n"))["reason"] == "already_admitted"
        assert (await gate.scan(alice.upper()))["reason"] == "unknown_code"
        # random secrets are not revoked when reissued: the old one is simply unknown
        assert (await gate.scan(ev["revoked"]["old_secret"]))["reason"] == "unknown_code"
        assert (await gate.scan(ev["revoked"]["new_secret"]))["reason"] == "admitted"
        assert (await gate.scan(ev["blocked"]))["reason"] == "blocked"
        canceled = orders["canceled"]["secret_after_cancel"][0]
        assert (await gate.scan(canceled))["reason"] == "cancelled"
        assert (await gate.scan(orders["unpaid"]["positions"][0]["secret"]))["reason"] == "unpaid"
        checked = orders["to_checkin"]["positions"][0]["secret"]
        assert (await gate.scan(checked))["reason"] == "already_admitted"
        await gate.synced()
        rows = pretix.all_pages(f"/organizers/gh/events/rnd/checkins/?list={list_id}")
        mine = [r for r in rows if r["position"] == orders["alice"]["positions"][0]["id"]]
        assert [
            (r["successful"], r["type"], at_ms(r["datetime"])) for r in mine if r["successful"]
        ] == [(True, "entry", at_ms(first["at"]))]
        assert [r["error_reason"] for r in mine if not r["successful"]] == ["already_redeemed"]
        assert await gate.conflicts() == []
    finally:
        await gate.stop()


async def test_a_series_gate_admits_its_own_date_only(
    pretix: PretixServer, fixtures: dict[str, Any], device_tokens: Any, tmp_path: Path
) -> None:
    ev = fixtures["events"]["series"]
    orders = ev["orders"]
    list_id = ev["lists"]["day1"]
    gate = Gate(
        tmp_path / "gate",
        agent_id="px-series",
        url=pretix.base_url,
        event="series",
        checkin_list=list_id,
    )
    await gate.enrol(next(device_tokens))
    await gate.start()
    try:
        await gate.synced()
        day1 = await gate.scan(orders["alice"]["positions"][0]["secret"])
        assert day1["reason"] == "admitted" and day1["credential_kind"] == "pretix_sig1"
        day2 = await gate.scan(orders["day2"]["positions"][0]["secret"])
        assert day2["reason"] == "wrong_event"
        assert day2["message"] == "Ticket is for another date (Day 2)"
        saturday = await gate.scan(orders["group"]["positions"][1]["secret"])
        assert saturday["reason"] == "admitted"
        await gate.synced()
        rows = pretix.all_pages(f"/organizers/gh/events/series/checkins/?list={list_id}")
        ok = sorted(r["position"] for r in rows if r["successful"])
        assert ok == sorted(
            [orders["alice"]["positions"][0]["id"], orders["group"]["positions"][1]["id"]]
        )
        failed = [r for r in rows if not r["successful"]]
        assert [(r["error_reason"], r["position"]) for r in failed] == [
            ("invalid", orders["day2"]["positions"][0]["id"])
        ]
    finally:
        await gate.stop()
