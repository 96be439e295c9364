"""The default decode backend: zxing-cpp (``backend = "zxing"``)."""

from __future__ import annotations

from collections.abc import Sequence

import zxingcpp

from hardware.camera import Frame
from scanner.decoders.interface import Binarizer, Decoded, DecoderUnavailable


class ZxingBackend:
    """zxing-cpp, QR only by default. Rotation, inversion and its own downscaling stay on
    (they are cheap and catch upside-down and dark-mode phone screens)."""

    name = "zxing"

    def __init__(self, formats: Sequence[str]) -> None:
        try:
            self._formats = zxingcpp.barcode_formats_from_str(",".join(formats))
        except ValueError as exc:
            raise DecoderUnavailable(f"formats: {exc}") from None
        self._binarizers = {
            Binarizer.LOCAL: zxingcpp.Binarizer.LocalAverage,
            Binarizer.GLOBAL: zxingcpp.Binarizer.GlobalHistogram,
            Binarizer.THRESHOLDED: zxingcpp.Binarizer.BoolCast,
        }

        self.symbol_seen = False

    @staticmethod
    def check_format(fmt: str) -> None:
        try:
            zxingcpp.barcode_format_from_str(fmt)
        except ValueError:
            raise ValueError(f"formats: {fmt!r} is not a barcode format zxing-cpp knows") from None

    def read(self, gray: Frame, binarizer: Binarizer = Binarizer.LOCAL) -> list[Decoded]:
        # return_errors: symbols that were found but failed to decode tell the decoder
        # a code is there, which is what makes the expensive curved repair worth it.
        found = zxingcpp.read_barcodes(
            gray,
            formats=self._formats,
            text_mode=zxingcpp.TextMode.Plain,
            binarizer=self._binarizers[binarizer],
            return_errors=True,
        )
        self.symbol_seen = bool(found)
        return [Decoded(b.text, b.format.name, "first") for b in found if b.valid]
