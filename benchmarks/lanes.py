"""Scanner to lamp: how long from a code leaving the scanner to its signal on the lane's
output, per input kind, against the pipeline alone (the baseline, measured in the same
run on the same agent). Prints one JSON object.

Inputs: an evdev-shaped fake keyboard wedge (key events through the real translator),
a serial scanner on a real pseudo-terminal, a TCP network scanner on 127.0.0.1 (to its
JSON reply line). Every code is a different valid ticket, so every scan is a durable
ledger write (fsync) — the number a gate actually waits for. Bounded: ``--codes`` per kind.
"""

# ruff: noqa: E402  (the path fix below must run before the project is imported)
from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python benchmarks/lanes.py``, this file's directory comes first on sys.path and
# ``benchmarks/sync.py`` would shadow the ``sync`` package; the checkout goes on instead,
# for ``benchmarks._stack``.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable

from benchmarks._stack import percentile
from demo.event import make_demo_event
from edge_agent.cli.manifest_cmd import import_manifest
from edge_agent.config.loading import load_config
from edge_agent.devices.registry import Device
from edge_agent.devices.roles import Role
from edge_agent.devices.tokens import new_token, token_hash
from edge_agent.runtime import AgentRuntime
from hardware.fake_output import FakeOutput
from scanner.inputs.fake_evdev import FakeEvdevBus, FakeEvdevDevice
from scanner.inputs.serial import SerialInput
from scanner.inputs.tcp import TcpInput

LANES = """
[[lanes]]
id = "usb"
  [[lanes.inputs]]
  id = "usb-1"
  type = "evdev"
  name = "bench"
  [[lanes.outputs]]
  id = "usb-lights"
  type = "fake"
[[lanes]]
id = "serial"
  [[lanes.inputs]]
  id = "acm-1"
  type = "serial"
  port = "{tty}"
  framing = "cr"
  [[lanes.outputs]]
  id = "serial-lights"
  type = "fake"
[[lanes]]
id = "tcp"
  [[lanes.inputs]]
  id = "tcp-1"
  type = "tcp"
  port = 0
  [[lanes.outputs]]
  id = "tcp-lights"
  type = "fake"
"""


def stats(ms: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(ms), 3),
        "p99_ms": round(percentile(ms, 0.99), 3),
    }


async def timed(codes: list[str], send: Callable[[str], Awaitable[None]]) -> list[float]:
    out = []
    for code in codes:
        t0 = time.perf_counter()
        await send(code)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def lights(rt: AgentRuntime, lane_id: str) -> FakeOutput:
    lane = rt.lanes.lane(lane_id)
    assert lane is not None
    output = lane.outputs[0]
    assert isinstance(output, FakeOutput)
    return output


async def main_async(n: int) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="gatehouse-lanes-"))
    ev = make_demo_event(root, tickets=4 * n + 10, now_s=int(time.time()), rng=random.Random(1))
    await import_manifest(ev.config, ev.manifest)
    master, slave = os.openpty()
    tty = os.ttyname(slave)
    os.close(slave)
    ev.config_path.write_text(ev.config_path.read_text() + LANES.format(tty=tty))
    config = load_config(ev.config_path)
    bus = FakeEvdevBus()
    keyboard = bus.plug(FakeEvdevDevice("/dev/input/event7", "bench scanner"))
    rt = await AgentRuntime.start(config, evdev_source=bus)
    try:
        codes = iter(ev.valid)
        batch = [[next(codes) for _ in range(n)] for _ in range(4)]

        async def pipeline(code: str) -> None:
            await rt.pipeline.scan(code, lane="bench", device_id="bench", device_kind="bench")

        usb = lights(rt, "usb")

        async def wedge(code: str) -> None:
            keyboard.type_code(code)
            await usb.wait_for(len(usb.records) + 1)

        ser = lights(rt, "serial")

        async def serial(code: str) -> None:
            os.write(master, code.encode() + b"\r")
            await ser.wait_for(len(ser.records) + 1)

        token = new_token()
        rt.devices.add(Device("bench-phone", "bench", Role.SCANNER, 0), token_hash(token))
        lane_inputs = {lane.id: lane.inputs[0] for lane in rt.lanes.lanes}
        tcp_input, serial_input = lane_inputs["tcp"], lane_inputs["serial"]
        assert isinstance(tcp_input, TcpInput)
        assert isinstance(serial_input, SerialInput)
        async with asyncio.timeout(10):
            await tcp_input.listening.wait()
        await asyncio.sleep(0.5)  # the wedge and the serial port open (a few ms each)
        assert keyboard.grabbed
        assert serial_input.health.connected
        assert tcp_input.bound is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", tcp_input.bound[1])
        writer.write(f"AUTH {token}\n".encode())
        await reader.readline()

        async def tcp(code: str) -> None:
            writer.write(code.encode() + b"\n")
            reply = json.loads(await reader.readline())
            assert reply["reason"] == "admitted", reply

        async with asyncio.timeout(30 + n):
            result = {
                "pipeline_baseline": stats(await timed(batch[0], pipeline)),
                "usb_wedge": stats(await timed(batch[1], wedge)),
                "serial_pty": stats(await timed(batch[2], serial)),
                "tcp_loopback": stats(await timed(batch[3], tcp)),
            }
        writer.close()
        assert all(r == "admit" for o in (usb, ser) for r in o.signals)
    finally:
        await rt.stop()
        os.close(master)
    base = result["pipeline_baseline"]["median_ms"]
    return {
        "benchmark": "lanes",
        "codes_per_kind": n,
        **result,
        "overhead_median_ms": {
            k: round(v["median_ms"] - base, 3)
            for k, v in result.items()
            if k != "pipeline_baseline"
        },
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--json", action="store_true", help="print one JSON object (default)")
    p.add_argument("--short", action="store_true", help="30 codes per kind instead of --codes")
    p.add_argument("--codes", type=int, default=300)
    args = p.parse_args()
    n = 30 if args.short else args.codes
    json.dump(asyncio.run(main_async(n)), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
