"""The file-replay camera: plays images or a video like a live camera would."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hardware.camera import CameraError
from hardware.camera_opencv import OpenCVCamera, capture_source
from hardware.camera_replay import ReplayCamera
from scanner.decoders.render import render_code_frames, render_frame


class FakeClock:
    """Time that only moves when the camera sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def replay(path: Path, clock: FakeClock, **kw: object) -> ReplayCamera:
    return ReplayCamera("cam-1", path, clock=clock, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


def test_directory_plays_each_image_for_image_seconds_in_name_order(tmp_path: Path) -> None:
    files = render_code_frames(["A-1", "B-2"], tmp_path, blank_between=False)
    assert [f.name for f in files] == ["frame-0000.png", "frame-0001.png"]
    clock = FakeClock()
    cam = replay(tmp_path, clock, fps=10, image_seconds=0.3, loop=False)
    cam.open()
    frames = [cam.read() for _ in range(8)]
    first, second = cv2.imread(str(files[0])), cv2.imread(str(files[1]))
    assert all(np.array_equal(f, first) for f in frames[:3])
    assert all(np.array_equal(f, second) for f in frames[3:6])
    assert frames[0] is frames[1]  # the very same object: the input skips it cheaply
    assert frames[6] is None and frames[7] is None  # ended, no loop
    assert clock.now == pytest.approx(100.8)  # paced at 10 fps, even after the end
    cam.close()


def test_loop_starts_over_and_a_late_reader_skips_frames_but_no_image(tmp_path: Path) -> None:
    render_code_frames(["A-1", "B-2"], tmp_path, blank_between=False)
    clock = FakeClock()
    cam = replay(tmp_path, clock, fps=10, image_seconds=0.3, loop=True)  # 3 frames each
    cam.open()
    a = cam.read()  # frame 1 (A)
    clock.now += 0.55  # the reader was busy: frame 6 (the last B) is the newest
    b = cam.read()
    assert b is not a and cam._frame_no == 6  # frames 2-5 dropped, like a real sensor
    assert cam.read() is a  # frame 7: the loop starts over
    clock.now += 1.0  # frame 17 would be due (image 5); images 3 and 4 were never shown
    assert cam.read() is b  # image 3 (B), first frame: skipped frames, never a whole image
    assert cam._frame_no == 10
    before = clock.now
    assert cam.read() is a  # image 4 (A): still catching up, no sleep
    assert clock.now == before


def test_video_file_plays_every_frame_and_loops(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    levels = [40, 120, 200]
    for level in levels:
        writer.write(np.full((480, 640, 3), level, np.uint8))
    writer.release()
    clock = FakeClock()
    cam = replay(video, clock, fps=30, loop=True)
    cam.open()
    seen = [int(cam.read().mean()) for _ in range(5)]  # type: ignore[union-attr]
    assert [round(s, -1) for s in seen] == [40, 120, 200, 40, 120]
    cam.close()
    once = replay(video, clock, fps=30, loop=False)
    once.open()
    assert [once.read() is None for _ in range(4)] == [False, False, False, True]


def test_missing_or_empty_sources_are_camera_errors(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="does not exist"):
        replay(tmp_path / "nope", FakeClock()).open()
    with pytest.raises(CameraError, match="no images"):
        replay(tmp_path, FakeClock()).open()
    (tmp_path / "x.avi").write_bytes(b"not a video")
    with pytest.raises(CameraError, match="not a readable video"):
        replay(tmp_path / "x.avi", FakeClock()).open()
    with pytest.raises(CameraError, match="before open"):
        replay(tmp_path, FakeClock()).read()


def test_opencv_camera_reads_a_stream_and_reports_its_end_as_lost(tmp_path: Path) -> None:
    """OpenCV's capture on a video file: frames, then "stopped delivering" after the end
    (for a USB camera the same thing happens when it is unplugged)."""
    assert capture_source("0") == 0 and capture_source("/dev/video2") == "/dev/video2"
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    for _ in range(3):
        writer.write(render_frame(None))
    writer.release()
    cam = OpenCVCamera("cam-1", str(video))
    cam.open()
    assert all(cam.read() is not None for _ in range(3))

    def read_past_the_end() -> None:
        for _ in range(10):
            cam.read()

    with pytest.raises(CameraError, match="stopped delivering frames"):
        read_past_the_end()
    cam.close()
    cam.close()  # idempotent
    with pytest.raises(CameraError, match="cannot open"):
        OpenCVCamera("cam-2", str(tmp_path / "no-such-camera.avi")).open()
