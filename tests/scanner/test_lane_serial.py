"""Serial / CDC-ACM scanner lane over a real pseudo-terminal: bytes in → verdicts in the ledger.

The pty's slave end is a real tty that pyserial opens like /dev/ttyACM0; the test writes
what a scanner would to the master end. A symlink stands for /dev/serial/by-id/…, so
"replugging" is a new pty behind the same name, as udev does it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from demo.event import DemoEvent
from edge_agent.runtime import AgentRuntime
from scanner.inputs.serial import SerialInput
from tests.lane_helpers import config_with, eventually, fake_output, scan_rows, signals

pytestmark = pytest.mark.integration

LANE = """
[[lanes]]
id = "lane-1"
  [[lanes.inputs]]
  id = "acm-1"
  type = "serial"
  port = "{port}"
  baud = 115200
  framing = "{framing}"
  reconnect_min_ms = 10
  reconnect_max_ms = 50
  [[lanes.outputs]]
  id = "lights-1"
  type = "fake"
"""


def plug_pty(link: Path) -> int:
    """A new pty behind ``link``; returns the master fd (the scanner's end)."""
    master, slave = os.openpty()
    name = os.ttyname(slave)
    os.close(slave)  # the agent opens its own handle on the slave end
    link.unlink(missing_ok=True)
    link.symlink_to(name)
    return master


def serial_input(rt: AgentRuntime) -> SerialInput:
    lane = rt.lanes.lane("lane-1")
    assert lane is not None and isinstance(lane.inputs[0], SerialInput)
    return lane.inputs[0]


@pytest.mark.parametrize(
    ("framing", "frame"),
    [("cr", b"%s\r"), ("crlf", b"%s\r\n"), ("stx_etx", b"\x02%s\x03"), ("hex:1d", b"%s\x1d")],
)
async def test_codes_from_a_serial_scanner_get_real_verdicts(
    event: DemoEvent, tmp_path: Path, framing: str, frame: bytes
) -> None:
    link = tmp_path / "usb-Honeywell_Scanner-if00"
    master = plug_pty(link)
    config = config_with(event, LANE.format(port=link, framing=framing))
    rt = await AgentRuntime.start(config)
    try:
        await eventually(lambda: serial_input(rt).health.connected)
        codes = [event.valid[0], next(iter(event.revoked)), event.valid[0]]
        stream = b"".join(frame % c.encode() for c in codes)
        os.write(master, stream[:7])  # a code split across reads
        os.write(master, stream[7:])
        assert await signals(fake_output(rt, "lane-1"), 2) == ["admit", "refuse"]
        rows = scan_rows(config)
        assert [r[:3] for r in rows] == [("lane-1", "acm-1", "serial")] * 2  # 3rd: debounced
        assert rows[0][5] == "admitted"
    finally:
        await rt.stop()
        os.close(master)


async def test_unplugged_serial_scanner_is_reported_and_reopened(
    event: DemoEvent, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    link = tmp_path / "usb-Honeywell_Scanner-if00"
    master = plug_pty(link)
    config = config_with(event, LANE.format(port=link, framing="cr"))
    rt = await AgentRuntime.start(config)
    try:
        lights = fake_output(rt, "lane-1")
        await eventually(lambda: serial_input(rt).health.connected)
        os.write(master, event.valid[0].encode() + b"\r")
        await signals(lights, 1)
        with caplog.at_level(logging.WARNING, logger="scanner.inputs.serial"):
            os.close(master)  # the cable is pulled
            link.unlink()
            await eventually(lambda: not serial_input(rt).health.connected)
        assert any("lost" in r.getMessage() for r in caplog.records)
        assert rt.lanes.status()[0]["inputs"][0]["connected"] is False
        master = plug_pty(link)  # plugged back in
        await eventually(lambda: serial_input(rt).health.connected)
        os.write(master, event.valid[1].encode() + b"\r")
        assert await signals(lights, 2) == ["admit", "admit"]
        assert [r[5] for r in scan_rows(config)] == ["admitted", "admitted"]
    finally:
        await rt.stop()
        os.close(master)
