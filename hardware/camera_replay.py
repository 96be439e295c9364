"""The file-replay camera: a directory of images or a video file played back like a live
camera, at a fixed frame rate, looping or not.

Tests and the demo need a camera lane without a camera. Replaying files through the very
same :class:`~hardware.camera.Camera` interface means the worker thread, the frame-rate
limit, the duplicate-frame skip and the decoder are all exercised exactly as in a venue.
It paces itself like a real sensor: frames arrive every ``1/fps`` seconds and, when the
reader falls behind, frames are dropped rather than queued (a live camera does the same).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import cv2

from hardware.camera import CameraError, Frame
from hardware.health import DeviceHealth

#: File names a directory replay plays, in sorted order; anything else is ignored.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".tif", ".tiff"})


class ReplayCamera:
    """Plays ``path`` (a directory of images or a video file) at ``fps``.

        A directory shows each image for ``image_seconds`` (like a ticket held up to the lens
        for a moment), repeating the very same frame object at ``fps`` — so the camera input's
        duplicate-frame check sees real repeats. A video plays its frames in order, one per
    ``read`` (it slows down rather than skips if the reader lags, so no code is missed). With
        ``loop`` the replay starts over at the end; without it, ``read`` returns ``None`` (once
        a frame interval, never spinning) after the last frame.
    """

    def __init__(
        self,
        id: str,
        path: Path,
        *,
        fps: float = 30.0,
        loop: bool = True,
        image_seconds: float = 1.0,
        health: DeviceHealth | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not fps > 0:
            raise ValueError("fps must be > 0")
        if not image_seconds > 0:
            raise ValueError("image_seconds must be > 0")
        self.id = id
        self.path = path
        self.fps = fps
        self.loop = loop
        self.image_seconds = image_seconds
        self.health = health or DeviceHealth(id=id, kind="camera", type="replay")
        self._clock = clock
        self._sleep = sleep
        self._images: list[Frame] = []
        self._video: cv2.VideoCapture | None = None
        self._frame_no = 0  # frames handed out since open (the pacing clock)
        self._started = 0.0
        self._ended = False

    def open(self) -> None:
        self.close()
        if self.path.is_dir():
            self._images = self._load_images()
        elif self.path.is_file():
            video = cv2.VideoCapture(str(self.path))
            if not video.isOpened():
                video.release()
                raise CameraError(f"camera {self.id}: {self.path} is not a readable video")
            self._video = video
        else:
            raise CameraError(f"camera {self.id}: replay source {self.path} does not exist")
        self._frame_no = 0
        self._started = self._clock()
        self._ended = False

    def _load_images(self) -> list[Frame]:
        files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        images: list[Frame] = []
        for file in files:
            image = cv2.imread(str(file), cv2.IMREAD_COLOR)
            if image is None:
                raise CameraError(f"camera {self.id}: cannot read image {file}")
            images.append(image)
        if not images:
            raise CameraError(f"camera {self.id}: no images in {self.path}")
        return images

    def read(self) -> Frame | None:
        if not self._images and self._video is None:
            raise CameraError(f"camera {self.id}: read before open")
        self._wait_for_next_frame()
        if self._ended:
            return None
        frame = self._image_frame() if self._images else self._video_frame()
        if frame is None:
            self._ended = True
        return frame

    def _wait_for_next_frame(self) -> None:
        """Sleep until the next frame is due; if the reader is late, skip the frames it
        missed (the sensor does not wait for anyone) — but in a directory replay never a
        whole image: a busy test machine must not make a ticket vanish unseen."""
        elapsed = self._clock() - self._started
        due_no = self._frame_no + 1
        due_at = due_no / self.fps
        if elapsed < due_at:
            self._sleep(due_at - elapsed)
            self._frame_no = due_no
            return
        frame_no = max(due_no, math.floor(elapsed * self.fps))
        if self._images:
            per_image = self._per_image()
            next_image = (self._frame_no - 1) // per_image + 1 if self._frame_no else 0
            if (frame_no - 1) // per_image > next_image:
                frame_no = next_image * per_image + 1  # the first frame of that image
        self._frame_no = frame_no

    def _per_image(self) -> int:
        return max(1, round(self.image_seconds * self.fps))

    def _image_frame(self) -> Frame | None:
        index = (self._frame_no - 1) // self._per_image()
        if index >= len(self._images):
            if not self.loop:
                return None
            index %= len(self._images)
        return self._images[index]

    def _video_frame(self) -> Frame | None:
        assert self._video is not None
        ok, frame = self._video.read()
        if not ok and self.loop:
            self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._video.read()
        return frame if ok else None

    def close(self) -> None:
        if self._video is not None:
            self._video.release()
            self._video = None
        self._images = []
