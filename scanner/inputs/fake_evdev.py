"""An evdev-shaped fake keyboard-wedge scanner and a bus to plug it into.

``/dev/uinput`` (which would let tests make real kernel input devices) is not available
everywhere the tests run, so this fake stands in for ``evdev.InputDevice`` behind the same
:class:`scanner.inputs.wedge.EvdevSource` interface: it yields the same ``InputEvent``-shaped
events from ``async_read_loop()``, refuses a second ``grab()`` with ``EBUSY`` and fails
reads with ``ENODEV`` when unplugged — exactly what the real one does.
"""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import NamedTuple

from scanner.inputs.wedge_layouts import EV_KEY, EV_SYN, KEY_ENTER, LAYOUTS, key_events_for


class FakeInputEvent(NamedTuple):
    """Same fields as ``evdev.InputEvent``."""

    sec: int
    usec: int
    type: int
    code: int
    value: int


class FakeDeviceInfo(NamedTuple):
    """Same fields as ``evdev.DeviceInfo``."""

    bustype: int
    vendor: int
    product: int
    version: int


_GONE = object()


class FakeEvdevDevice:
    """A scanner that "types" what tests tell it to; see the module docstring."""

    def __init__(
        self,
        path: str,
        name: str = "Fake Barcode Scanner",
        usb_id: tuple[int, int] = (0xC2E, 0xB61),
    ) -> None:
        self.path = path
        self.name = name
        self.info = FakeDeviceInfo(0x03, usb_id[0], usb_id[1], 0x0111)
        self.grabbed = False
        self.closed = False
        self.plugged = True
        self._events: asyncio.Queue[FakeInputEvent | object] = asyncio.Queue()
        self._bus: FakeEvdevBus | None = None

    def capabilities(self) -> Mapping[int, Sequence[int]]:
        return {EV_SYN: [0], EV_KEY: list(range(1, 128))}

    def grab(self) -> None:
        self._check()
        if self.grabbed:  # like EVIOCGRAB: one holder at a time
            raise OSError(errno.EBUSY, "Device or resource busy")
        self.grabbed = True

    def ungrab(self) -> None:
        self._check()
        self.grabbed = False

    def close(self) -> None:
        self.closed = True

    async def async_read_loop(self) -> AsyncIterator[FakeInputEvent]:
        while True:
            self._check()
            item = await self._events.get()
            if item is _GONE:
                raise OSError(errno.ENODEV, "No such device")
            assert isinstance(item, FakeInputEvent)
            yield item

    # --- what tests do to it -------------------------------------------------------------
    def press(self, keys: Iterable[tuple[int, int]]) -> None:
        """Queue ``(key, value)`` events, each followed by a SYN report like the kernel's."""
        now = time.time()
        sec, usec = int(now), int((now % 1) * 1_000_000)
        for key, value in keys:
            self._events.put_nowait(FakeInputEvent(sec, usec, 4, 4, 0x70000 + key))  # EV_MSC
            self._events.put_nowait(FakeInputEvent(sec, usec, EV_KEY, key, value))
            self._events.put_nowait(FakeInputEvent(sec, usec, EV_SYN, 0, 0))

    def type_code(self, text: str, layout: str = "us", terminator: int | None = KEY_ENTER) -> None:
        """Type ``text`` as a scanner set to ``layout`` does, then the terminator key."""
        self.press(key_events_for(text, LAYOUTS[layout], terminator))

    def unplug(self) -> None:
        """The cable is pulled: reads fail with ENODEV, the node disappears from the bus."""
        self.plugged = False
        self._events.put_nowait(_GONE)
        if self._bus is not None:
            self._bus.remove(self.path)

    def _check(self) -> None:
        if not self.plugged:
            raise OSError(errno.ENODEV, "No such device")


class FakeEvdevBus:
    """``/dev/input`` for tests: plug and unplug fake devices at paths."""

    def __init__(self) -> None:
        self._devices: dict[str, FakeEvdevDevice] = {}
        self.opened: list[str] = []

    def plug(self, device: FakeEvdevDevice) -> FakeEvdevDevice:
        device._bus = self
        device.plugged = True
        self._devices[device.path] = device
        return device

    def remove(self, path: str) -> None:
        self._devices.pop(path, None)

    # EvdevSource
    def list_paths(self) -> list[str]:
        return sorted(self._devices)

    def open(self, path: str) -> FakeEvdevDevice:
        device = self._devices.get(path)
        if device is None:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        self.opened.append(path)
        device.closed = False
        return device
