"""The optional zbar decode backend (pyzbar over the system's libzbar).

Some venues already trust zbar, and it is a second opinion when a code reads on one
decoder and not the other. It is optional: pyzbar is a pip extra (``gatehouse[zbar]``)
and libzbar is a Debian package, so when either is missing the backend says exactly what
to install instead of failing on the first frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

from hardware.camera import Frame
from scanner.decoders.interface import Binarizer, Decoded, DecoderUnavailable

#: The hint a venue tech needs when the shared library is not there.
LIBZBAR_HINT = "apt-get install libzbar0"
PYZBAR_HINT = "pip install 'gatehouse[zbar]'"

#: zxing-cpp format names (what config uses everywhere) → zbar symbol names.
ZBAR_SYMBOLS = {
    "qrcode": "QRCODE",
    "ean13": "EAN13",
    "ean8": "EAN8",
    "upca": "UPCA",
    "upce": "UPCE",
    "code128": "CODE128",
    "code39": "CODE39",
    "code93": "CODE93",
    "itf": "I25",
    "codabar": "CODABAR",
    "databar": "DATABAR",
    "databarexpanded": "DATABAR_EXP",
    "pdf417": "PDF417",
}

#: zbar symbol names → the zxing-cpp format names we report.
_REPORTED = {
    "QRCODE": "QRCode",
    "EAN13": "EAN13",
    "EAN8": "EAN8",
    "UPCA": "UPCA",
    "UPCE": "UPCE",
    "CODE128": "Code128",
    "CODE39": "Code39",
    "CODE93": "Code93",
    "I25": "ITF",
    "CODABAR": "Codabar",
    "DATABAR": "DataBar",
    "DATABAR_EXP": "DataBarExpanded",
    "PDF417": "PDF417",
}


def load_pyzbar() -> ModuleType:
    """``pyzbar.pyzbar``, or :class:`DecoderUnavailable` with the install hint."""
    try:
        from pyzbar import pyzbar
    except ImportError as exc:
        if "zbar shared library" in str(exc):
            raise DecoderUnavailable(
                f"zbar backend unavailable: the libzbar library is not installed ({LIBZBAR_HINT})"
            ) from None
        raise DecoderUnavailable(
            f"zbar backend unavailable: pyzbar is not installed ({PYZBAR_HINT}, and {LIBZBAR_HINT})"
        ) from None
    except OSError as exc:  # the library is there but cannot be loaded
        raise DecoderUnavailable(
            f"zbar backend unavailable: cannot load libzbar ({exc}); try {LIBZBAR_HINT}"
        ) from None
    module: ModuleType = pyzbar
    return module


def zbar_available() -> str | None:
    """``None`` if the zbar backend can run here, else why not (with the install hint)."""
    try:
        load_pyzbar()
    except DecoderUnavailable as exc:
        return str(exc)
    return None


class ZbarBackend:
    """pyzbar's ``decode`` for grayscale frames; zbar binarizes on its own."""

    name = "zbar"

    def __init__(self, formats: Sequence[str]) -> None:
        self._pyzbar = load_pyzbar()
        symbols: list[Any] = []
        for fmt in formats:
            key = fmt.lower().replace(" ", "").replace("-", "")
            if key not in ZBAR_SYMBOLS:
                known = ", ".join(sorted(_REPORTED.values()))
                raise DecoderUnavailable(f"formats: zbar cannot read {fmt!r} (it reads: {known})")
            symbols.append(self._pyzbar.ZBarSymbol[ZBAR_SYMBOLS[key]])
        self._symbols = symbols
        self.symbol_seen = False

    @staticmethod
    def check_format(fmt: str) -> None:
        if fmt.lower().replace(" ", "").replace("-", "") not in ZBAR_SYMBOLS:
            raise ValueError(f"formats: zbar cannot read {fmt!r}")

    def read(self, gray: Frame, binarizer: Binarizer = Binarizer.LOCAL) -> list[Decoded]:
        results = self._pyzbar.decode(gray, symbols=self._symbols)
        self.symbol_seen = bool(results)
        return [
            Decoded(
                r.data.decode("utf-8", errors="replace"),
                _REPORTED.get(r.type, r.type),
                "first",
            )
            for r in results
        ]
