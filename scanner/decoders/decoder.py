"""The decode path: one picture in, the codes in it out — shared by camera lanes and
``edge-agent decode-image`` so what a tech tests at a desk is what the gate does.

Two passes, because most frames are easy and a few are not:

1. **First pass**: grayscale (+ optional region of interest and downscale), then one
   zxing-cpp read in *plain* text mode. Plain matters: zxing-cpp's default "HRI" mode
   rewrites control characters as ``<GS>``-style placeholders, which is right for a human
   label and wrong for a ticket code. This pass costs what a raw zxing-cpp call costs.
2. **Second pass**, only when the first found nothing: a short, ordered list of repairs
   for the ways camera pictures go wrong — another binarizer (uneven light), 2× upscale
   (codes far from the lens), morphological closing (print noise, fabric), an adaptive
   threshold (glare, low contrast), CLAHE (low light), and OpenCV's decoder for curved
   codes (a ticket bent over a hand). It stops at the first repair that reads something.

The camera input rate-limits the second pass separately (empty frames are the common
case at a gate, and they always reach it); ``decode-image`` always runs both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from hardware.camera import Frame
from scanner.decoders.images import to_gray
from scanner.decoders.interface import Binarizer, Decoded
from scanner.decoders.registry import check_backend, make_backend

#: Upscaling a picture bigger than this (longer side, px) costs more than it ever gains.
UPSCALE_MAX_SIDE = 1200


@dataclass(frozen=True)
class DecodeOptions:
    """How to decode; the camera input's config keys of the same names fill it in."""

    formats: tuple[str, ...] = ("QRCode",)
    """zxing-cpp format names (``QRCode``, ``MicroQRCode``, ``DataMatrix``, ``EAN13`` …)."""
    backend: str = "zxing"
    """``zxing`` (zxing-cpp, the default) or ``zbar`` (pyzbar; needs libzbar0)."""
    roi: tuple[float, ...] | None = None
    """Region of interest ``(x, y, w, h)`` as fractions of the frame: only that part is
    decoded (faster, and ignores codes on posters behind the lane)."""
    max_side: int | None = None
    """Shrink frames whose longer side is bigger than this before decoding (speed)."""
    second_pass: bool = True
    """Run the repairs on pictures where the first pass finds nothing."""

    def __post_init__(self) -> None:
        if not self.formats:
            raise ValueError("formats: give at least one barcode format")
        check_backend(self.backend, self.formats)
        if self.roi is not None:
            if len(self.roi) != 4:
                raise ValueError("roi: expected [x, y, w, h] as fractions of the frame")
            x, y, w, h = self.roi
            if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 - x and 0 < h <= 1 - y):
                raise ValueError("roi: x, y, w, h must be fractions with x+w <= 1 and y+h <= 1")
        if self.max_side is not None and self.max_side < 64:
            raise ValueError("max_side: must be at least 64 pixels")


_KERNEL = np.ones((3, 3), np.uint8)


def _upscale(gray: Frame) -> Frame | None:
    if max(gray.shape[:2]) > UPSCALE_MAX_SIDE:
        return None
    out: Frame = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    return out


def _close(gray: Frame) -> Frame:
    out: Frame = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, _KERNEL)
    return out


