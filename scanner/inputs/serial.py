"""Serial and USB CDC-ACM scanners (``type = "serial"``) through pyserial-asyncio-fast.

Many fixed-mount and presentation scanners show up as ``/dev/ttyACM0`` or behind a USB
serial adapter as ``/dev/ttyUSB0``; the stable name is under ``/dev/serial/by-id/``. The
input opens the port, cuts the byte stream into codes (``serial_framing``) and, when the
port goes away (unplugged, adapter reset), reports it and reopens it with backoff, so a
replugged scanner works again without restarting the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import serial
import serial_asyncio_fast

from hardware.health import DeviceHealth
from scanner.backoff import Backoff
from scanner.inputs.context import InputContext
from scanner.inputs.serial_framing import Framer, check_framing
from scanner.reads import CodeRead, Emit

log = logging.getLogger(__name__)

_PARITIES = {"none": serial.PARITY_NONE, "even": serial.PARITY_EVEN, "odd": serial.PARITY_ODD}
_ENCODINGS = ("utf-8", "latin-1", "ascii")


@dataclass(frozen=True)
class SerialOptions:
    #: The port, best a stable ``/dev/serial/by-id/…`` link.
    port: str
    baud: int = 9600
    #: Data bits (7 or 8), parity (none, even, odd), stop bits (1 or 2): the scanner's menu.
    bytesize: int = 8
    parity: str = "none"
    stopbits: int = 1
    #: How codes are cut: ``cr_or_lf`` (CR, LF or CR LF), ``cr``, ``lf``, ``crlf``, ``tab``,
    #: ``stx_etx`` (STX code ETX), or ``hex:…`` for a custom terminator (e.g. ``hex:1d``).
    framing: str = "cr_or_lf"
    #: How the bytes are text: ``utf-8``, ``latin-1`` or ``ascii`` (bad bytes become U+FFFD).
    encoding: str = "utf-8"
    #: Longest code in bytes; longer frames are dropped (line noise, wrong baud rate).
    max_length: int = 4096
    reconnect_min_ms: int = 250
    reconnect_max_ms: int = 5000

    def __post_init__(self) -> None:
        if not self.port:
            raise ValueError("port: expected a device path, e.g. /dev/serial/by-id/…")
        if not 50 <= self.baud <= 4_000_000:
            raise ValueError("baud: expected 50..4000000")
        if self.bytesize not in (7, 8):
            raise ValueError("bytesize: expected 7 or 8")
        if self.parity not in _PARITIES:
            raise ValueError(f"parity: expected one of {', '.join(_PARITIES)}")
        if self.stopbits not in (1, 2):
            raise ValueError("stopbits: expected 1 or 2")
        check_framing(self.framing)
        if self.encoding not in _ENCODINGS:
            raise ValueError(f"encoding: expected one of {', '.join(_ENCODINGS)}")
        if not 1 <= self.max_length <= 65536:
            raise ValueError("max_length: expected 1..65536")
        if not 1 <= self.reconnect_min_ms <= self.reconnect_max_ms <= 600_000:
            raise ValueError("reconnect_min_ms/reconnect_max_ms: expected 1 <= min <= max")


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class SerialInput:
    kind = "serial"

    def __init__(self, input_id: str, options: SerialOptions) -> None:
        self.id = input_id
        self.options = options
        self.health = DeviceHealth(input_id, self.kind, "serial")

    async def run(self, emit: Emit) -> None:
        opts = self.options
        backoff = Backoff(opts.reconnect_min_ms / 1000, opts.reconnect_max_ms / 1000)
        reported = False
        while True:
            try:
                reader, writer = await serial_asyncio_fast.open_serial_connection(
                    url=opts.port,
                    baudrate=opts.baud,
                    bytesize=opts.bytesize,
                    parity=_PARITIES[opts.parity],
                    stopbits=opts.stopbits,
                )
            except (serial.SerialException, OSError, ValueError) as exc:
                if not reported:
                    log.warning(
                        "%s: serial scanner %s not available (%s); will keep trying",
                        self.id,
                        opts.port,
                        _why(exc),
                    )
                    self.health.fail(
                        f"cannot open {opts.port}: {_why(exc)}", _wall_ms(), disconnected=True
                    )
                    reported = True
                await asyncio.sleep(backoff.next_delay())
                continue
            reported = False
            backoff.reset()
            self.health.connected = True
            log.info("%s: serial scanner connected on %s", self.id, opts.port)
            try:
                await self._read(reader, emit)
                problem = "port closed"
            except (serial.SerialException, OSError) as exc:
                problem = _why(exc)
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
            log.warning(
                "%s: serial scanner lost on %s (%s); will keep trying", self.id, opts.port, problem
            )
            self.health.fail(f"lost {opts.port}: {problem}", _wall_ms(), disconnected=True)
            reported = True
            await asyncio.sleep(backoff.next_delay())

    async def _read(self, reader: asyncio.StreamReader, emit: Emit) -> None:
        framer = Framer(self.options.framing, self.options.max_length)
        while True:
            data = await reader.read(4096)
            if not data:
                return  # EOF: the port went away
            for frame in framer.feed(data):
                text = frame.decode(self.options.encoding, errors="replace")
                self.health.ok(_wall_ms())
                await emit(CodeRead(text, self.id, self.kind, time.monotonic_ns()))
            if framer.overflows:
                framer.overflows = 0
                log.warning(
                    "%s: frame longer than %d bytes dropped (wrong baud or framing?)",
                    self.id,
                    self.options.max_length,
                )
                self.health.fail(
                    f"frame longer than {self.options.max_length} bytes dropped", _wall_ms()
                )


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def make_serial_input(input_id: str, options: Any, ctx: InputContext) -> SerialInput:
    assert isinstance(options, SerialOptions)
    return SerialInput(input_id, options)
