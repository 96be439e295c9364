"""USB keyboard-wedge scanner lane: an evdev-shaped fake device → real verdicts in the ledger.

/dev/uinput is absent here, so the device is ``scanner.inputs.fake_evdev`` behind the same
``EvdevSource`` interface the real python-evdev source implements; everything after the
key events (translation, lane, debounce, pipeline, ledger, outputs) is the real code.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from demo.event import DemoEvent
from edge_agent.runtime import AgentRuntime
from scanner.inputs.fake_evdev import FakeEvdevBus, FakeEvdevDevice
from scanner.inputs.wedge import WedgeInput
from tests.lane_helpers import config_with, eventually, fake_output, scan_rows, signals

pytestmark = pytest.mark.integration

LANE = """
[[lanes]]
id = "lane-1"
debounce_ms = 1500
  [[lanes.inputs]]
  id = "usb-1"
  type = "evdev"
  name = "honeywell"
  layout = "{layout}"
  reconnect_min_ms = 10
  reconnect_max_ms = 50
  [[lanes.outputs]]
  id = "lights-1"
  type = "fake"
"""


def wedge(rt: AgentRuntime) -> WedgeInput:
    lane = rt.lanes.lane("lane-1")
    assert lane is not None and isinstance(lane.inputs[0], WedgeInput)
    return lane.inputs[0]


@pytest.mark.parametrize("layout", ["us", "de", "fr", "uk"])
async def test_scanner_typing_in_its_layout_gets_real_verdicts(
    event: DemoEvent, layout: str
) -> None:
    config = config_with(event, LANE.format(layout=layout))
    bus = FakeEvdevBus()
    bus.plug(FakeEvdevDevice("/dev/input/event3", "Logitech USB Keyboard"))  # not a match
    scanner = bus.plug(FakeEvdevDevice("/dev/input/event7", "Honeywell 1900 Keyboard"))
    rt = await AgentRuntime.start(config, evdev_source=bus)
    try:
        lights = fake_output(rt, "lane-1")
        await eventually(lambda: scanner.grabbed)  # exclusive: nothing reaches a console
        scanner.type_code(event.valid[0], layout)
        scanner.type_code(event.valid[0], layout)  # the scanner read it twice: counts once
        scanner.type_code(event.forged[0], layout)
        scanner.type_code(event.plain[0], layout)
        assert await signals(lights, 3) == ["admit", "refuse", "admit"]
        await asyncio.sleep(0.05)
        assert lights.signals == ["admit", "refuse", "admit"]
        assert scan_rows(config) == [
            ("lane-1", "usb-1", "usb", "in", "admit", "admitted"),
            ("lane-1", "usb-1", "usb", "in", "refuse", "bad_signature"),
            ("lane-1", "usb-1", "usb", "in", "admit", "admitted"),
        ]
        health = rt.lanes.status()[0]["inputs"][0]
        assert health["connected"] is True and health["reads"] == 4
        assert rt.lanes.status()[0]["debounced"] == 1
    finally:
        await rt.stop()
    assert scanner.closed and not scanner.grabbed


async def test_unplug_is_a_warning_and_replug_works(
    event: DemoEvent, caplog: pytest.LogCaptureFixture
) -> None:
    config = config_with(event, LANE.format(layout="us"))
    bus = FakeEvdevBus()
    first = bus.plug(FakeEvdevDevice("/dev/input/event7", "Honeywell 1900 Keyboard"))
    rt = await AgentRuntime.start(config, evdev_source=bus)
    try:
        lights = fake_output(rt, "lane-1")
        await eventually(lambda: first.grabbed)
        first.type_code(event.valid[1])
        await signals(lights, 1)
        with caplog.at_level(logging.WARNING, logger="scanner.inputs.wedge"):
            first.type_code("GH1:HALF-TYPED", terminator=None)  # pulled out mid-code
            first.unplug()
            await eventually(lambda: wedge(rt).health.connected is False)
        assert any("unplugged" in r.getMessage() for r in caplog.records)
        status = rt.lanes.status()[0]["inputs"][0]
        assert status["connected"] is False and "unplugged" in status["last_error"]
        # the agent is fine meanwhile: the other parts keep working
        assert rt.writer.head_seq == 1
        # plugged back in, on another node as the kernel does
        second = bus.plug(FakeEvdevDevice("/dev/input/event9", "Honeywell 1900 Keyboard"))
        await eventually(lambda: second.grabbed)
        assert wedge(rt).health.connected is True and wedge(rt).device_path == second.path
        second.type_code(event.valid[2])
        assert await signals(lights, 2) == ["admit", "admit"]
        assert [r[5] for r in scan_rows(config)] == ["admitted", "admitted"]  # no half code
    finally:
        await rt.stop()


async def test_a_device_grabbed_by_another_program_is_skipped(event: DemoEvent) -> None:
    config = config_with(event, LANE.format(layout="us"))
    bus = FakeEvdevBus()
    busy = bus.plug(FakeEvdevDevice("/dev/input/event4", "Honeywell 1900 Keyboard"))
    busy.grab()  # e.g. another lane's scanner of the same model
    free = bus.plug(FakeEvdevDevice("/dev/input/event5", "Honeywell 1900 Keyboard"))
    rt = await AgentRuntime.start(config, evdev_source=bus)
    try:
        await eventually(lambda: free.grabbed)
        assert wedge(rt).device_path == free.path
    finally:
        await rt.stop()


async def test_a_scanner_set_to_another_layout_is_refused_not_misread(event: DemoEvent) -> None:
    config = config_with(event, LANE.format(layout="de"))
    bus = FakeEvdevBus()
    scanner = bus.plug(FakeEvdevDevice("/dev/input/event7", "Honeywell 1900 Keyboard"))
    rt = await AgentRuntime.start(config, evdev_source=bus)
    try:
        await eventually(lambda: scanner.grabbed)
        scanner.type_code(event.valid[0], "us")  # the scanner is set to US, the config says de
        assert await signals(fake_output(rt, "lane-1"), 1) == ["refuse"]
        # "GH1:" arrives as "GH1Ö", so it is not even a GH1 code: an unknown plain code
        assert scan_rows(config)[0][4:] == ("refuse", "unknown_code")
    finally:
        await rt.stop()


async def test_scanner_without_suffix_ends_codes_by_a_pause(event: DemoEvent) -> None:
    lane = LANE.format(layout="uk").replace(
        'layout = "uk"', 'layout = "uk"\n  terminator = "idle"\n  idle_ms = 40'
    )
    config = config_with(event, lane)
    bus = FakeEvdevBus()
    scanner = bus.plug(FakeEvdevDevice("/dev/input/event7", "Honeywell 1900 Keyboard"))
    rt = await AgentRuntime.start(config, evdev_source=bus)
    try:
        await eventually(lambda: scanner.grabbed)
        scanner.type_code(event.valid[0], "uk", terminator=None)
        assert await signals(fake_output(rt, "lane-1"), 1) == ["admit"]
        scanner.type_code(event.forged[0], "uk", terminator=None)
        assert await signals(fake_output(rt, "lane-1"), 2) == ["admit", "refuse"]
    finally:
        await rt.stop()
    assert [r[5] for r in scan_rows(config)] == ["admitted", "bad_signature"]


async def test_a_scanner_held_by_another_program_is_reported_as_such(event: DemoEvent) -> None:
    config = config_with(event, LANE.format(layout="us"))
    bus = FakeEvdevBus()
    busy = bus.plug(FakeEvdevDevice("/dev/input/event4", "Honeywell 1900 Keyboard"))
    busy.grab()
    rt = await AgentRuntime.start(config, evdev_source=bus)
    try:
        await eventually(lambda: wedge(rt).health.errors == 1)
        assert "/dev/input/event4 held by another program" in str(wedge(rt).health.last_error)
        busy.ungrab()  # the other program lets go: the lane takes the scanner
        await eventually(lambda: wedge(rt).device_path == busy.path)
    finally:
        await rt.stop()
