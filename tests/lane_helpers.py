"""Shared by the lane tests: a demo event's config with lanes, the ledger's rows, waiting."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from demo.event import DemoEvent
from edge_agent.config.loading import load_config
from edge_agent.config.sections import Config
from edge_agent.runtime import AgentRuntime
from hardware.fake_output import FakeOutput


def config_with(event: DemoEvent, extra_toml: str) -> Config:
    """The demo event's config plus ``extra_toml`` (lanes, printer), loaded for real."""
    path = event.config_path
    path.write_text(path.read_text() + "\n" + extra_toml)
    return load_config(path)


def scan_rows(config: Config) -> list[tuple[Any, ...]]:
    """(lane, device_id, device_kind, direction, outcome, reason) of every ledger row."""
    with sqlite3.connect(config.ledger_path) as db:
        return db.execute(
            "SELECT lane, device_id, device_kind, direction, outcome, reason FROM scans "
            "ORDER BY seq"
        ).fetchall()


def fake_output(rt: AgentRuntime, lane_id: str, index: int = 0) -> FakeOutput:
    lane = rt.lanes.lane(lane_id)
    assert lane is not None
    output = lane.outputs[index]
    assert isinstance(output, FakeOutput)
    return output


async def eventually(check: Callable[[], bool], within_s: float = 5.0) -> None:
    """Poll ``check`` until true (devices reconnect on their own schedule), at most
    ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within_s} s")
        await asyncio.sleep(0.01)


async def signals(output: FakeOutput, count: int, within_s: float = 5.0) -> list[str]:
    """The output's signals once it has at least ``count`` of them."""
    async with asyncio.timeout(within_s):
        return [str(s) for s in await output.wait_for(count)]
