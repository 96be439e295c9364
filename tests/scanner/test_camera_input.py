"""The camera input: file-replay frames → worker thread → decode → CodeReads, with the
frame-rate limit, the identical-frame skip, hold-while-in-view, and lost cameras."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from hardware.camera import CameraError, Frame
from hardware.camera_replay import ReplayCamera
from scanner.decoders.render import render_code_frames, render_frame
from scanner.errors import ScannerConfigError
from scanner.inputs.camera import CameraInput, CameraOptions
from scanner.inputs.context import InputContext
from scanner.inputs.registry import build_input, parse_input_options
from scanner.reads import CodeRead
from tests.scanner.frames import gh1_codes


async def run_until(
    camera_input: CameraInput, done: Callable[[list[CodeRead]], bool], wait_s: float = 8.0
) -> list[CodeRead]:
    """Run the input until ``done(reads)`` or ``wait_s``; then cancel it (as a lane does)."""
    reads: list[CodeRead] = []
    finished = asyncio.Event()

    async def emit(read: CodeRead) -> None:
        reads.append(read)
        if done(reads):
            finished.set()

    task = asyncio.create_task(camera_input.run(emit))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(finished.wait(), wait_s)
    assert not task.done(), "run() must not return or raise while it is not cancelled"
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return reads


def write_video(path: Path, frames: list[np.ndarray]) -> None:
    """An MJPEG AVI (what many USB cameras send), written to a temporary name and renamed
    into place, so a reader never sees half a file."""
    partial = path.with_name(path.name + ".part.avi")
    writer = cv2.VideoWriter(str(partial), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    for frame in frames:
        writer.write(frame)
    writer.release()
    partial.rename(path)


def replay_options(path: Path, **kw: object) -> CameraOptions:
    return CameraOptions(camera="replay", path=path, **kw)  # type: ignore[arg-type]


async def test_replay_emits_each_code_once_in_order(tmp_path: Path) -> None:
    codes = gh1_codes(3)
    render_code_frames(codes, tmp_path)  # code, blank, code, blank, …
    cam = CameraInput("cam-1", replay_options(tmp_path, image_seconds=0.3, loop=False))
    reads = await run_until(cam, lambda r: len(r) >= 3, wait_s=5)
    assert [r.text for r in reads] == codes
    assert {(r.input_id, r.device_kind) for r in reads} == {("cam-1", "camera")}
    assert [r.at_ns for r in reads] == sorted(r.at_ns for r in reads)
    assert cam.health.connected and cam.health.reads == 3 and cam.health.errors == 0
    # 30 fps in, at most 10 decodes a second, repeated frames skipped without decoding.
    assert cam.stats.skipped_same > 0
    assert cam.stats.decoded <= 6  # one per distinct picture: 3 codes + 3 blanks
    assert cam.stats.frames > 3 * cam.stats.decoded


async def test_a_code_held_in_view_is_read_once_and_again_after_it_left(
    tmp_path: Path,
) -> None:
    code = gh1_codes(1)[0]
    render_code_frames([code, code], tmp_path)  # A, blank, A, blank (0.4 s each)
    short_hold = CameraInput("c", replay_options(tmp_path, image_seconds=0.4, hold_ms=150))
    reads = await run_until(short_hold, lambda r: len(r) >= 2, wait_s=3)
    assert [r.text for r in reads] == [code, code]
    long_hold = CameraInput(
        "c", replay_options(tmp_path, image_seconds=0.4, hold_ms=5000, loop=False)
    )
    reads = await run_until(long_hold, lambda r: False, wait_s=1.4)  # past the second A
    assert [r.text for r in reads] == [code]


async def test_decode_rate_is_limited_on_a_live_like_stream(tmp_path: Path) -> None:
    """Frames that all differ (sensor noise) can't be skipped as identical: only the
    ``decode_fps`` limit keeps the CPU down."""
    video = tmp_path / "live.avi"
    rng = np.random.default_rng(1)
    scene = render_frame(gh1_codes(1)[0])
    noisy = [np.clip(scene + rng.normal(0, 4, scene.shape), 0, 255).astype(np.uint8)]
    write_video(video, [np.roll(noisy[0], i, axis=1) for i in range(30)])
    cam = CameraInput("cam-1", replay_options(video, fps=30, decode_fps=4, hold_ms=60_000))
    started = time.monotonic()
    reads = await run_until(cam, lambda r: False, wait_s=1.2)
    elapsed = time.monotonic() - started
    assert [r.text for r in reads] == [gh1_codes(1)[0]]  # held in view: read once
    assert cam.stats.skipped_same == 0
    assert 1 <= cam.stats.decoded <= 4 * elapsed + 1
    assert cam.stats.frames >= 3 * cam.stats.decoded


class UnplugCamera:
    """A replay camera that is "not plugged in" for its first opens and is "pulled out"
    after some frames once, then works again: the shape of a real USB camera's life."""

    def __init__(self, inner: ReplayCamera, *, absent_opens: int, frames_before_unplug: int):
        self.id = inner.id
        self.health = inner.health
        self.inner = inner
        self.absent_opens = absent_opens
        self.frames_left = frames_before_unplug
        self.opens = 0

    def open(self) -> None:
        self.opens += 1
        if self.opens <= self.absent_opens:
            raise CameraError("cannot open /dev/video0 (plugged in?)")
        self.inner.open()

    def read(self) -> Frame | None:
        if self.frames_left == 0:
            self.frames_left = -1
            raise CameraError("/dev/video0 stopped delivering frames (unplugged?)")
        self.frames_left -= 1
        return self.inner.read()

    def close(self) -> None:
        self.inner.close()


