"""What a camera is to the rest of the agent: something that hands out frames.

A camera lane only needs "give me the next picture" and "are you still there?", so every
backend (OpenCV capture of a USB/CSI/IP camera, the file-replay camera used by tests and
the demo) has the same three blocking methods. Blocking is deliberate: frame grabbing and
decoding run in a worker thread of the camera input (``scanner/inputs/camera.py``), never
on the event loop, so a slow or hung camera cannot delay a verdict at another lane.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias

import numpy.typing as npt

from hardware.errors import HardwareError
from hardware.health import DeviceHealth

Frame: TypeAlias = npt.NDArray[Any]
"""One picture: H×W (gray) or H×W×3 (BGR) ``uint8``, as OpenCV hands them out. (Typed
loosely because OpenCV's stubs type every image as "some integer or float array".)"""


class CameraError(HardwareError):
    """A camera cannot be opened or stopped delivering frames (unplugged, stream down).

    The camera input treats it as "lost": health goes to disconnected and it tries again
    with backoff. It is never a reason to stop the agent.
    """


class Camera(Protocol):
    """One frame source. Not thread-safe: one worker thread owns it."""

    id: str
    health: DeviceHealth

    def open(self) -> None:
        """Connect to the device (or file); raises :class:`CameraError` if it is not there."""
        ...

    def read(self) -> Frame | None:
        """Block until the next frame and return it (BGR or gray).

        ``None`` means "no frame this time" (a dropped frame, or a replay that has ended
        and does not loop); :class:`CameraError` means the device is gone and must be
        reopened.
        """
        ...

    def close(self) -> None:
        """Release the device; safe to call twice or after a failed ``open``."""
        ...
