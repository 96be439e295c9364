"""Pictures in: image files and camera frames as the 8-bit gray the decoders read."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from hardware.camera import Frame
from scanner.errors import ScannerError


def to_gray(frame: Frame) -> Frame:
    """BGR, BGRA or gray → gray (the only thing the decoders look at)."""
    if frame.ndim == 2:
        return frame
    channels = frame.shape[2]
    if channels == 1:
        return frame[:, :, 0]
    code = cv2.COLOR_BGRA2GRAY if channels == 4 else cv2.COLOR_BGR2GRAY
    gray: Frame = cv2.cvtColor(frame, code)
    return gray


class UnreadableImage(ScannerError):
    """A file is missing, unreadable, or not an image OpenCV understands."""


def load_image(path: Path) -> Frame:
    """An image file as an 8-bit BGR or gray frame, ready for :meth:`Decoder.decode`.

    Transparent pixels are put on white (a QR exported with a transparent background
    would otherwise be black on black) and 16-bit images are scaled to 8 bits.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableImage(f"{path}: {exc.strerror or exc}") from None
    image: Frame | None = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise UnreadableImage(f"{path}: not an image (PNG, JPEG, BMP, TIFF, WebP …)")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise UnreadableImage(f"{path}: unsupported pixel type {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255
        flat = image[:, :, :3].astype(np.float32) * alpha + 255 * (1 - alpha)
        image = flat.astype(np.uint8)
    return image