async def test_unplug_and_replug_are_health_changes_not_crashes(tmp_path: Path) -> None:
    codes = gh1_codes(2)
    render_code_frames(codes, tmp_path)
    options = replay_options(
        tmp_path, image_seconds=0.2, reconnect_min_ms=20, reconnect_max_ms=50, hold_ms=100
    )
    cam = CameraInput(
        "cam-1",
        options,
        camera=UnplugCamera(
            ReplayCamera("cam-1", tmp_path, fps=30, image_seconds=0.2),
            absent_opens=2,
            frames_before_unplug=15,
        ),
    )
    # Two full rounds of both codes: some before the unplug, the rest after the replug.
    reads = await run_until(cam, lambda r: len(r) >= 4, wait_s=6)
    camera = cam.camera
    assert isinstance(camera, UnplugCamera)
    assert len(reads) >= 4 and {r.text for r in reads} == set(codes)
    assert camera.opens == 4  # absent, absent, plugged in, replugged after the unplug
    # The unplug came after 15 frames (0.5 s: two codes at most), so reads went on after it.
    assert camera.frames_left < 0
    assert cam.health.errors == 2  # one "not available" report + one "lost"
    assert "unplugged" in (cam.health.last_error or "")
    assert cam.health.connected  # and it recovered by itself


class BrokenCamera:
    """Raises an unexpected error on every read: a bug, not an unplug."""

    def __init__(self) -> None:
        from hardware.health import DeviceHealth

        self.id = "cam-1"
        self.health = DeviceHealth("cam-1", "camera", "camera")
        self.opens = 0

    def open(self) -> None:
        self.opens += 1

    def read(self) -> Frame | None:
        raise ZeroDivisionError("bug")

    def close(self) -> None:
        pass


async def test_a_bug_in_the_camera_costs_that_camera_not_the_agent(tmp_path: Path) -> None:
    options = replay_options(tmp_path, reconnect_min_ms=10, reconnect_max_ms=20)
    cam = CameraInput("cam-1", options, camera=BrokenCamera())
    await run_until(cam, lambda r: False, wait_s=0.4)
    assert isinstance(cam.camera, BrokenCamera)
    assert cam.camera.opens >= 2  # it kept trying
    assert "ZeroDivisionError" in (cam.health.last_error or "")


async def test_opencv_camera_that_appears_later_is_picked_up(tmp_path: Path) -> None:
    """An OpenCV source that is not there yet (camera not plugged in): a warning and
    disconnected health, retried with backoff; once it exists, codes flow."""
    video = tmp_path / "cam.avi"
    code = gh1_codes(1)[0]
    cam = CameraInput(
        "cam-1",
        CameraOptions(
            camera="opencv", device=str(video), reconnect_min_ms=20, reconnect_max_ms=100
        ),
    )
    reads: list[CodeRead] = []

    async def emit(read: CodeRead) -> None:
        reads.append(read)

    task = asyncio.create_task(cam.run(emit))
    for _ in range(100):
        await asyncio.sleep(0.02)
        if cam.health.errors:
            break
    assert cam.health.errors == 1 and not cam.health.connected
    assert "cannot open" in (cam.health.last_error or "")
    write_video(video, [render_frame(code)] * 10)  # the camera is plugged in
    for _ in range(200):
        await asyncio.sleep(0.02)
        if reads:
            break
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [r.text for r in reads][:1] == [code]
    assert cam.health.reads >= 1


async def test_unavailable_decoder_is_reported_and_the_input_stays_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "pyzbar" or m.startswith("pyzbar.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyzbar", None)
    render_code_frames(["X"], tmp_path)
    cam = CameraInput("cam-1", replay_options(tmp_path, decoder="zbar"))
    reads: list[CodeRead] = []

    async def emit(read: CodeRead) -> None:
        reads.append(read)

    task = asyncio.create_task(cam.run(emit))
    await asyncio.sleep(0.2)
    assert not task.done()  # no exception out of run()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert not cam.health.connected
    assert "apt-get install libzbar0" in (cam.health.last_error or "")


def test_registry_builds_camera_inputs_with_strict_options(tmp_path: Path) -> None:
    options = parse_input_options(
        "cam-1", "camera", {"camera": "replay", "path": "frames", "roi": [0, 0, 1, 0.5]}, tmp_path
    )
    assert isinstance(options, CameraOptions) and options.roi == (0.0, 0.0, 1.0, 0.5)
    assert options.path == tmp_path.resolve() / "frames"  # relative to the config's folder
    camera_input = build_input("cam-1", "camera", options, InputContext())
    assert isinstance(camera_input, CameraInput) and camera_input.id == "cam-1"
    assert camera_input.health.kind == "camera"
    bad = [
        ({"camera": "replay"}, "path"),
        ({"camera": "usb"}, "camera"),
        ({"decode_fps": 0}, "decode_fps"),
        ({"second_pass_fps": 50}, "second_pass_fps"),
        ({"formats": ["QRCode", "Nope"]}, "Nope"),
        ({"roi": [0.5, 0.5, 0.6, 0.1]}, "roi"),
        ({"fsp": 30}, "fsp"),
        ({"width": "640"}, "width"),
    ]
    for raw, named in bad:
        with pytest.raises(ScannerConfigError, match=named):
            parse_input_options("cam-1", "camera", raw)
