"""Camera lanes (``type = "camera"``): frames from a camera, decoded in a worker thread,
handed to the lane as :class:`~scanner.reads.CodeRead`.

A camera delivers 30 pictures a second and almost all of them show no code, or the same
code as the last one; decoding every one would burn a Raspberry Pi's CPU for nothing and
delay verdicts at the other lanes. So the worker thread:

- decodes at most ``decode_fps`` frames a second (newer frames replace older ones),
- skips frames identical to the last decoded one (a frozen stream, a replayed image),
- runs the expensive second pass (``scanner/decoders/decoder.py``) at most ``second_pass_fps``
  times a second, on frames where the first pass found nothing,
- reads a code that stays in view once: it is read again only after it has been out of
  view for ``hold_ms`` (lane debounce still applies on top).

Opening, reading and decoding all block, so they live in one thread per camera; the
event loop only receives finished reads. A camera that fails to open or stops delivering
frames is a warning and ``health.connected = False``; the worker reopens it with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from hardware.camera import Camera, CameraError, Frame
from hardware.camera_opencv import OpenCVCamera
from hardware.camera_replay import ReplayCamera
from hardware.health import DeviceHealth
from scanner.backoff import Backoff
from scanner.decoders.decoder import DecodeOptions, Decoder
from scanner.decoders.interface import DecoderUnavailable
from scanner.decoders.registry import BACKENDS
from scanner.inputs.context import InputContext
from scanner.reads import CodeRead, Emit

log = logging.getLogger(__name__)

CAMERA_TYPES = ("opencv", "replay")


@dataclass(frozen=True)
class CameraOptions:
    #: ``opencv`` (a USB/CSI camera, a network stream or a video file) or ``replay``
    #: (a directory of images or a video file, played at ``fps``: tests and the demo).
    camera: str = "opencv"
    #: opencv: a camera index (``"0"``), a device path (``/dev/video2``), a stream URL
    #: (``rtsp://…``) or a video file.
    device: str = "0"
    #: replay: a directory of images (played in name order) or a video file; a relative
    #: path is relative to the config file's folder.
    path: Path | None = None
    #: Requested capture size and rate (the driver picks its nearest mode); replay: ``fps``.
    width: int = 640
    height: int = 480
    fps: float = 30.0
    #: replay: start over at the end; and how long each image of a directory stays in view.
    loop: bool = True
    image_seconds: float = 1.0
    #: Decode at most this many frames a second (CPU budget; 10 is plenty for a walk-up gate).
    decode_fps: float = 10.0
    #: The second pass (repairs for blur, glare, low light…) at most this often; 0 = never.
    second_pass_fps: float = 2.0
    #: A code that stays in view is read once; again only after this long out of view.
    hold_ms: int = 1000
    #: Barcode formats to read (zxing-cpp names). QR only by default: fewer false reads.
    formats: tuple[str, ...] = ("QRCode",)
    #: ``zxing`` (zxing-cpp) or ``zbar`` (pyzbar; needs ``apt-get install libzbar0``).
    decoder: str = "zxing"
    #: Only decode this part of the frame: ``[x, y, w, h]`` as fractions (0..1).
    roi: tuple[float, ...] | None = None
    #: Shrink frames whose longer side exceeds this many pixels before decoding.
    max_side: int | None = None
    reconnect_min_ms: int = 500
    reconnect_max_ms: int = 10_000

    def __post_init__(self) -> None:
        if self.camera not in CAMERA_TYPES:
            raise ValueError(f"camera: expected one of {', '.join(CAMERA_TYPES)}")
        if self.camera == "replay" and self.path is None:
            raise ValueError("path: a replay camera needs a directory of images or a video")
        if self.camera == "opencv" and not self.device:
            raise ValueError("device: expected a camera index, device path or URL")
        if not (16 <= self.width <= 8192 and 16 <= self.height <= 8192):
            raise ValueError("width/height: expected 16..8192 pixels")
        if not 0 < self.fps <= 240:
            raise ValueError("fps: expected a number in (0, 240]")
        if not self.image_seconds > 0:
            raise ValueError("image_seconds: must be > 0")
        if not 0 < self.decode_fps <= 120:
            raise ValueError("decode_fps: expected a number in (0, 120]")
        if not 0 <= self.second_pass_fps <= self.decode_fps:
            raise ValueError("second_pass_fps: expected 0..decode_fps")
        if not 0 <= self.hold_ms <= 600_000:
            raise ValueError("hold_ms: expected 0..600000")
        if self.decoder not in BACKENDS:
            raise ValueError(f"decoder: expected one of {', '.join(BACKENDS)}")
        if not 1 <= self.reconnect_min_ms <= self.reconnect_max_ms <= 600_000:
            raise ValueError("reconnect_min_ms/reconnect_max_ms: expected 1 <= min <= max")
        self.decode_options()  # checks formats, roi, max_side

    def decode_options(self) -> DecodeOptions:
        return DecodeOptions(
            formats=self.formats,
            backend=self.decoder,
            roi=self.roi,
            max_side=self.max_side,
            second_pass=self.second_pass_fps > 0,
        )


@dataclass
class CameraStats:
    """Counters of the worker thread, for tests, the benchmark and troubleshooting."""

    frames: int = 0  # frames delivered by the camera
    decoded: int = 0  # frames that went through the first pass
    skipped_same: int = 0  # identical to the previous decoded frame
    second_passes: int = 0
    codes: int = 0  # codes handed to the lane


def build_camera(input_id: str, options: CameraOptions, health: DeviceHealth) -> Camera:
    if options.camera == "replay":
        assert options.path is not None  # checked by CameraOptions
        return ReplayCamera(
            input_id,
            options.path,
            fps=options.fps,
            loop=options.loop,
            image_seconds=options.image_seconds,
            health=health,
        )
    return OpenCVCamera(
        input_id,
        options.device,
        width=options.width,
        height=options.height,
        fps=options.fps,
        health=health,
    )


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class CameraInput:
    kind = "camera"

    def __init__(
        self,
        input_id: str,
        options: CameraOptions,
        *,
        camera: Camera | None = None,
    ) -> None:
        self.id = input_id
        self.options = options
        self.health = DeviceHealth(input_id, self.kind, "camera")
        self.camera = camera or build_camera(input_id, options, self.health)
        if camera is not None:
            camera.health = self.health  # one record, whoever updates it
        self.stats = CameraStats()

    async def run(self, emit: Emit) -> None:
        try:
            decoder = Decoder(self.options.decode_options())
        except DecoderUnavailable as exc:
            # Not a crash: the lane stays up (other inputs still work) and status says why.
            log.error("%s: camera decoder unavailable: %s", self.id, exc)
            self.health.fail(str(exc), _wall_ms(), disconnected=True)
            await asyncio.Event().wait()  # until cancelled
            return
        loop = asyncio.get_running_loop()
        reads: asyncio.Queue[CodeRead] = asyncio.Queue()
        stop = threading.Event()

        def post(fn: Callable[..., Any], *args: Any) -> None:
            """Run ``fn(*args)`` on the event loop (health and the queue belong to it)."""
            try:
                loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:  # the loop is closed: the agent is shutting down
                stop.set()

        worker = threading.Thread(
            target=_Worker(self, decoder, post, reads, stop).run,
            name=f"camera-{self.id}",
            daemon=True,
        )
        worker.start()
        try:
            while True:
                read = await reads.get()
                await emit(read)
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.to_thread(worker.join, 5.0)


class _Worker:
    """The camera's thread: open with backoff, read, throttle, decode, post reads."""

    def __init__(
        self,
        owner: CameraInput,
        decoder: Decoder,
        post: Callable[..., None],
        reads: asyncio.Queue[CodeRead],
        stop: threading.Event,
    ) -> None:
        self.owner = owner
        self.camera = owner.camera
        self.options = owner.options
        self.stats = owner.stats
        self.decoder = decoder
        self.post = post
        self.reads = reads
        self.stop = stop
        self.last_seen: dict[str, float] = {}  # text → monotonic seconds last in view

    def run(self) -> None:
        opts = self.options
        backoff = Backoff(opts.reconnect_min_ms / 1000, opts.reconnect_max_ms / 1000)
        name = self.owner.id
        reported = False
        while not self.stop.is_set():
            try:
                self.camera.open()
            except (CameraError, cv2.error, OSError) as exc:
                if not reported:
                    log.warning("%s: camera not available (%s); will keep trying", name, exc)
                    self._health_fail(f"cannot open camera: {exc}")
                    reported = True
                self.camera.close()
                self.stop.wait(backoff.next_delay())
                continue
            reported = False
            backoff.reset()
            self.post(setattr, self.owner.health, "connected", True)
            log.info("%s: camera connected", name)
            try:
                self._frames()
            except (CameraError, cv2.error, OSError) as exc:
                log.warning("%s: camera lost (%s); will keep trying", name, exc)
                self._health_fail(f"camera lost: {exc}")
                reported = True
            except Exception as exc:  # a bug must cost one camera, never the agent
                log.exception("%s: camera worker error; restarting the camera", name)
                self._health_fail(f"camera error: {type(exc).__name__}: {exc}")
                reported = True
            finally:
                with contextlib.suppress(Exception):
                    self.camera.close()
            if not self.stop.is_set():
                self.stop.wait(backoff.next_delay())

    def _health_fail(self, message: str) -> None:
        self.post(_fail, self.owner.health, message, _wall_ms())

    def _frames(self) -> None:
        opts = self.options
        decode_every = 1.0 / opts.decode_fps
        second_every = 1.0 / opts.second_pass_fps if opts.second_pass_fps > 0 else None
        last_decode = last_second = float("-inf")
        last_frame: Frame | None = None
        last_found: list[str] = []
        last_done = False  # the last decoded frame had every pass it will ever get
        while not self.stop.is_set():
            frame = self.camera.read()
            if frame is None:
                continue
            self.stats.frames += 1
            now = time.monotonic()
            if now - last_decode < decode_every:
                continue
            same = last_frame is not None and (
                frame is last_frame
                or (frame.shape == last_frame.shape and np.array_equal(frame, last_frame))
            )
            if same:
                for text in last_found:  # still in view: keep it from being re-read
                    self.last_seen[text] = now
                if last_done or second_every is None or now - last_second < second_every:
                    self.stats.skipped_same += 1
                    continue
            last_decode = now
            gray = self.decoder.prepare(frame)
            if same:
                found = []  # the first pass already failed on this very picture
            else:
                found = self.decoder.first_pass(gray)
                self.stats.decoded += 1
            last_done = bool(found) or second_every is None
            if not found and second_every is not None and now - last_second >= second_every:
                last_second = now
                self.stats.second_passes += 1
                found = self.decoder.second_pass(gray)
                last_done = True
            last_frame = frame
            last_found = [d.text for d in found]
            self._emit_new(last_found, now)

    def _emit_new(self, texts: list[str], now: float) -> None:
        hold = self.options.hold_ms / 1000
        for text in texts:
            previous = self.last_seen.get(text)
            self.last_seen[text] = now
            if previous is not None and now - previous <= hold:
                continue
            self.stats.codes += 1
            read = CodeRead(text, self.owner.id, CameraInput.kind, time.monotonic_ns())
            self.post(_ok, self.owner.health, _wall_ms())
            self.post(self.reads.put_nowait, read)
        if len(self.last_seen) > 64:
            for text, seen in list(self.last_seen.items()):
                if now - seen > hold:
                    del self.last_seen[text]


def _fail(health: DeviceHealth, message: str, now_ms: int) -> None:
    health.fail(message, now_ms, disconnected=True)


def _ok(health: DeviceHealth, now_ms: int) -> None:
    health.ok(now_ms)


def make_camera_input(input_id: str, options: Any, ctx: InputContext) -> CameraInput:
    assert isinstance(options, CameraOptions)
    return CameraInput(input_id, options)
