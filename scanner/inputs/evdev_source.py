"""Where keyboard-wedge devices come from: the real ``/dev/input``, or a fake bus in tests.

The wedge input (``scanner/inputs/wedge.py``) uses only these shapes, so the tests drive
its exact code with an evdev-shaped fake (``scanner/inputs/fake_evdev.py``) where no
``/dev/uinput`` exists, and the input context names the source without importing the
wedge itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol, cast


class InputEventLike(Protocol):
    """What evdev's ``InputEvent`` carries that we use."""

    type: int
    code: int
    value: int


class DeviceInfoLike(Protocol):
    vendor: int
    product: int


class EvdevDevice(Protocol):
    """The part of ``evdev.InputDevice`` the wedge uses (the fake has the same shape)."""

    path: str
    name: str
    info: DeviceInfoLike

    def capabilities(self) -> Mapping[int, Sequence[int]]: ...

    def grab(self) -> None: ...

    def ungrab(self) -> None: ...

    def close(self) -> None: ...

    def async_read_loop(self) -> AsyncIterator[InputEventLike]: ...


class EvdevSource(Protocol):
    """Where devices come from: the real ``/dev/input``, or a fake bus in tests."""

    def list_paths(self) -> list[str]: ...

    def open(self, path: str) -> EvdevDevice: ...


class RealEvdevSource:
    """python-evdev on this machine's ``/dev/input`` (needs read access: group ``input``)."""

    def list_paths(self) -> list[str]:
        import evdev

        return sorted(evdev.list_devices())

    def open(self, path: str) -> EvdevDevice:
        import evdev

        return cast(EvdevDevice, evdev.InputDevice(path))
