"""Camera lane from the file-replay camera: rendered tickets → decode → real verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.event import DemoEvent
from edge_agent.runtime import AgentRuntime
from scanner.decoders.render import render_code_frames
from tests.lane_helpers import config_with, fake_output, scan_rows, signals

pytestmark = pytest.mark.integration

LANE = """
[[lanes]]
id = "lane-cam"
debounce_ms = 500
  [[lanes.inputs]]
  id = "cam-1"
  type = "camera"
  camera = "replay"
  path = "{path}"
  fps = 30.0
  image_seconds = 0.3
  loop = false
  hold_ms = 200
  [[lanes.outputs]]
  id = "lights-1"
  type = "fake"
"""


async def test_camera_lane_turns_pictures_into_verdicts(event: DemoEvent, tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    shown = [event.valid[0], event.forged[0], event.valid[0]]
    render_code_frames(shown, frames)  # a blank scene between codes: each leaves the view
    config = config_with(event, LANE.format(path=frames))
    rt = await AgentRuntime.start(config)
    try:
        lights = fake_output(rt, "lane-cam")
        assert await signals(lights, 3, within_s=15) == ["admit", "refuse", "attention"]
        status = rt.lanes.status()[0]["inputs"][0]
        assert (status["id"], status["kind"], status["reads"]) == ("cam-1", "camera", 3)
    finally:
        await rt.stop()
    assert scan_rows(config) == [
        ("lane-cam", "cam-1", "camera", "in", "admit", "admitted"),
        ("lane-cam", "cam-1", "camera", "in", "refuse", "bad_signature"),
        ("lane-cam", "cam-1", "camera", "in", "refuse", "already_admitted"),
    ]
