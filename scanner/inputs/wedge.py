"""USB keyboard-wedge scanners through Linux evdev (``type = "evdev"``).

The device is found by path (``/dev/input/by-id/…`` is stable across replugs), or by a
piece of its name, or by USB ``vendor:product``; it is *grabbed* so the codes it types go
only to the agent, never into a console or a kiosk's text field. Key events become text
through the configured keyboard layout (``wedge_keys``). Pulling the scanner out is a
warning and ``connected: false`` in the status; the input keeps looking for it (quick
retries, then every few seconds) and carries on when it comes back.

/dev/uinput is absent where the tests run, so they drive this exact code with an
evdev-shaped fake device (``scanner.inputs.fake_evdev``) behind :class:`EvdevSource`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from hardware.health import DeviceHealth
from scanner.backoff import Backoff
from scanner.inputs.context import InputContext
from scanner.inputs.evdev_source import EvdevDevice, EvdevSource, InputEventLike, RealEvdevSource
from scanner.inputs.wedge_keys import KeyTranslator, Terminator
from scanner.inputs.wedge_layouts import EV_KEY, KEY_A, LAYOUTS
from scanner.reads import CodeRead, Emit

log = logging.getLogger(__name__)

_USB_ID = re.compile(r"^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$")


@dataclass(frozen=True)
class WedgeOptions:
    #: Device node, best a stable ``/dev/input/by-id/…-event-kbd`` or ``by-path`` link.
    path: str = ""
    #: Case-insensitive part of the device name (``evtest`` lists names).
    name: str = ""
    #: USB ``vendor:product`` in hex, e.g. ``"0c2e:0b61"`` (``lsusb`` shows it).
    usb_id: str = ""
    #: Keyboard language the scanner is set to: ``us``, ``uk``, ``de``, ``fr``.
    layout: str = "us"
    #: What ends a code: ``enter``, ``tab``, ``enter_or_tab``, or ``idle`` (no suffix).
    terminator: str = "enter"
    #: With ``terminator = "idle"``: a gap this long (ms) ends the code.
    idle_ms: int = 80
    #: Take the device exclusively so its keystrokes reach no console or other program.
    grab: bool = True
    #: Longest code accepted, in characters; longer input is dropped as a stuck key.
    max_length: int = 2048
    #: Reconnect delays after an unplug: first retry, then doubling up to the ceiling.
    reconnect_min_ms: int = 250
    reconnect_max_ms: int = 5000

    def __post_init__(self) -> None:
        if not (self.path or self.name or self.usb_id):
            raise ValueError("give path, name or usb_id to find the scanner")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout: expected one of {', '.join(LAYOUTS)}, got {self.layout!r}")
        if self.terminator not in set(Terminator):
            raise ValueError(
                f"terminator: expected one of {', '.join(Terminator)}, got {self.terminator!r}"
            )
        if self.usb_id and not _USB_ID.match(self.usb_id):
            raise ValueError(f"usb_id: expected 'vvvv:pppp' in hex, got {self.usb_id!r}")
        if not 10 <= self.idle_ms <= 5000:
            raise ValueError("idle_ms: expected 10..5000")
        if not 1 <= self.max_length <= 65536:
            raise ValueError("max_length: expected 1..65536")
        if not 1 <= self.reconnect_min_ms <= self.reconnect_max_ms <= 600_000:
            raise ValueError("reconnect_min_ms/reconnect_max_ms: expected 1 <= min <= max")


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class WedgeInput:
    """One keyboard-wedge scanner; see the module docstring."""

    kind = "usb"

    def __init__(self, input_id: str, options: WedgeOptions, source: EvdevSource) -> None:
        self.id = input_id
        self.options = options
        self.health = DeviceHealth(input_id, self.kind, "evdev")
        self._source = source
        self._keys = KeyTranslator(
            LAYOUTS[options.layout], Terminator(options.terminator), options.max_length
        )
        #: The device node in use now, for the status page and logs.
        self.device_path: str | None = None

    async def run(self, emit: Emit) -> None:
        opts = self.options
        backoff = Backoff(opts.reconnect_min_ms / 1000, opts.reconnect_max_ms / 1000)
        missing_logged = False
        while True:
            device, busy = self._find()
            if device is None:
                if not missing_logged:
                    why = f"not found ({self._wanted()})"
                    if busy:
                        why = f"{', '.join(busy)} held by another program or lane (grab failed)"
                    log.warning("%s: keyboard-wedge scanner %s; will keep looking", self.id, why)
                    self.health.fail(why, _wall_ms(), disconnected=True)
                    missing_logged = True
                await asyncio.sleep(backoff.next_delay())
                continue
            missing_logged = False
            backoff.reset()
            try:
                await self._serve(device, emit)
            except OSError as exc:
                lost = exc.errno in (errno.ENODEV, errno.EIO, errno.EBADF, errno.ENOENT)
                what = "unplugged" if lost else f"read error: {exc.strerror or exc}"
                log.warning("%s: scanner %s (%s); will keep looking", self.id, what, device.path)
                self.health.fail(f"{what} ({device.path})", _wall_ms(), disconnected=True)
                missing_logged = True
            finally:
                self.device_path = None
                _close_quietly(device, grabbed=opts.grab)
            await asyncio.sleep(backoff.next_delay())

    def _wanted(self) -> str:
        o = self.options
        parts = [
            f"path {o.path}" if o.path else "",
            f"name ~ {o.name!r}" if o.name else "",
            f"usb {o.usb_id}" if o.usb_id else "",
        ]
        return ", ".join(p for p in parts if p)

    def _find(self) -> tuple[EvdevDevice | None, list[str]]:
        """Open and grab the first device that matches; None when there is none now, with
        the matching paths that could not be grabbed."""
        o = self.options
        busy: list[str] = []
        try:
            paths = [o.path] if o.path else self._source.list_paths()
        except OSError:
            return None, busy
        for path in paths:
            try:
                device = self._source.open(path)
            except OSError:
                continue
            if not o.path and not self._matches(device):
                _close_quietly(device, grabbed=False)
                continue
            if o.grab:
                try:
                    device.grab()
                except OSError as exc:  # EBUSY: another lane or program holds this one
                    log.info("%s: cannot grab %s (%s)", self.id, path, exc.strerror or exc)
                    _close_quietly(device, grabbed=False)
                    busy.append(path)
                    continue
            return device, busy
        return None, busy

    def _matches(self, device: EvdevDevice) -> bool:
        o = self.options
        try:
            if o.name and o.name.casefold() not in device.name.casefold():
                return False
            if o.usb_id:
                vendor, product = (int(x, 16) for x in o.usb_id.split(":"))
                if (device.info.vendor, device.info.product) != (vendor, product):
                    return False
            return KEY_A in device.capabilities().get(EV_KEY, ())
        except OSError:
            return False

    async def _serve(self, device: EvdevDevice, emit: Emit) -> None:
        self.device_path = device.path
        self.health.connected = True
        self._keys.reset()
        log.info("%s: scanner connected: %s (%s)", self.id, device.name, device.path)
        if self._keys.terminator is not Terminator.IDLE:
            async for event in device.async_read_loop():  # raises OSError on unplug
                if event.type == EV_KEY:
                    text = self._keys.key(event.code, event.value)
                    if text is not None or self._keys.overflows:
                        await self._deliver(text, emit)
            return
        await self._serve_idle(device, emit, self.options.idle_ms / 1000)

    async def _serve_idle(self, device: EvdevDevice, emit: Emit, idle_s: float) -> None:
        """Like the plain loop, but a pause of ``idle_s`` inside a code ends it."""
        events = device.async_read_loop().__aiter__()
        next_event: asyncio.Future[InputEventLike] | None = None
        try:
            while True:
                if next_event is None:
                    next_event = asyncio.ensure_future(events.__anext__())
                timeout = idle_s if self._keys.pending else None
                # wait without cancelling the read: evdev's futures must not be cancelled
                done, _ = await asyncio.wait({next_event}, timeout=timeout)
                if not done:
                    await self._deliver(self._keys.finish(), emit)
                    continue
                event = next_event.result()  # raises OSError on unplug
                next_event = None
                if event.type == EV_KEY:
                    text = self._keys.key(event.code, event.value)
                    if text is not None or self._keys.overflows:
                        await self._deliver(text, emit)
        finally:
            if next_event is not None and not next_event.done():
                next_event.cancel()

    async def _deliver(self, text: str | None, emit: Emit) -> None:
        now = _wall_ms()
        if self._keys.overflows:
            self._keys.overflows = 0
            log.warning(
                "%s: input longer than %d characters dropped (a stuck key, or the scanner "
                "sends no %s after each code?)",
                self.id,
                self.options.max_length,
                self.options.terminator,
            )
            self.health.fail(f"input longer than {self.options.max_length} dropped", now)
        if text is None:
            return
        if self._keys.unmapped:
            keys = sorted(set(self._keys.unmapped))
            self._keys.unmapped = []
            message = (
                f"keys {keys} have no character in layout {self.options.layout!r}: "
                "is the scanner set to another keyboard language?"
            )
            log.warning("%s: %s", self.id, message)
            self.health.fail(message, now)
        self.health.ok(now)
        await emit(CodeRead(text, self.id, self.kind, time.monotonic_ns()))


def _close_quietly(device: EvdevDevice, *, grabbed: bool) -> None:
    if grabbed:
        with contextlib.suppress(OSError):
            device.ungrab()
    with contextlib.suppress(OSError):
        device.close()


def make_wedge_input(input_id: str, options: Any, ctx: InputContext) -> WedgeInput:
    assert isinstance(options, WedgeOptions)
    return WedgeInput(input_id, options, ctx.evdev_source or RealEvdevSource())
