"""Printing an admission ticket on an ESC/POS receipt printer (python-escpos).

The box office hands a :class:`PrintableTicket` (plain text fields, already formatted for
people) to any :class:`ReceiptPrinter`; it never builds printer commands itself. The
layout is rendered once, in memory, by :func:`render_ticket` using python-escpos's
``Dummy`` printer, and the resulting bytes are what every backend sends (network, USB) or
keeps (dummy). So the exact bytes a venue printer receives are the bytes the tests read,
and the QR on paper carries exactly ``qr_text`` (native ``GS ( k`` by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from hardware.errors import PrinterError
from hardware.health import DeviceHealth

QrMode = Literal["native", "image"]

QR_MAX_BYTES = 2331
"""Byte capacity of the largest QR (version 40) at error correction M."""


@dataclass(frozen=True)
class PrintableTicket:
    """What goes on paper, top to bottom. All text is final (prices already formatted)."""

    event_name: str
    venue: str
    ticket_type: str
    holder: str
    ticket_id: str
    order_id: str
    price_text: str
    qr_text: str
    """The exact text the gate will scan (the signed ticket code)."""
    footer: str = ""


class ReceiptPrinter(Protocol):
    """A ticket printer; backends are picked by ``type`` (network, usb, dummy)."""

    id: str
    health: DeviceHealth

    async def print_ticket(self, ticket: PrintableTicket) -> None:
        """Print one ticket and cut. Blocking I/O runs in a thread; jobs never interleave.

        Raises :class:`~hardware.errors.PrinterOffline` (unreachable, unplugged),
        :class:`~hardware.errors.PrinterPaperOut`, or another
        :class:`~hardware.errors.PrinterError`; in each case nothing was sent, or what was
        sent is reported, so the caller can offer a reprint.
        """
        ...

    async def close(self) -> None:
        """Free the device; idempotent."""
        ...


def render_ticket(
    ticket: PrintableTicket,
    *,
    qr_mode: QrMode = "native",
    qr_size: int = 6,
    profile: str | None = None,
    cut: bool = True,
) -> bytes:
    """The ESC/POS byte stream for ``ticket`` (no I/O: rendered into a ``Dummy``).

    ``qr_mode = "native"`` sends the QR as ``GS ( k`` commands so the printer draws it
    (sharp, small job); ``"image"`` rasterises it here for printers without 2D-code
    support. ``qr_size`` is the module size in dots (1–16).
    """
    from escpos.printer import Dummy  # type: ignore[import-untyped]

    if not ticket.qr_text:
        raise PrinterError(f"ticket {ticket.ticket_id!r} has no QR text; refusing to print it")
    if len(ticket.qr_text.encode("utf-8")) > QR_MAX_BYTES:
        raise PrinterError(
            f"ticket {ticket.ticket_id!r}: QR text is longer than {QR_MAX_BYTES} bytes, "
            "more than a QR at error correction M holds"
        )
    if not 1 <= qr_size <= 16:
        raise PrinterError(f"qr_size must be 1..16, got {qr_size}")
    try:
        p = Dummy(profile=profile)
        p.hw("INIT")
        p.set(align="center", bold=True, double_height=True, double_width=True)
        p.textln(ticket.event_name)
        p.set(align="center", bold=False, normal_textsize=True)
        p.textln(ticket.venue)
        p.ln()
        p.set(align="center", bold=True)
        p.textln(ticket.ticket_type)
        p.set(align="center", bold=False)
        p.textln(ticket.holder)
        p.ln()
        _print_qr(p, ticket.qr_text, qr_mode=qr_mode, qr_size=qr_size)
        p.ln()
        p.set(align="left")
        p.textln(f"Ticket: {ticket.ticket_id}")
        p.textln(f"Order:  {ticket.order_id}")
        p.textln(f"Price:  {ticket.price_text}")
        if ticket.footer:
            p.ln()
            p.set(align="center", font="b")
            p.textln(ticket.footer)
            p.set(align="left", font="a")
        if cut:
            p.cut()  # feeds past the cutter first
    except Exception as exc:  # python-escpos raises its own untyped errors
        raise PrinterError(f"cannot lay out ticket {ticket.ticket_id!r}: {exc}") from exc
    data: bytes = p.output
    return data


def _print_qr(p: Any, text: str, *, qr_mode: QrMode, qr_size: int) -> None:
    """Error correction M: survives a smudge or a fold and still fits 58 mm paper."""
    from escpos.constants import QR_ECLEVEL_M  # type: ignore[import-untyped]

    # Centred by the caller's ESC a 1, which printers apply to 2D codes and raster images
    # alike (escpos's own ``center=`` needs the paper width in the profile).
    p.qr(text, native=qr_mode == "native", size=qr_size, ec=QR_ECLEVEL_M)


def qr_store_command(text: str) -> bytes:
    """The ``GS ( k`` *store the data* command (cn 49, fn 80, m 48) for ``text``: what a
    printer receives before it prints a native QR. Tests look for it in the job bytes."""
    data = text.encode("utf-8")
    n = len(data) + 3
    return b"\x1d(k" + bytes([n & 0xFF, n >> 8]) + b"1P0" + data
