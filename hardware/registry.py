"""Gate outputs and ticket printers by config ``type``: the options class that parses the
keys, and the factory that builds the device.

The agent's config loader calls :func:`parse_output_options` / :func:`parse_printer_options`
while loading (so a bad key stops the agent at start, naming the key) and
:func:`build_output` / :func:`build_printer` when the lane or box office starts; all
take ``(device_id, type, …)``. Adding a backend is one entry in :data:`OUTPUTS` or
:data:`PRINTERS` plus its module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from hardware.console_output import ConsoleOutput, ConsoleOutputOptions
from hardware.errors import HardwareConfigError
from hardware.fake_output import FakeOutput, FakeOutputOptions
from hardware.gpio_output import GpioOutput, GpioOutputOptions
from hardware.options import parse_options
from hardware.printer import ReceiptPrinter
from hardware.printer_backends import (
    DummyPrinter,
    DummyPrinterOptions,
    NetworkPrinter,
    NetworkPrinterOptions,
    UsbPrinter,
    UsbPrinterOptions,
)
from hardware.signals import GateOutput

D = TypeVar("D")


@dataclass(frozen=True)
class Backend(Generic[D]):
    """One ``type``: its frozen options dataclass and ``factory(id, options)``."""

    options: type[Any]
    factory: Callable[[str, Any], D]
    description: str


OUTPUTS: dict[str, Backend[GateOutput]] = {
    "gpio": Backend(
        GpioOutputOptions, GpioOutput, "lamps, buzzer and turnstile relay via gpiozero"
    ),
    "fake": Backend(FakeOutputOptions, FakeOutput, "records signals (tests, demo)"),
    "console": Backend(
        ConsoleOutputOptions, ConsoleOutput, "prints a coloured line per signal (demo)"
    ),
}

PRINTERS: dict[str, Backend[ReceiptPrinter]] = {
    "network": Backend(NetworkPrinterOptions, NetworkPrinter, "ESC/POS over raw TCP (port 9100)"),
    "usb": Backend(UsbPrinterOptions, UsbPrinter, "ESC/POS over USB (libusb)"),
    "dummy": Backend(DummyPrinterOptions, DummyPrinter, "keeps the bytes (tests, demo)"),
}


def _parse(
    table: Mapping[str, Backend[Any]], what: str, device_id: str, type_: str,
    raw: Mapping[str, object],
) -> Any:  # fmt: skip
    backend = table.get(type_)
    if backend is None:
        known = ", ".join(table)
        raise HardwareConfigError(
            device_id, "type", f"unknown {what} type {type_!r} (known: {known})"
        )
    return parse_options(backend.options, device_id, raw)


def _build(table: Mapping[str, Backend[D]], device_id: str, type_: str, options: Any) -> D:
    backend = table.get(type_)
    if backend is None or not isinstance(options, backend.options):
        raise HardwareConfigError(device_id, "type", f"options do not match type {type_!r}")
    return backend.factory(device_id, options)


def parse_output_options(device_id: str, type_: str, raw: Mapping[str, object]) -> Any:
    """The options object for ``type_`` from ``raw`` (the table minus ``id`` and ``type``).

    Raises :class:`~hardware.errors.HardwareConfigError` naming the key for an unknown
    type, unknown key, wrong value type or unsafe value.
    """
    return _parse(OUTPUTS, "output", device_id, type_, raw)


def build_output(device_id: str, type_: str, options: Any) -> GateOutput:
    """Construct the device (claims pins). Raises ``HardwareError`` if it cannot."""
    return _build(OUTPUTS, device_id, type_, options)


def parse_printer_options(device_id: str, type_: str, raw: Mapping[str, object]) -> Any:
    """Like :func:`parse_output_options`, for ``PRINTERS``."""
    return _parse(PRINTERS, "printer", device_id, type_, raw)


def build_printer(device_id: str, type_: str, options: Any) -> ReceiptPrinter:
    """Construct the printer (no I/O yet: each job opens the device)."""
    return _build(PRINTERS, device_id, type_, options)
