"""Camera-like pictures of codes: a QR on paper in a 640×480 frame, optionally degraded
the ways a gate camera degrades it (blur, tilt, glare, noise, low light).

The demo's camera lane replays these frames, and the decode tests and benchmark measure
the decoder on them. Every degradation is driven by a seeded ``numpy`` generator, so a
test failure reproduces byte for byte.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import segno

from hardware.camera import Frame

FRAME_WIDTH = 640
FRAME_HEIGHT = 480
#: A phone screen or a printed ticket held ~30 cm from a gate camera fills about half
#: the frame height.
CODE_SIDE = 220


class Degradation(enum.StrEnum):
    """What goes wrong in front of a gate camera."""

    NONE = "none"
    BLUR = "blur"  # out of focus, or the ticket moved
    TILT = "tilt"  # held at an angle: perspective + rotation
    GLARE = "glare"  # a lamp reflected off a phone screen or glossy paper
    NOISE = "noise"  # sensor noise in a dim hall
    LOW_LIGHT = "low-light"  # dark and flat, then noisy
    ALL = "all"  # tilt, blur, glare and noise together (mild each)


def code_matrix(text: str, *, border: int = 4) -> Frame:
    """The QR symbol for ``text`` as 0/255 gray, one pixel per module, with quiet zone.

    Error level M with no silent boost, as the gate's issued tickets use; segno picks
    alphanumeric mode for a GH1 code by itself.
    """
    qr = segno.make_qr(text, error="m", boost_error=False)
    modules = np.array([list(row) for row in qr.matrix], dtype=np.uint8)
    image = np.where(modules > 0, 0, 255).astype(np.uint8)
    return np.pad(image, border, constant_values=255)


def render_frame(
    text: str | None,
    *,
    width: int = FRAME_WIDTH,
    height: int = FRAME_HEIGHT,
    code_side: int = CODE_SIDE,
    background: int = 96,
) -> Frame:
    """A BGR frame: a dim background with the code (on white paper) in the middle;
    ``None`` renders the empty scene (nobody at the gate)."""
    frame = np.full((height, width, 3), background, dtype=np.uint8)
    # A gentle gradient so the scene is not a flat color (real rooms never are).
    ramp = np.linspace(-20, 20, width, dtype=np.float32)[None, :, None]
    frame = _to_u8(frame.astype(np.float32) + ramp)
    if text is None:
        return frame
    symbol = code_matrix(text)
    side = min(code_side, height - 8, width - 8)
    scaled = cv2.resize(symbol, (side, side), interpolation=cv2.INTER_NEAREST)
    y0, x0 = (height - side) // 2, (width - side) // 2
    frame[y0 : y0 + side, x0 : x0 + side] = scaled[:, :, None]
    return frame


def degrade(frame: Frame, kind: Degradation, rng: np.random.Generator) -> Frame:
    """``frame`` as a gate camera might see it; deterministic for a given ``rng`` state.

    Strengths are set where raw zxing-cpp starts to fail on a 170 px code, so they
    separate decoders rather than being trivially easy or hopeless.
    """
    out = frame
    if kind in (Degradation.TILT, Degradation.ALL):
        out = _tilt(out, rng, strength=0.8 if kind is Degradation.ALL else 1.4)
    if kind in (Degradation.BLUR, Degradation.ALL):
        sigma = rng.uniform(1.5, 2.0) if kind is Degradation.BLUR else rng.uniform(1.0, 1.3)
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    if kind in (Degradation.GLARE, Degradation.ALL):
        out = _glare(
            out, rng, strength=rng.uniform(1.0, 1.25) if kind is Degradation.GLARE else 0.6
        )
    if kind is Degradation.LOW_LIGHT:
        dark = out.astype(np.float32) * rng.uniform(0.04, 0.07) + 2
        out = _to_u8(dark)
        out = _noise(out, rng, sigma=rng.uniform(3, 4))
    if kind is Degradation.NOISE:
        out = _noise(out, rng, sigma=rng.uniform(60, 80))
    if kind is Degradation.ALL:
        out = _noise(out, rng, sigma=rng.uniform(10, 15))
    return out


def _tilt(frame: Frame, rng: np.random.Generator, *, strength: float) -> Frame:
    h, w = frame.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    squeeze = rng.uniform(0.12, 0.2) * strength * h  # one side further away
    side = rng.uniform(-0.06, 0.06) * w
    dst = np.array(
        [[side, squeeze], [w + side, 0], [w - side, h], [-side, h - squeeze]], dtype=np.float32
    )
    warp = cv2.getPerspectiveTransform(src, dst)
    angle = rng.uniform(15, 35) * strength * rng.choice([-1.0, 1.0])
    rot = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), [0, 0, 1]])
    out: Frame = cv2.warpPerspective(
        frame, rot @ warp, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return out


def _glare(frame: Frame, rng: np.random.Generator, *, strength: float) -> Frame:
    h, w = frame.shape[:2]
    cx, cy = rng.uniform(0.4, 0.6) * w, rng.uniform(0.4, 0.6) * h
    radius = rng.uniform(0.08, 0.12) * min(w, h)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius**2))
    lift = 230.0 * strength * spot
    shape = (h, w, 1) if frame.ndim == 3 else (h, w)
    return _to_u8(frame.astype(np.float32) + lift.reshape(shape))


def _noise(frame: Frame, rng: np.random.Generator, *, sigma: float) -> Frame:
    return _to_u8(frame.astype(np.float32) + rng.normal(0, sigma, frame.shape))


def _to_u8(values: Frame) -> Frame:
    out: Frame = np.clip(values, 0, 255).astype(np.uint8)
    return out


def render_code_frames(
    texts: Iterable[str],
    out_dir: Path,
    *,
    blank_between: bool = True,
    width: int = FRAME_WIDTH,
    height: int = FRAME_HEIGHT,
) -> list[Path]:
    """Write one 640×480 PNG per code into ``out_dir`` (created), in order, for the
    file-replay camera; with ``blank_between`` an empty scene follows each code, so
    every code leaves the view before the next one arrives, as at a real gate.

    Returns the files written (``frame-0000.png``, …); sorted names = play order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    frames: list[Frame] = []
    blank = render_frame(None, width=width, height=height)
    for text in texts:
        frames.append(render_frame(text, width=width, height=height))
        if blank_between:
            frames.append(blank)
    for i, frame in enumerate(frames):
        path = out_dir / f"frame-{i:04d}.png"
        if not cv2.imwrite(str(path), frame):
            raise OSError(f"cannot write {path}")
        written.append(path)
    return written
