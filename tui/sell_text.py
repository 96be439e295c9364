"""What the Sell screen says about the box-office figures, in words (pure): the till
line, what is still sellable per ticket type, admitted against capacity."""

from __future__ import annotations

from tui.documents.boxoffice import Figures, TicketTypeFigures
from tui.sale_form import money_text


def till_line(figures: Figures) -> str:
    currency = figures.currency
    s = figures.session
    net = "" if figures.online else " · ! OFFLINE: selling from leases already held"
    if s is None:
        return f"Till closed — press n to open it (operator and cash float){net}"
    return (
        f"Till: {s.operator} · float {money_text(s.float_cents, currency)} · "
        f"IN DRAWER {money_text(s.cash_in_drawer_cents, currency)} · "
        f"{s.sales} sales, {s.voids} voids{net}"
    )


def capacity_text(t: TicketTypeFigures) -> str:
    return f"{t.scanned}/{t.capacity if t.capacity is not None else '?'}"


def sellable_text(t: TicketTypeFigures) -> str:
    """What is left to sell here, in a word when nothing is: ``SOLD OUT`` only when this
    box holds a lease of the type and has sold all of it; ``no lease`` when it holds none
    (never leased, returned or expired) — staff read SOLD OUT as "the event is full"."""
    if t.sellable:
        return str(t.sellable)
    return "SOLD OUT" if t.leased else "no lease"
