"""Sell: the door sale at the counter — the same sale as the iPad page, from a terminal.

Ticket types with their price and what is still sellable from this box's leases (online
or offline), a cart, payment (cash with change, card terminal, comp), delivery (QR on
screen, print, e-mail) and the receipt; the till session (float, cash in drawer, close
with the counted cash); void and reprint; for a supervisor, leasing seats from the
platform and returning the unsold ones. Every sale carries a request id kept until the
agent answers, so retrying after a lost answer never sells twice.

The figures (types, leases, the till) come from the app's poll, the only poll of
``/api/v1/boxoffice``; this screen fetches its till's sales each time new figures arrive
while it is shown, and asks the app for fresh figures (``StatusWanted``) when it comes
to the front and after every action that changes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tui.documents.boxoffice import Figures, Sale, TicketTypeFigures
from tui.errors import AgentRefused, AgentUnreachable
from tui.formatting import ms_clock_text
from tui.messages import StatusWanted
from tui.sale_form import Cart, PendingSale, money_text
from tui.screens.base import AgentScreen, ScreenContext
from tui.screens.modals import ConfirmScreen
from tui.screens.sell_modals import (
    CloseSessionScreen,
    OpenSessionScreen,
    PaymentScreen,
    ReasonScreen,
    ReceiptScreen,
)
from tui.sell_text import capacity_text, sellable_text, till_line


class SellScreen(AgentScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus,equals_sign", "add(1)", "+1"),
        Binding("minus", "add(-1)", "-1"),
        Binding("enter", "pay", "Pay", priority=True),
        Binding("x", "clear", "Clear"),
        Binding("n", "open_till", "Open till"),
        Binding("c", "close_till", "Close till"),
        Binding("r", "receipt", "Receipt"),
        Binding("v", "void", "Void"),
        Binding("p", "print", "Reprint"),
        Binding("l", "lease", "Lease seats"),
        Binding("u", "return_leases", "Return unsold"),
    ]

    def __init__(self, context: ScreenContext) -> None:
        super().__init__(context)
        #: The figures on screen: the last the app polled (kept while it has none).
        self.shown = Figures.from_json({})
        self.sales: list[Sale] = []
        self.cart = Cart()
        self.pending: PendingSale | None = None

    def compose_body(self) -> Iterable[Widget]:
        yield Static("Loading…", id="till")
        yield DataTable(id="types", cursor_type="row", zebra_stripes=True)
        yield Static(id="cart")
        yield DataTable(id="sales", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        types = self.query_one("#types", DataTable)
        for label, width in (("Ticket type", 22), ("Price", 12), ("Sellable", 8),
                             ("Cart", 4), ("Sold here", 9), ("In/cap", 11)):  # fmt: skip
            types.add_column(label, width=width)
        types.border_title = "Ticket types (+/- to add, enter to pay)"
        sales = self.query_one("#sales", DataTable)
        for label, width in (("Time", 8), ("Order", 15), ("Items", 15), ("Total", 11),
                             ("Paid", 8), ("State", 7)):  # fmt: skip
            sales.add_column(label, width=width)
        sales.border_title = "This till's sales (r receipt, v void, p reprint)"
        types.focus()
        self._show_cart()
        self.watch(self.app, "figures_problem", self._show_problem)
        super().on_mount()

    def on_screen_resume(self, _event: events.ScreenResume) -> None:
        self.post_message(StatusWanted())  # the figures may be a poll old: fresh ones now

    # -- figures ------------------------------------------------------------------------
    def show_figures(self, figures: Figures | None) -> None:
        if figures is None:
            return  # the problem line says why; the last figures stay on screen
        self.shown = figures
        self._show_types()
        if self.is_current:
            self.refresh_sales()

    def _show_problem(self, problem: str) -> None:
        if problem:
            self.query_one("#till", Static).update(problem)

    @work(exclusive=True, group="sales")
    async def refresh_sales(self) -> None:
        try:
            answer = await self.api.sales(20)
        except AgentRefused as exc:
            self.query_one("#till", Static).update(f"✘ {exc.message} ({exc.code})")
            return
        except AgentUnreachable as exc:
            self.query_one("#till", Static).update(f"✘ AGENT UNREACHABLE — {exc}")
            return
        self.sales = answer.sales
        self._show_sales()

    def _show_types(self) -> None:
        figures = self.shown
        self.query_one("#till", Static).update(till_line(figures))
        types = self.query_one("#types", DataTable)
        row = types.cursor_row
        types.clear()
        for t in self.types:
            types.add_row(
                t.label,
                money_text(t.price_cents, figures.currency),
                sellable_text(t),
                str(self.cart.quantities.get(t.ticket_type, "")),
                str(t.sold_here),
                capacity_text(t),
            )
        if self.types:
            types.move_cursor(row=min(row, len(self.types) - 1))
        self._show_cart()

    def _show_sales(self) -> None:
        table = self.query_one("#sales", DataTable)
        table.clear()
        for s in self.sales:
            table.add_row(
                ms_clock_text(s.at_ms, self.tz),
                s.order_id,
                ", ".join(f"{i.quantity}×{i.name}" for i in s.items),
                money_text(s.total_cents, s.currency),
                s.payment.method,
                Text("✘ VOID", style="bold red") if s.voided else Text("✔ sold"),
            )

    @property
    def types(self) -> list[TicketTypeFigures]:
        return self.shown.ticket_types

    # -- the cart -----------------------------------------------------------------------
    def action_add(self, delta: int) -> None:
        types = self.types
        row = self.query_one("#types", DataTable).cursor_row
        if not 0 <= row < len(types):
            return
        t = types[row]
        before = self.cart.quantities.get(t.ticket_type, 0)
        if self.cart.add(t.ticket_type, delta, t.sellable) == before and delta > 0:
            self.notify(f"Only {t.sellable} {t.name} left to sell here", severity="warning")
        self.pending = None  # a changed cart is a new sale
        self._show_types()

    def action_clear(self) -> None:
        self.cart.clear()
        self.pending = None
        self._show_types()

    def _cart_items_text(self) -> str:
        names = {t.ticket_type: t.name for t in self.types}
        return ", ".join(f"{q} × {names.get(t, t)}" for t, q in self.cart.quantities.items())

    def _show_cart(self) -> None:
        if not self.cart.count():
            text = "Cart empty — pick a type, + to add"
        else:
            total = money_text(self.cart.total_cents(self.shown.prices()), self.shown.currency)
            text = f"Cart: {self._cart_items_text()} = {total} — enter: take payment"
        if self.pending is not None:
            text += "  (last attempt not confirmed: enter retries the SAME sale)"
        self.query_one("#cart", Static).update(text)

    # -- selling ------------------------------------------------------------------------
    def action_pay(self) -> None:
        if self.shown.session is None:
            self.notify("Open the till first (n).", severity="warning")
            return
        if not self.cart.count():
            self.notify("The cart is empty: pick a type and press +.", severity="warning")
            return
        if self.pending is not None:
            self.send_sale(self.pending)  # retry with the same request id
            return
        total = self.cart.total_cents(self.shown.prices())
        currency = self.shown.currency
        summary = self._cart_items_text()

        def paid(body: dict[str, Any] | None) -> None:
            if body is not None:
                self.pending = PendingSale({"items": self.cart.items(), **body})
                self.send_sale(self.pending)

        self.app.push_screen(PaymentScreen(summary, total, currency), paid)

    @work(exclusive=True, group="sell")
    async def send_sale(self, pending: PendingSale) -> None:
        try:
            receipt = await self.api.sell(pending.request())
        except AgentUnreachable as exc:
            self._show_cart()
            self.notify(f"NOT SOLD — {exc}. Enter retries the same sale.", severity="error",
                        title="Agent unreachable", timeout=10)  # fmt: skip
            return
        except AgentRefused as exc:
            self.pending = None  # refused for good: nothing was recorded
            self._show_cart()
            self.refused(exc, "Sale")
            return
        self.pending = None
        self.cart.clear()
        self.show_receipt(receipt)
        self.post_message(StatusWanted())

    def show_receipt(self, receipt: Sale) -> None:
        def then(answer: str | None) -> None:
            if answer == "print":
                self.reprint(receipt.sale_id)
            elif answer == "void":
                self._ask_void(receipt)

        self.app.push_screen(ReceiptScreen(receipt), then)

    def _selected_sale(self) -> Sale | None:
        row = self.query_one("#sales", DataTable).cursor_row
        if 0 <= row < len(self.sales):
            return self.sales[row]
        self.notify("Pick a sale in the list first.", severity="warning")
        return None

    def action_receipt(self) -> None:
        sale = self._selected_sale()
        if sale is not None:
            self.show_receipt(sale)

    def action_void(self) -> None:
        sale = self._selected_sale()
        if sale is not None:
            self._ask_void(sale)

    def action_print(self) -> None:
        sale = self._selected_sale()
        if sale is not None:
            self.reprint(sale.sale_id)

    def _ask_void(self, sale: Sale) -> None:
        def then(reason: str | None) -> None:
            if reason:
                self.void(sale.sale_id, reason)

        question = f"VOID order {sale.order_id}? Its tickets stop working at once."
        self.app.push_screen(ReasonScreen(question, "Reason, e.g. wrong ticket type"), then)

    @work(exclusive=True, group="sale-action")
    async def void(self, sale_id: str, reason: str) -> None:
        receipt = await self.ask("Void", self.api.void_sale(sale_id, reason))
        if receipt is None:
            return
        back = ""
        if receipt.payment.method == "cash":
            back = f" — give back {money_text(receipt.total_cents, receipt.currency)}"
        self.notify(f"Order {receipt.order_id} voided{back}", title="✘ VOIDED")
        self.post_message(StatusWanted())

    @work(exclusive=True, group="sale-action")
    async def reprint(self, sale_id: str) -> None:
        answer = await self.ask("Print", self.api.print_sale(sale_id))
        if answer is None:
            return
        self.notify(f"Printed {answer.printed} ticket(s) — the same tickets")

    # -- leases (a supervisor's call: the agent answers ``forbidden`` otherwise) --------
    def _selected_type(self) -> TicketTypeFigures | None:
        row = self.query_one("#types", DataTable).cursor_row
        types = self.types
        return types[row] if 0 <= row < len(types) else None

    def action_lease(self) -> None:
        t = self._selected_type()
        if t is None:
            return

        def then(answer: str | None) -> None:
            if answer is None:
                return
            if not answer.strip().isdigit() or int(answer) < 1:
                self.notify("Type how many seats, e.g. 20", severity="warning")
                return
            self.take_lease(t.ticket_type, int(answer))

        question = f"Lease seats of {t.name} from the platform (needs the network)"
        self.app.push_screen(ReasonScreen(question, "How many seats, e.g. 20"), then)

    @work(exclusive=True, group="lease")
    async def take_lease(self, ticket_type: int, count: int) -> None:
        lease = await self.ask("Lease", self.api.take_lease(ticket_type, count))
        if lease is None:
            return
        self.notify(f"Leased {lease.count} seats (asked {count})", title="Lease")
        self.post_message(StatusWanted())

    def action_return_leases(self) -> None:
        t = self._selected_type()
        if t is None:
            return
        open_leases = [lease.lease_id for lease in t.leases if not lease.closed]
        if not open_leases:
            self.notify(f"No open lease of {t.name} to return.", severity="warning")
            return

        def then(yes: bool | None) -> None:
            if yes:
                self.return_leases(open_leases)

        question = f"Return the unsold seats of {t.name} to the platform? Stops selling it."
        self.app.push_screen(ConfirmScreen(question), then)

    @work(exclusive=True, group="lease")
    async def return_leases(self, lease_ids: list[str]) -> None:
        returned = 0
        for lease_id in lease_ids:
            answer = await self.ask("Return", self.api.return_lease(lease_id))
            if answer is None:
                break
            returned += answer.returned
        self.notify(f"Returned {returned} unsold seats", title="Lease")
        self.post_message(StatusWanted())

    # -- the till -----------------------------------------------------------------------
    def action_open_till(self) -> None:
        if self.shown.session is not None:
            self.notify("The till is already open.", severity="warning")
            return

        def then(answer: tuple[str, int] | None) -> None:
            if answer is not None:
                self.open_till(*answer)

        self.app.push_screen(OpenSessionScreen(), then)

    @work(exclusive=True, group="till")
    async def open_till(self, operator: str, float_cents: int) -> None:
        if await self.ask("Open till", self.api.open_session(operator, float_cents)) is None:
            return
        self.post_message(StatusWanted())

    def action_close_till(self) -> None:
        session = self.shown.session
        if session is None:
            self.notify("The till is not open.", severity="warning")
            return
        expected = money_text(session.cash_in_drawer_cents, self.shown.currency)

        def then(counted: int | None) -> None:
            if counted is not None:
                self.close_till(counted)

        self.app.push_screen(CloseSessionScreen(expected), then)

    @work(exclusive=True, group="till")
    async def close_till(self, counted_cents: int) -> None:
        answer = await self.ask("Close till", self.api.close_session(counted_cents))
        if answer is None:
            return
        currency = self.shown.currency
        diff = answer.difference_cents
        word = "balanced" if diff == 0 else ("OVER" if diff > 0 else "SHORT")
        self.notify(
            f"Expected {money_text(answer.expected_cents, currency)}, counted "
            f"{money_text(answer.counted_cents, currency)}: {word} "
            f"{money_text(abs(diff), currency) if diff else ''}",
            title="Till closed",
            timeout=15,
        )
        self.post_message(StatusWanted())
