"""Bytes from a serial scanner → one frame per code (pure; unit-tested without a port).

Scanners end each code with a suffix set in their menus (CR is the usual factory default,
some send CR LF, LF or Tab) or wrap it in STX … ETX. The framer must cope with a code split
across reads, several codes in one read, and noise before the first frame; it never lets a
runaway stream grow without bound.
"""

from __future__ import annotations

import re

STX = b"\x02"
ETX = b"\x03"

#: Named framings; anything else must be ``hex:…`` (a custom terminator, e.g. ``hex:1d``).
NAMED = {
    "cr_or_lf": None,  # CR, LF or CR LF all end a code; empty lines are skipped
    "cr": b"\r",
    "lf": b"\n",
    "crlf": b"\r\n",
    "tab": b"\t",
    "stx_etx": None,
}
_HEX = re.compile(r"^hex:((?:[0-9a-fA-F]{2}){1,8})$")


def check_framing(framing: str) -> None:
    """Raise ``ValueError`` naming the choices when ``framing`` is not one."""
    if framing not in NAMED and not _HEX.match(framing):
        choices = ", ".join(NAMED)
        raise ValueError(f"framing: expected one of {choices} or hex:XX…, got {framing!r}")


class Framer:
    """Feed bytes as they arrive; get back whole frames (without their terminator)."""

    def __init__(self, framing: str, max_length: int = 4096) -> None:
        check_framing(framing)
        self.framing = framing
        self.max_length = max_length
        self._buf = bytearray()
        self._in_frame = False  # stx_etx: between STX and ETX
        self._skipping = False  # a frame grew past max_length: drop it up to its end
        #: Frames dropped for being longer than ``max_length``.
        self.overflows = 0
        match = _HEX.match(framing)
        self._terminator = bytes.fromhex(match.group(1)) if match else NAMED.get(framing)

    def feed(self, data: bytes) -> list[bytes]:
        if self.framing == "stx_etx":
            return self._feed_stx_etx(data)
        self._buf += data
        frames: list[bytes] = []
        if self.framing == "cr_or_lf":
            parts = re.split(rb"[\r\n]", bytes(self._buf))
        else:
            assert self._terminator is not None
            parts = bytes(self._buf).split(self._terminator)
        self._buf = bytearray(parts.pop())  # the unfinished tail
        for part in parts:
            if self._skipping:
                self._skipping = False
                continue
            if len(part) > self.max_length:
                self.overflows += 1
            elif part:
                frames.append(part)
        self._bound()
        return frames

    def _feed_stx_etx(self, data: bytes) -> list[bytes]:
        frames: list[bytes] = []
        for byte in data:
            b = bytes((byte,))
            if b == STX:  # a new frame starts (an unterminated one before it is noise)
                self._buf.clear()
                self._in_frame = True
                self._skipping = False
            elif b == ETX:
                if self._in_frame and not self._skipping and self._buf:
                    frames.append(bytes(self._buf))
                self._buf.clear()
                self._in_frame = False
                self._skipping = False
            elif self._in_frame and not self._skipping:
                self._buf += b
                self._bound()
        return frames

    def _bound(self) -> None:
        if len(self._buf) > self.max_length:
            self._buf.clear()
            self._skipping = True
            self.overflows += 1
