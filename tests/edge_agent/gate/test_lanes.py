"""Lanes as a whole: several lanes with their own inputs, outputs and direction; signal
mapping; a crashing input; fail-safe release; status over the real API."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import logging
from pathlib import Path
from typing import Any

import pytest

from demo.event import DemoEvent
from edge_agent.api.app import create_app
from edge_agent.cli.check_cmd import cmd_check
from edge_agent.devices.roles import Role
from edge_agent.domain.reasons import Direction
from edge_agent.gate.lanes import GateLanes, Lane
from edge_agent.runtime import AgentRuntime
from hardware.fake_output import FakeOutput
from hardware.health import DeviceHealth
from scanner.inputs.fake import FakeInput
from scanner.reads import CodeRead, Emit
from tests.helpers import AiohttpClient, pair
from tests.lane_helpers import config_with, eventually, fake_output, scan_rows, signals

pytestmark = pytest.mark.integration

TWO_LANES = """
[[lanes]]
id = "in-1"
direction = "in"
debounce_ms = 60000
  [[lanes.inputs]]
  id = "usb-in"
  type = "fake"
  [[lanes.outputs]]
  id = "lights-in"
  type = "fake"
  [[lanes.outputs]]
  id = "turnstile-in"
  type = "fake"
[[lanes]]
id = "out-1"
direction = "out"
debounce_ms = 0
  [[lanes.inputs]]
  id = "usb-out"
  type = "fake"
  device_kind = "usb"
  [[lanes.outputs]]
  id = "lights-out"
  type = "fake"