def _adaptive(gray: Frame) -> Frame:
    block = max(15, (min(gray.shape[:2]) // 16) | 1)  # odd, about a few modules wide
    out: Frame = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 5
    )
    return out


def _clahe_upscale(gray: Frame) -> Frame | None:
    """Local contrast first (low light, glare), then 2×, which also averages out noise."""
    return _upscale(cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(gray))


def _sharpen(gray: Frame) -> Frame:
    """Unsharp mask: undoes a little defocus or motion blur."""
    out: Frame = cv2.addWeighted(gray, 2.5, cv2.GaussianBlur(gray, (0, 0), 2), -1.5, 0)
    return out


def _sharpen_soft(gray: Frame) -> Frame:
    out: Frame = cv2.addWeighted(gray, 1.8, cv2.GaussianBlur(gray, (0, 0), 3), -0.8, 0)
    return out


class Repair(NamedTuple):
    """One second-pass attempt: a picture transform and the binarizer to read it with."""

    name: str
    transform: Callable[[Frame], Frame | None]  # None: not worth trying on this picture
    binarizer: Binarizer


#: Ordered cheapest and most often useful first; measured on qr-corpus and degraded GH1.
REPAIRS: tuple[Repair, ...] = (
    Repair("global-binarizer", lambda g: g, Binarizer.GLOBAL),
    Repair("sharpen", _sharpen, Binarizer.LOCAL),
    Repair("upscale", _upscale, Binarizer.LOCAL),
    Repair("upscale-global", _upscale, Binarizer.GLOBAL),
    Repair("denoise", _close, Binarizer.LOCAL),
    Repair("adaptive-threshold", _adaptive, Binarizer.THRESHOLDED),
    Repair("contrast-upscale", _clahe_upscale, Binarizer.LOCAL),
)


class Decoder:
    """The decode path with its options fixed; reuse one per camera (not thread-safe:
    one worker thread owns it)."""

    def __init__(self, options: DecodeOptions | None = None) -> None:
        self.options = options or DecodeOptions()
        self.backend = make_backend(self.options.backend, self.options.formats)
        self._qr = any(f.lower().replace(" ", "") == "qrcode" for f in self.options.formats)
        self._curved = cv2.QRCodeDetector() if self._qr else None

    def prepare(self, frame: Frame) -> Frame:
        """Gray, cropped to the region of interest, shrunk to ``max_side``."""
        gray = to_gray(frame)
        roi = self.options.roi
        if roi is not None:
            h, w = gray.shape[:2]
            x0, y0 = int(roi[0] * w), int(roi[1] * h)
            gray = gray[y0 : y0 + max(1, int(roi[3] * h)), x0 : x0 + max(1, int(roi[2] * w))]
        limit = self.options.max_side
        if limit is not None and max(gray.shape[:2]) > limit:
            scale = limit / max(gray.shape[:2])
            gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(gray)

    def first_pass(self, gray: Frame) -> list[Decoded]:
        return self.backend.read(gray)

    def second_pass(self, gray: Frame) -> list[Decoded]:
        symbol_seen = self.backend.symbol_seen  # from the first pass
        for repair in REPAIRS:
            if repair.binarizer is not Binarizer.LOCAL and self.backend.name != "zxing":
                continue  # zbar binarizes on its own; these repairs would repeat a read
            image = repair.transform(gray)
            if image is None:
                continue
            found = self.backend.read(image, repair.binarizer)
            if found:
                return [d._replace(stage=repair.name) for d in found]
            symbol_seen = symbol_seen or self.backend.symbol_seen
        # The curved reader costs 10-100 ms on a busy empty frame: only where a symbol
        # was seen but not read.
        return self._read_curved(gray) if symbol_seen else []

    def _read_curved(self, gray: Frame) -> list[Decoded]:
        """OpenCV's QR reader models a bent code (a ticket curled in a hand, a code on
        fabric) as a curved surface — zxing-cpp assumes a flat one."""
        if self._curved is None:
            return []
        for name, image in (("curved", gray), ("curved-sharpened", _sharpen_soft(gray))):
            try:
                text, _points, _straight = self._curved.detectAndDecodeCurved(image)
            except cv2.error:
                continue  # OpenCV asserts on some degenerate detections; not a code
            if text:
                return [Decoded(text, "QRCode", name)]
        return []

    def decode(self, frame: Frame, *, second_pass: bool | None = None) -> list[Decoded]:
        """Every code in ``frame`` (usually zero or one), first pass then repairs."""
        gray = self.prepare(frame)
        found = self.first_pass(gray)
        run_second = self.options.second_pass if second_pass is None else second_pass
        if not found and run_second:
            found = self.second_pass(gray)
        return _unique(found)


def _unique(found: list[Decoded]) -> list[Decoded]:
    seen: set[str] = set()
    out: list[Decoded] = []
    for d in found:
        if d.text not in seen:
            seen.add(d.text)
            out.append(d)
    return out
