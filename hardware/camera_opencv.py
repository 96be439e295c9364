"""A real camera through OpenCV's ``VideoCapture``: a USB/CSI camera by index or device
path (V4L2), or a network stream by URL (RTSP/HTTP MJPEG), or a video file.

OpenCV hides the differences between those sources; what it does not do is tell us
cleanly that a camera was unplugged — ``read()`` just starts failing. So a run of failed
reads is turned into :class:`~hardware.camera.CameraError`, which the camera input treats
as "lost": health goes to disconnected and it reopens the device with backoff.
"""

from __future__ import annotations

import cv2

from hardware.camera import CameraError, Frame
from hardware.health import DeviceHealth

#: Failed reads in a row that mean "the camera is gone" rather than "one dropped frame".
LOST_AFTER_FAILED_READS = 5


def capture_source(device: str) -> int | str:
    """``"0"`` → camera index 0; anything else (``/dev/video2``, ``rtsp://…``, a file) as is."""
    return int(device) if device.isdigit() else device


class OpenCVCamera:
    """``cv2.VideoCapture`` behind the :class:`~hardware.camera.Camera` interface.

    ``width``/``height``/``fps`` are requests: drivers pick the nearest mode they have
    (and files and streams ignore them). The capture buffer is kept to one frame where
    the backend allows it, so a decode that took a while sees the newest picture, not a
    queue of stale ones.
    """

    def __init__(
        self,
        id: str,
        device: str,
        *,
        width: int | None = 640,
        height: int | None = 480,
        fps: float | None = None,
        health: DeviceHealth | None = None,
    ) -> None:
        self.id = id
        self.device = device
        self.width = width
        self.height = height
        self.fps = fps
        self.health = health or DeviceHealth(id=id, kind="camera", type="opencv")
        self._capture: cv2.VideoCapture | None = None
        self._failed_reads = 0

    def open(self) -> None:
        self.close()
        _quiet_opencv_logs()
        capture = cv2.VideoCapture(capture_source(self.device))
        if not capture.isOpened():
            capture.release()
            raise CameraError(f"camera {self.id}: cannot open {self.device!r} (plugged in?)")
        if self.width:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        if self.height:
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        if self.fps:
            capture.set(cv2.CAP_PROP_FPS, self.fps)
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._capture = capture
        self._failed_reads = 0

    def read(self) -> Frame | None:
        if self._capture is None:
            raise CameraError(f"camera {self.id}: read before open")
        ok, frame = self._capture.read()
        if ok and frame is not None:
            self._failed_reads = 0
            return frame
        self._failed_reads += 1
        if self._failed_reads >= LOST_AFTER_FAILED_READS:
            raise CameraError(
                f"camera {self.id}: {self.device!r} stopped delivering frames (unplugged?)"
            )
        return None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


_logs_quieted = False


def _quiet_opencv_logs() -> None:
    """OpenCV prints a warning to stderr for every failed open; during a reconnect loop
    that would flood the journal, and the camera input already logs one line per state
    change. Errors stay visible."""
    global _logs_quieted
    if not _logs_quieted:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        _logs_quieted = True