"""


def fake_input(rt: AgentRuntime, lane_id: str) -> FakeInput:
    lane = rt.lanes.lane(lane_id)
    assert lane is not None and isinstance(lane.inputs[0], FakeInput)
    return lane.inputs[0]


async def test_each_lane_has_its_own_inputs_outputs_and_direction(event: DemoEvent) -> None:
    config = config_with(event, TWO_LANES)
    rt = await AgentRuntime.start(config)
    try:
        entry, exit_ = fake_input(rt, "in-1"), fake_input(rt, "out-1")
        lights_in, turnstile_in = fake_output(rt, "in-1"), fake_output(rt, "in-1", 1)
        lights_out = fake_output(rt, "out-1")
        code = event.valid[0]
        entry.feed(code)
        assert await signals(lights_in, 1) == ["admit"]
        exit_.feed(code)
        assert await signals(lights_out, 1) == ["admit"]  # an exit opens the exit turnstile
        entry.feed(code)  # within the entry lane's window: a repeat, nothing happens
        exit_.feed(code)  # no debounce on the exit lane: judged again → not inside
        assert await signals(lights_out, 2) == ["admit", "refuse"]
        entry.feed(event.valid[1])
        entry.feed(event.expired[0])
        assert await signals(lights_in, 3) == ["admit", "admit", "refuse"]
        assert turnstile_in.signals == lights_in.signals  # every output of the lane
        assert lights_out.signals == ["admit", "refuse"]  # and only that lane's
        assert scan_rows(config) == [
            ("in-1", "usb-in", "fake", "in", "admit", "admitted"),
            ("out-1", "usb-out", "usb", "out", "exit", "exited"),
            ("out-1", "usb-out", "usb", "out", "refuse", "not_inside"),
            ("in-1", "usb-in", "fake", "in", "admit", "admitted"),
            ("in-1", "usb-in", "fake", "in", "refuse", "expired"),
        ]
    finally:
        await rt.stop()


async def test_already_admitted_needs_attention(event: DemoEvent) -> None:
    config = config_with(event, TWO_LANES.replace("debounce_ms = 60000", "debounce_ms = 0"))
    rt = await AgentRuntime.start(config)
    try:
        entry = fake_input(rt, "in-1")
        entry.feed(event.valid[0])
        entry.feed(event.valid[0])
        refunded = next(c for c, kind in event.revoked.items() if kind.value == "refunded")
        entry.feed(refunded)
        assert await signals(fake_output(rt, "in-1"), 3) == ["admit", "attention", "refuse"]
    finally:
        await rt.stop()


async def test_outputs_are_released_and_closed_on_stop(event: DemoEvent) -> None:
    rt = await AgentRuntime.start(config_with(event, TWO_LANES))
    outputs = rt.lanes.outputs()
    assert all(isinstance(o, FakeOutput) and o.releases == 1 for o in outputs)  # safe at start
    await rt.stop()
    for output in outputs:
        assert isinstance(output, FakeOutput)
        assert output.closed and output.releases >= 2


async def test_the_atexit_hook_releases_outputs_if_the_loop_dies(event: DemoEvent) -> None:
    rt = await AgentRuntime.start(config_with(event, TWO_LANES))
    lights = fake_output(rt, "in-1")
    try:
        before = lights.releases
        atexit._run_exitfuncs()  # what the interpreter does when it dies of an exception
        assert lights.releases == before + 1
    finally:
        await rt.stop()
    released = lights.releases
    atexit._run_exitfuncs()  # unregistered at a clean stop
    assert lights.releases == released


class CrashingInput:
    """Raises on its first two runs (a driver bug), then reads one code."""

    def __init__(self, code: str) -> None:
        self.id = "flaky-1"
        self.health = DeviceHealth("flaky-1", "usb", "test", connected=True)
        self.runs = 0
        self._code = code

    async def run(self, emit: Emit) -> None:
        self.runs += 1
        if self.runs <= 2:
            raise RuntimeError(f"driver bug #{self.runs}")
        await emit(CodeRead(self._code, self.id, "usb", 0))
        await asyncio.Event().wait()


async def test_a_crashing_input_is_logged_and_restarted(
    event: DemoEvent, caplog: pytest.LogCaptureFixture
) -> None:
    rt = await AgentRuntime.start(event.config)
    lights = FakeOutput("lights-1")
    flaky = CrashingInput(event.valid[4])
    steady = FakeInput("steady-1")
    lane = Lane("lane-1", Direction.IN, 1500, rt.pipeline, [lights])
    lane.inputs = [flaky, steady]
    lanes = GateLanes([lane])
    try:
        with caplog.at_level(logging.ERROR, logger="edge_agent.gate.lanes"):
            await lanes.start()
            steady.feed(event.valid[5])  # the other input is unaffected meanwhile
            assert await signals(lights, 1) == ["admit"]
            await eventually(lambda: flaky.runs == 3, within_s=10)
            assert await signals(lights, 2) == ["admit", "admit"]
        crashes = [r for r in caplog.records if "crashed" in r.getMessage()]
        assert len(crashes) == 2 and "driver bug #1" in crashes[0].getMessage()
        assert flaky.health.errors == 2 and "driver bug #2" in str(flaky.health.last_error)
    finally:
        await lanes.stop()
        await rt.stop()


async def test_status_shows_lanes_inputs_outputs_and_printer(
    aiohttp_client: AiohttpClient, event: DemoEvent
) -> None:
    extra = TWO_LANES + '\n[printer]\nid = "printer-1"\ntype = "dummy"\n'
    client = await aiohttp_client(create_app(config_with(event, extra)))
    headers = await pair(client, Role.SUPERVISOR)
    status: dict[str, Any] = await (await client.get("/api/v1/status", headers=headers)).json()
    lanes = status["lanes"]
    assert [(lane["id"], lane["direction"]) for lane in lanes] == [("in-1", "in"), ("out-1", "out")]
    assert [i["id"] for i in lanes[0]["inputs"]] == ["usb-in"]
    assert [o["id"] for o in lanes[0]["outputs"]] == ["lights-in", "turnstile-in"]
    usb_in = lanes[0]["inputs"][0]
    assert usb_in["connected"] is True and usb_in["type"] == "fake"
    assert set(usb_in) >= {"kind", "last_read_ms", "reads", "errors", "last_error"}
    assert status["printer"]["id"] == "printer-1"


async def test_no_lanes_no_printer_by_default(aiohttp_client: AiohttpClient, event) -> None:
    client = await aiohttp_client(create_app(event.config))
    headers = await pair(client, Role.SCANNER)
    status = await (await client.get("/api/v1/status", headers=headers)).json()
    assert status["lanes"] == [] and status["printer"] is None


async def test_fake_input_replays_a_file_of_codes(event: DemoEvent, tmp_path: Path) -> None:
    codes = tmp_path / "codes.txt"
    codes.write_text(f"{event.valid[0]}\n\n{event.forged[0]}\n{event.plain[0]}\n")
    extra = """
