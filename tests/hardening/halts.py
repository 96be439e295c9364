"""A supervisor's halt survives a restart: halted with ``edge-agent gate halt``, the
agent SIGKILLed (and, heavy, stopped cleanly too), every entry after the restart is
``gate_halted`` until ``edge-agent gate resume``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.hardening.common import Agent, Outcome, cli, demo_event, scan


async def run(work: Path, heavy: bool) -> Outcome:
    ev = await demo_event(work / "event", tickets=40)
    config = str(ev.config_path)
    restarts = ["SIGKILL", "SIGTERM"] * 3 if heavy else ["SIGKILL"]
    verdicts: list[str] = []
    agent = await asyncio.to_thread(Agent, ev.config_path)
    halted = cli("gate", "halt", "--config", config, "--reason", "crowd at door 2")
    assert halted.returncode == 0, halted.stderr
    async with aiohttp.ClientSession() as http:
        headers = await agent.pair(http)
        for i, how in enumerate(restarts):
            if how == "SIGKILL":
                await asyncio.to_thread(agent.kill)
            else:
                assert await asyncio.to_thread(agent.stop) == 0
            agent = await asyncio.to_thread(Agent, ev.config_path)
            _, doc = await scan(http, agent.url, headers, ev.valid[i])
            verdicts.append(doc["reason"])
        status = cli("gate", "status", "--config", config).stdout.strip()
        resumed = cli("gate", "resume", "--config", config, "--reason", "door 2 clear")
        _, after = await scan(http, agent.url, headers, ev.valid[0])
    assert agent.stop() == 0
    ok = (
        verdicts == ["gate_halted"] * len(restarts)
        and "HALTED" in status
        and resumed.returncode == 0
        and after["reason"] == "admitted"
    )
    figures = {"restarts": len(restarts), "entries_refused_while_halted": verdicts.count(
        "gate_halted"), "after_resume": after["reason"]}  # fmt: skip
    return Outcome("Halt survives restarts", len(restarts), ok, figures, [status])
