"""Clock jumps of ±1 h while the agent runs, and a clock that starts in 1970 (a Pi without
RTC before NTP): no ticket judged expired or not-yet-valid by the wrong clock, no door
sale while the time is unknown, and the rows judged meanwhile flagged (``clock``
extension, ``docs/ledger.md``).

The real agent process reads its wall clock through ``GATEHOUSE_TEST_CLOCK_FILE``
(``edge_agent/timekeeping/wall.py``): the file holds an offset the test rewrites."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from demo.event import EVENT_ID, issue
from edge_agent.ledger.health import check_ledger
from edge_agent.timekeeping.wall import TEST_CLOCK_ENV
from tests.hardening.common import Agent, Outcome, demo_event, scan

HOUR_MS = 3_600_000


def shift(offset_file: Path, ms: int) -> None:
    offset_file.write_text(str(ms))
    time.sleep(0.05)  # the agent looks at the file every 10 ms


async def run(work: Path, heavy: bool) -> Outcome:
    ev = await demo_event(work / "event", tickets=60)
    now_s = int(time.time())
    key = ev.platform_key
    ends_soon = issue(key, EVENT_ID, 0, valid_until=now_s + 1800)  # valid 30 more minutes
    ended = issue(key, EVENT_ID, 0, valid_until=now_s - 1800)  # expired 30 minutes ago
    starts_later = issue(key, EVENT_ID, 0, valid_from=now_s + 1800)
    offset = work / "clock-offset"
    env = {TEST_CLOCK_ENV: str(offset)}
    shift(offset, 0)
    checks: dict[str, Any] = {}
    agent = await asyncio.to_thread(Agent, ev.config_path, env=env)
    async with aiohttp.ClientSession() as http:
        gate = await agent.pair(http)
        till = await agent.pair(http, "box_office")
        checks["normal"] = (await scan(http, agent.url, gate, ev.valid[0]))[1]["reason"]
        shift(offset, HOUR_MS)  # +1 h: the ticket that ends in 30 min must still admit
        checks["+1h ends_soon"] = (await scan(http, agent.url, gate, ends_soon))[1]["reason"]
        checks["+1h state"] = (await agent.status())["clock"]["state"]
        shift(offset, -HOUR_MS)  # -1 h: the ticket that ended 30 min ago must not admit
        checks["-1h ended"] = (await scan(http, agent.url, gate, ended))[1]["reason"]
        checks["-1h starts_later"] = (await scan(http, agent.url, gate, starts_later))[1][
            "reason"]  # fmt: skip
        assert agent.stop() == 0

        shift(offset, -int(time.time() * 1000) + 5_000)  # the box boots in 1970
        agent = await asyncio.to_thread(Agent, ev.config_path, env=env)
        status = await agent.status()
        checks["1970 state"] = status["clock"]["state"]
        checks["1970 alarm"] = any(a["code"] == "clock_untrusted" for a in status["alarms"])
        checks["1970 valid"] = (await scan(http, agent.url, gate, ev.valid[1]))[1]["reason"]
        checks["1970 ended"] = (await scan(http, agent.url, gate, ended))[1]["reason"]
        checks["1970 sale"] = await sale_refusal(http, agent.url, till)
        shift(offset, 0)  # NTP sets the clock
        checks["after NTP"] = (await scan(http, agent.url, gate, ev.valid[2]))[1]["reason"]
        checks["after NTP state"] = (await agent.status())["clock"]["state"]
    assert agent.stop() == 0
    flags = flagged_rows(ev.config.ledger_path)
    expected = {
        "normal": "admitted", "+1h ends_soon": "admitted", "+1h state": "held",
        "-1h ended": "expired", "-1h starts_later": "not_yet_valid", "1970 state": "estimated",
        "1970 alarm": True, "1970 valid": "admitted", "1970 ended": "expired",
        "1970 sale": "clock_unknown", "after NTP": "admitted", "after NTP state": "ok",
    }  # fmt: skip
    ok = checks == expected and flags["chain_ok"] and flags["held"] >= 3 and \
        flags["estimated"] >= 2 and flags["unflagged_after_ntp"]  # fmt: skip
    wrong = {k: v for k, v in checks.items() if expected.get(k) != v}
    return Outcome("Clock jumps ±1 h and a 1970 start", 3, ok, {**flags, "wrong": wrong},
                   [json.dumps(checks)])  # fmt: skip


async def sale_refusal(http: aiohttp.ClientSession, url: str, till: dict[str, str]) -> str:
    body = {"request_id": str(uuid.uuid4()), "items": [{"ticket_type": 0, "quantity": 1}],
            "payment": {"method": "cash", "tendered_cents": 10_000}}  # fmt: skip
    async with http.post(f"{url}/api/v1/boxoffice/sales", json=body, headers=till) as r:
        doc = await r.json()
    return str(doc.get("error", {}).get("code"))


def flagged_rows(ledger: Path) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT seq, at_ms, ext FROM scans ORDER BY seq").fetchall()
    finally:
        conn.close()
    states = [json.loads(ext)["clock"] if ext else "ok" for _, _, ext in rows]
    return {"rows": len(rows), "held": states.count("held"),
            "estimated": states.count("estimated"), "unflagged_after_ntp": states[-1] == "ok",
            "chain_ok": check_ledger(ledger, "demo-gate-box").ok}  # fmt: skip
