"""The demo's camera lane: a file-replay camera plays pictures of rendered demo tickets
(a valid one, another, a refunded and a forged one, then the first again), decoded by the
same camera pipeline a real camera uses; its verdicts print as they come (tagged
``cam``), with the lane's signal."""

from __future__ import annotations

import asyncio
import contextlib

from demo.event import DemoEvent
from demo.printing import iso_time, print_verdict
from edge_agent.cli.run_cmd import RunningAgent
from edge_agent.config.loading import load_config
from edge_agent.gate.lanes import signal_for
from edge_agent.gate.pipeline import ScanResult
from scanner.reads import CodeRead


class CameraWatch:
    """Prints the camera lane's verdicts as they come (they interleave with the HTTP
    stream, as a second lane would at a real gate) and tells when all have come."""

    def __init__(self, agent: RunningAgent, script: list[tuple[str, str]], colour: bool) -> None:
        self.seen: list[ScanResult] = []
        self.done = asyncio.Event()
        self._expected = len(script)
        self._labels: dict[str, list[str]] = {}  # a code shown twice has two labels
        for label, code in script:
            self._labels.setdefault(code, []).append(label)
        self._colour = colour
        lane = agent.runtime.lanes.lane("camera-lane")
        if lane is None or not script:
            self.done.set()
        else:
            lane.listeners.append(self._show)

    def _show(self, result: ScanResult, read: CodeRead) -> None:
        self.seen.append(result)
        d = result.decision
        labels = self._labels.get(read.text) or ["camera read"]
        label = f"{labels.pop(0) if len(labels) > 1 else labels[0]} → {signal_for(result)}"
        at = iso_time(result.at_ms)
        print_verdict(
            "cam", d.outcome.value, d.reason.value, label, d.message, at, None, self._colour,
            d.event_id,
        )  # fmt: skip
        if len(self.seen) >= self._expected:
            self.done.set()

    async def wait(self, within_s: float = 20.0) -> None:
        """Give the replay time to finish (it runs beside the HTTP stream)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                await self.done.wait()


def revoked_code(ev: DemoEvent, kind: str) -> str:
    return next(code for code, k in ev.revoked.items() if k.value == kind)


CAMERA_LANE = """
# The demo's camera lane: a file-replay camera plays rendered tickets (docs/scanners.md).
[[lanes]]
id = "camera-lane"
debounce_ms = 1000
  [[lanes.inputs]]
  id = "cam-1"
  type = "camera"
  camera = "replay"
  path = "{path}"
  fps = 20.0
  image_seconds = 0.4
  loop = false
"""


def camera_script(ev: DemoEvent) -> list[tuple[str, str]]:
    """(what it is, code) shown to the camera, in order; the last one comes back after it
    has been out of view longer than the lane's debounce window, so it is judged again."""
    first, second = ev.valid[-1], ev.valid[-2]  # never used by the HTTP stream
    return [
        ("valid ticket", first),
        ("valid ticket on a phone", second),
        ("refunded ticket", revoked_code(ev, "refunded")),
        ("forged ticket", ev.forged[-1]),
        ("first ticket again", first),
    ]


def add_camera_lane(ev: DemoEvent) -> list[tuple[str, str]]:
    """Render the camera's pictures and add its lane to the demo config."""
    from scanner.decoders.render import render_code_frames  # OpenCV: only when the demo wants it

    script = camera_script(ev)
    frames = ev.root / "camera"
    render_code_frames([code for _, code in script], frames)
    with ev.config_path.open("a") as f:
        f.write(CAMERA_LANE.format(path=frames))
    ev.config = load_config(ev.config_path)
    return script
