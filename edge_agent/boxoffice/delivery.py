"""Getting a sold ticket to its holder: a QR on the screen, on paper, or by e-mail.

The QR (``qr_svg``) is drawn on every read of a receipt from the stored code, so the
ledger keeps only the code; printing renders the same code on the ESC/POS printer
(``runtime.printer``). A reprint uses the stored codes: the same tickets, never new
ones. E-mail is not sent here: the sale row says ``delivery = "email"`` and the
platform queues the message when it ingests the row.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import segno

from hardware.errors import PrinterError
from hardware.printer import PrintableTicket, ReceiptPrinter

log = logging.getLogger(__name__)


def qr_svg(code: str) -> str:
    """An inline SVG of the code (error correction M, as printed tickets use)."""
    qr = segno.make_qr(code, error="m", mode="alphanumeric", boost_error=False)
    return str(qr.svg_inline(scale=4, border=4))


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


__all__ = ["PrinterError", "print_tickets", "qr_svg", "with_qr"]
