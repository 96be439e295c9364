"""Getting a sold ticket to its holder: a QR on the screen, on paper, or by e-mail.

The ledger keeps only the code; a receipt's QR (``qr_svg``) is drawn from it when the
receipt is answered, and kept in a bounded cache so reading receipts again (the sales
list, a reopened receipt) costs no drawing. Printing renders the same code on the
ESC/POS printer (``runtime.printer``). A reprint uses the stored codes: the same
tickets, never new ones. E-mail is not sent here: the sale row says
``delivery = "email"`` and the platform queues the message when it ingests the row.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Mapping
from typing import Any

import segno

from hardware.errors import PrinterError
from hardware.printer import PrintableTicket, ReceiptPrinter

log = logging.getLogger(__name__)


#: The QR data mask every receipt QR uses. Choosing the "best" of the eight masks (the
#: ISO 18004 penalty score) was ~80% of a door sale's time: segno scores all eight in
#: pure Python (~10 ms, far more on a busy till). Readers undo whichever mask the symbol
#: names, and a GH1 code's bytes are a signature and random ids, so no mask is much
#: worse than another: on 480 degraded camera frames per mask (blur, tilt, glare,
#: noise, low light, 150 and 220 px) each fixed mask decoded within 1% as often as the
#: chosen one, with ``scanner.decoders.decoder``. Mask 3 had the lowest average penalty
#: of the eight.
QR_MASK = 3

#: Receipts kept drawn: a till lists at most 500 sales; a QR's SVG is about 3 kB.
QR_CACHE_SIZE = 1024


@functools.lru_cache(maxsize=QR_CACHE_SIZE)
def qr_svg(code: str) -> str:
    """A standalone SVG of the code (error correction M, as printed tickets use).

    It names the SVG namespace, so it shows as an image on its own (a file, a data
    URL, an e-mail), not only inline in an HTML page. Cached per code: the same code
    always draws the same symbol."""
    qr = segno.make_qr(code, error="m", mode="alphanumeric", boost_error=False, mask=QR_MASK)
    out = io.BytesIO()
    qr.save(out, kind="svg", xmldecl=False, svgns=True, nl=False, scale=4, border=4)
    return out.getvalue().decode("utf-8")


def with_qr(receipt: Mapping[str, Any]) -> dict[str, Any]:
    """The receipt as the API answers it: each ticket with its ``qr_svg``."""
    return {
        **receipt,
        "tickets": [{**tk, "qr_svg": qr_svg(tk["code"])} for tk in receipt["tickets"]],
    }


def money_text(cents: int, currency: str) -> str:
    return f"{currency} {cents // 100}.{cents % 100:02d}"


def printable(
    receipt: Mapping[str, Any], ticket: Mapping[str, Any], event_name: str, venue: str
) -> PrintableTicket:
    unit = next(
        (i["unit_cents"] for i in receipt["items"] if i["ticket_type"] == ticket["ticket_type"]),
        0,
    )
    price = "complimentary" if receipt["payment"]["method"] == "comp" else None
    customer = receipt.get("customer") or {}
    return PrintableTicket(
        event_name=event_name,
        venue=venue,
        ticket_type=ticket["name"],
        holder=customer.get("name") or "",
        ticket_id=ticket["ticket_id"],
        order_id=receipt["order_id"],
        price_text=price or money_text(unit, receipt["currency"]),
        qr_text=ticket["code"],
        footer="Sold at the door. Keep this ticket.",
    )


async def print_tickets(
    printer: ReceiptPrinter,
    receipt: Mapping[str, Any],
    ticket_ids: set[str] | None,
    event_name: str,
    venue: str,
) -> int:
    """Print the receipt's tickets (all, or those in ``ticket_ids``); returns how many
    printed. Raises ``PrinterError`` on the first failure (the rest are not tried)."""
    printed = 0
    for ticket in receipt["tickets"]:
        if ticket_ids is not None and ticket["ticket_id"] not in ticket_ids:
            continue
        await printer.print_ticket(printable(receipt, ticket, event_name, venue))
        printed += 1
    return printed


__all__ = ["QR_CACHE_SIZE", "QR_MASK", "PrinterError", "print_tickets", "qr_svg", "with_qr"]
