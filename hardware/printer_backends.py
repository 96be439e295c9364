"""Where ticket bytes go: a network printer (raw TCP, port 9100), a USB printer (pyusb),
or a dummy that keeps them (tests, demo, a box office without a printer yet).

Every job opens the device, optionally asks for the paper sensor (``DLE EOT 4``), sends
the whole rendered job in one write, and closes again: a printer that was power-cycled
between tickets just works on the next one, and a paper-out printer is refused *before*
anything is sent. Blocking I/O runs in a worker thread; an ``asyncio.Lock`` keeps jobs
from interleaving on one printer.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

from hardware.errors import HardwareConfigError, PrinterError, PrinterOffline, PrinterPaperOut
from hardware.health import DeviceHealth
from hardware.printer import PrintableTicket, QrMode, render_ticket

log = logging.getLogger(__name__)

PAPER_OUT, PAPER_LOW, PAPER_OK = 0, 1, 2  # python-escpos ``paper_status()`` values


@dataclass(frozen=True)
class _LayoutOptions:
    """Keys every printer type shares: how the ticket is laid out."""

    qr_mode: QrMode = "native"
    """``native`` (printer draws the QR from ``GS ( k``) or ``image`` (raster fallback)."""
    qr_size: int = 6
    """QR module size in dots, 1..16."""
    profile: str | None = None
    """python-escpos capability profile (e.g. ``"TM-T88III"``); default: generic."""
    cut: bool = True

    def validate(self, device_id: str) -> None:
        if not 1 <= self.qr_size <= 16:
            raise HardwareConfigError(device_id, "qr_size", f"must be 1..16, got {self.qr_size}")
        if self.profile is not None:
            from escpos.printer import Dummy  # type: ignore[import-untyped]

            try:
                Dummy(profile=self.profile)
            except Exception as exc:
                raise HardwareConfigError(
                    device_id, "profile", f"unknown python-escpos profile {self.profile!r}"
                ) from exc


@dataclass(frozen=True)
class NetworkPrinterOptions(_LayoutOptions):
    """Keys of a ``type = "network"`` printer (raw TCP, "JetDirect", usually port 9100)."""

    host: str = ""
    port: int = 9100
    timeout_s: float = 5.0
    """Connect, status and send timeout."""
    check_paper: bool = True
    """Ask the paper sensor before each job; turn off for printers that never answer."""

    def validate(self, device_id: str) -> None:
        super().validate(device_id)
        if not self.host:
            raise HardwareConfigError(device_id, "host", "required (printer IP or name)")
        if not 0 < self.port < 65536:
            raise HardwareConfigError(device_id, "port", f"must be 1..65535, got {self.port}")
        if not 0 < self.timeout_s <= 120:
            raise HardwareConfigError(device_id, "timeout_s", "must be > 0 and <= 120")


@dataclass(frozen=True)
class UsbPrinterOptions(_LayoutOptions):
    """Keys of a ``type = "usb"`` printer (needs libusb-1.0 on the host)."""

    vendor_id: int = 0
    """USB vendor id, e.g. ``0x04b8`` (Epson); see ``lsusb``."""
    product_id: int = 0
    in_ep: int = 0x82
    out_ep: int = 0x01
    timeout_ms: int = 5000
    check_paper: bool = True

    def validate(self, device_id: str) -> None:
        super().validate(device_id)
        for key in ("vendor_id", "product_id"):
            if not 0 < getattr(self, key) <= 0xFFFF:
                raise HardwareConfigError(device_id, key, "required, 0x0001..0xffff (lsusb)")
        if not 0 < self.timeout_ms <= 120_000:
            raise HardwareConfigError(device_id, "timeout_ms", "must be 1..120000")


@dataclass(frozen=True)
class DummyPrinterOptions(_LayoutOptions):
    """Keys of a ``type = "dummy"`` printer: keeps the bytes; can pretend to fail."""

    simulate: Literal["ok", "offline", "paper_out"] = "ok"


class EscposPrinter(ABC):
    """Shared job handling: render, lock, run the blocking send in a thread, keep health."""

    kind = "printer"

    def __init__(self, device_id: str, type_: str, options: _LayoutOptions) -> None:
        options.validate(device_id)
        self.id = device_id
        self.layout = options
        self.health = DeviceHealth(id=device_id, kind=self.kind, type=type_)
        self._lock = asyncio.Lock()

    async def print_ticket(self, ticket: PrintableTicket) -> None:
        """Render, then send in a worker thread; see :class:`hardware.printer.ReceiptPrinter`."""
        data = render_ticket(
            ticket,
            qr_mode=self.layout.qr_mode,
            qr_size=self.layout.qr_size,
            profile=self.layout.profile,
            cut=self.layout.cut,
        )
        async with self._lock:
            job = asyncio.ensure_future(asyncio.to_thread(self._send, data))
            try:
                await asyncio.shield(job)
            except asyncio.CancelledError:
                # A thread cannot be cancelled: keep the printer locked until it is done,
                # so the next job does not open a second connection mid-ticket.
                await asyncio.wait([job])
                if not job.cancelled() and job.exception() is not None:
                    log.warning(
                        "%s: job abandoned by its caller failed: %s", self.id, job.exception()
                    )
                raise
            except PrinterOffline as exc:
                self.health.fail(str(exc), _now_ms(), disconnected=True)
                raise
            except PrinterError as exc:
                self.health.fail(str(exc), _now_ms())
                raise
        self.health.ok(_now_ms())
        log.info("%s: printed ticket %s (%d bytes)", self.id, ticket.ticket_id, len(data))

    async def close(self) -> None:
        """Jobs open and close the device themselves; nothing is held between them."""
        self.health.connected = False

    @abstractmethod
    def _send(self, data: bytes) -> None:
        """Blocking: deliver one whole job or raise a ``PrinterError``."""

    def _check_paper(self, printer: Any, where: str) -> None:
        try:
            status = printer.paper_status()
        except (OSError, TimeoutError) as exc:
            raise PrinterOffline(
                f"{self.id}: printer at {where} did not answer the paper status query "
                f"({exc or type(exc).__name__}); check it is on, or set check_paper = false "
                "if this model never answers DLE EOT"
            ) from exc
        if status == PAPER_OUT:
            raise PrinterPaperOut(f"{self.id}: printer at {where} is out of paper; nothing sent")
        if status == PAPER_LOW:
            log.warning("%s: printer at %s reports paper nearly out", self.id, where)


class NetworkPrinter(EscposPrinter):
    """An ESC/POS printer on the LAN, raw TCP (python-escpos ``Network``)."""

    def __init__(self, device_id: str, options: NetworkPrinterOptions) -> None:
        super().__init__(device_id, "network", options)
        self.options = options

    def _send(self, data: bytes) -> None:
        from escpos.printer import Network

        o = self.options
        where = f"{o.host}:{o.port}"
        # Connect here rather than with ``Network.open()``: that drops its socket unclosed
        # when the connect fails, and we want the OS error in the message.
        try:
            sock = socket.create_connection((o.host, o.port), timeout=o.timeout_s)
        except OSError as exc:
            raise PrinterOffline(
                f"{self.id}: cannot reach printer at {where} ({exc.strerror or exc}); "
                "check power, cable and IP address"
            ) from exc
        p = Network(o.host, port=o.port, timeout=o.timeout_s)
        p.device = sock
        try:
            if o.check_paper:
                self._check_paper(p, where)
            p._raw(data)
        except OSError as exc:
            raise PrinterOffline(f"{self.id}: connection to {where} lost mid-job: {exc}") from exc
        finally:
            p.close()


class UsbPrinter(EscposPrinter):
    """An ESC/POS printer on USB (python-escpos ``Usb``, pyusb + libusb-1.0)."""

    def __init__(self, device_id: str, options: UsbPrinterOptions) -> None:
        super().__init__(device_id, "usb", options)
        self.options = options

    def _send(self, data: bytes) -> None:
        from escpos.exceptions import DeviceNotFoundError  # type: ignore[import-untyped]
        from escpos.printer import Usb

        o = self.options
        where = f"USB {o.vendor_id:04x}:{o.product_id:04x}"
        p = Usb(o.vendor_id, o.product_id, timeout=o.timeout_ms, in_ep=o.in_ep, out_ep=o.out_ep)
        try:
            try:
                p.open()
            except DeviceNotFoundError as exc:
                raise PrinterOffline(
                    f"{self.id}: {where} not found; check the cable and that the printer is on"
                ) from exc
            except (ValueError, RuntimeError) as exc:  # pyusb NoBackendError / pyusb missing
                raise PrinterOffline(
                    f"{self.id}: cannot use {where}: {exc} (needs python-escpos[usb] and "
                    "libusb-1.0-0: apt install libusb-1.0-0)"
                ) from exc
            if o.check_paper:
                self._check_paper(p, where)
            p._raw(data)
        except PrinterError:
            raise
        except Exception as exc:  # usb.core.USBError and friends (pyusb is untyped)
            raise PrinterOffline(f"{self.id}: {where} failed mid-job: {exc}") from exc
        finally:
            try:
                p.close()
            except Exception as exc:  # a vanished device cannot be closed cleanly
                log.debug("%s: closing %s: %s", self.id, where, exc)


class DummyPrinter(EscposPrinter):
    """Keeps every job's bytes (python-escpos ``Dummy`` rendered them); ``simulate`` can be
    changed at run time to exercise the offline / paper-out paths end to end."""

    def __init__(self, device_id: str, options: DummyPrinterOptions | None = None) -> None:
        options = options or DummyPrinterOptions()
        super().__init__(device_id, "dummy", options)
        self.simulate = options.simulate
        self.jobs: list[bytes] = []
        self.health.connected = True

    @property
    def output(self) -> bytes:
        """Every job sent so far, concatenated."""
        return b"".join(self.jobs)

    def _send(self, data: bytes) -> None:
        if self.simulate == "offline":
            raise PrinterOffline(f"{self.id}: dummy printer simulating offline")
        if self.simulate == "paper_out":
            raise PrinterPaperOut(f"{self.id}: dummy printer simulating paper out")
        self.jobs.append(data)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
