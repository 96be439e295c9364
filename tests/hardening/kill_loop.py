"""SIGKILL loop: kills at random moments under 200 scans/s from several devices, a restart
after each. Every answered verdict's row must be in the ledger, no ticket admitted
twice, the chain verified; each round's restart time (spawn → listening) is a figure."""

from __future__ import annotations

import asyncio
import random
import statistics
from pathlib import Path

import aiohttp

from tests.hardening.common import Agent, Load, Outcome, demo_event, ledger_verdicts, percentile


async def run(work: Path, heavy: bool) -> Outcome:
    kills, rate, devices = (50, 200.0, 4) if heavy else (2, 100.0, 3)
    rng = random.Random(1717)
    ev = await demo_event(work / "event", tickets=3000 if heavy else 300)
    codes = ev.valid
    answered: list[dict[str, object]] = []
    restarts: list[float] = []
    failed = 0
    headers: list[dict[str, str]] = []
    for _ in range(kills):
        agent = await asyncio.to_thread(Agent, ev.config_path)
        restarts.append(agent.ready_s)
        if not headers:  # tokens live in the ledger: paired once, valid after restarts
            async with aiohttp.ClientSession() as http:
                headers = [await agent.pair(http) for _ in range(devices)]
        load = Load(agent.url, headers, codes, rate)
        stop = asyncio.Event()
        task = asyncio.create_task(load.run(stop, rng))
        await asyncio.sleep(rng.uniform(0.3, 1.5))
        await asyncio.to_thread(agent.kill)  # mid-stream: requests are in flight
        stop.set()
        await task
        answered += load.answered
        failed += load.failed
    final = await asyncio.to_thread(Agent, ev.config_path)
    assert final.stop() == 0
    figures = ledger_verdicts(ev.config.ledger_path, "demo-gate-box", answered)
    figures.update(kills=kills, offered_per_s=rate, devices=devices,
                   unanswered_in_flight=failed,
                   restart_median_s=round(statistics.median(restarts), 2),
                   restart_max_s=round(max(restarts), 2),
                   restart_p90_s=percentile(restarts, 0.9))  # fmt: skip
    ok = (
        figures["answered_in_ledger"] == figures["answered"] > 0
        and figures["double_admissions"] == 0
        and figures["chain_ok"] is True
    )
    return Outcome("SIGKILL loop", kills, ok, figures)
