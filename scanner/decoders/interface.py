"""What every decode backend is: one grayscale picture in, the codes it reads out.

The decode path (``decoder.py``) talks only to this interface; the backends (``zxing.py``,
``zbar.py``) are plugins that ``registry.py`` imports when a config names them. Nothing
here imports OpenCV or a barcode library, so the CLI and the config loader can name and
check backends without paying for them.
"""

from __future__ import annotations

import enum
from typing import NamedTuple, Protocol

from hardware.camera import Frame
from scanner.errors import ScannerError


class Decoded(NamedTuple):
    """One code found in a picture."""

    text: str
    format: str  # zxing-cpp's format name, e.g. "QRCode"
    stage: str  # "first", or the second-pass repair that found it (e.g. "upscale")


class DecoderUnavailable(ScannerError):
    """A decode backend cannot run here (a library is missing); says how to install it."""


class Binarizer(enum.StrEnum):
    """How the backend turns gray into black/white (zxing-cpp only; zbar has its own)."""

    LOCAL = "local"  # zxing-cpp LocalAverage: the default, good with uneven light
    GLOBAL = "global"  # GlobalHistogram: better on clean, busy images
    THRESHOLDED = "thresholded"  # the picture is already black/white (after our threshold)


class DecodeBackend(Protocol):
    """A barcode reader for one grayscale picture."""

    name: str
    symbol_seen: bool
    """After ``read``: whether it saw a symbol at all, even one it could not decode."""

    def read(self, gray: Frame, binarizer: Binarizer = Binarizer.LOCAL) -> list[Decoded]: ...


class DecodeBackendPlugin(Protocol):
    """The class a backend module exports (``registry.BACKENDS`` names it)."""

    def __call__(self, formats: tuple[str, ...]) -> DecodeBackend: ...

    @staticmethod
    def check_format(fmt: str) -> None:
        """Raise ``ValueError`` for a format name this backend cannot read."""
        ...