[[lanes]]
id = "lane-1"
  [[lanes.inputs]]
  id = "replay-1"
  type = "fake"
  codes_file = "../codes.txt"
  interval_ms = 5
  [[lanes.outputs]]
  id = "lights-1"
  type = "fake"
"""
    config = config_with(event, extra)  # the path is relative to the config file
    rt = await AgentRuntime.start(config)
    try:
        assert await signals(fake_output(rt, "lane-1"), 3) == ["admit", "refuse", "admit"]
    finally:
        await rt.stop()
    assert [r[5] for r in scan_rows(config)] == ["admitted", "bad_signature", "admitted"]


async def test_not_recorded_needs_attention_and_is_never_debounced(event: DemoEvent) -> None:
    rt = await AgentRuntime.start(config_with(event, TWO_LANES))
    try:
        entry, lights = fake_input(rt, "in-1"), fake_output(rt, "in-1")
        await rt.writer.close()  # the ledger can take nothing more (as on a dead disk)
        entry.feed(event.valid[0])
        entry.feed(event.valid[0])  # "scan again" must count, even inside the window
        assert await signals(lights, 2) == ["attention", "attention"]
        assert rt.pipeline.stats.not_recorded == 2
        assert rt.lanes.status()[0]["debounced"] == 0
    finally:
        await rt.stop()


def test_check_lists_lanes_and_warns_about_missing_devices(
    event: DemoEvent, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = (
        TWO_LANES
        + f"""
  [[lanes.inputs]]
  id = "acm-1"
  type = "serial"
  port = "{tmp_path / "no-such-tty"}"
"""
    )
    config_with(event, extra)
    assert cmd_check(argparse.Namespace(config=event.config_path)) == 0  # a warning only
    out = capsys.readouterr().out
    assert "lane in-1 (in): inputs usb-in (fake); outputs lights-in (fake), turnstile-in" in out
    assert "lane out-1 (out): inputs usb-out (fake), acm-1 (serial)" in out
    assert f"warn lane out-1: acm-1: {tmp_path / 'no-such-tty'} is not there now" in out


ON_A_PI = "raspberry" in (
    Path("/proc/device-tree/model").read_text(errors="replace").lower()
    if Path("/proc/device-tree/model").exists()
    else ""
)


@pytest.mark.skipif(ON_A_PI, reason="would drive the real GPIO pins of this Pi")
@pytest.mark.filterwarnings("ignore:Falling back from")  # gpiozero trying each pin library
async def test_an_output_that_cannot_start_is_reported_and_the_lane_still_judges(
    event: DemoEvent,
) -> None:
    extra = TWO_LANES.replace(
        'id = "lights-in"\n  type = "fake"', 'id = "lights-in"\n  type = "gpio"\n  green_pin = 17'
    )
    rt = await AgentRuntime.start(config_with(event, extra))  # no GPIO on this machine
    try:
        broken = rt.lanes.status()[0]["outputs"][0]
        assert (broken["id"], broken["connected"]) == ("lights-in", False)
        assert "could not start" in broken["last_error"]
        fake_input(rt, "in-1").feed(event.valid[0])
        assert await signals(fake_output(rt, "in-1", 1), 1) == ["admit"]  # the turnstile
    finally:
        await rt.stop()
