"""Dialogs of the Sell screen: open and close a till session, take the payment, show the
receipt with its QR codes, ask for a reason. Each returns its answer with ``dismiss``;
the Sell screen does the I/O (one place that handles the agent's answers)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui.documents.boxoffice import Sale
from tui.qr import qr_lines
from tui.sale_form import FormProblem, change_cents, money_text, parse_money, payment_body
from tui.screens.base import steady_inputs

METHODS = [("Cash", "cash"), ("Card terminal (brand, last 4, auth ref)", "terminal"),
           ("Comp (reason, supervisor)", "comp")]  # fmt: skip
DELIVERY = [("Show QR on screen", "screen"), ("Print", "print"),
            ("E-mail (by the platform)", "email")]  # fmt: skip
#: Which inputs each payment method shows.
FIELDS_BY_METHOD = {
    "cash": ("tendered",),
    "terminal": ("brand", "last4", "auth_ref", "terminal_id"),
    "comp": ("reason", "supervisor"),
}
PLACEHOLDERS = {
    "tendered": "Cash tendered, e.g. 100 or 95.50",
    "brand": "Card brand on the slip, e.g. visa",
    "last4": "LAST 4 digits only — never the whole card number",
    "auth_ref": "Authorisation ref from the slip",
    "terminal_id": "Terminal id, e.g. T-01",
    "reason": "Comp reason, e.g. artist guest",
    "supervisor": "Supervisor who allowed it",
}


class _Dialog(ModalScreen[Any]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def on_mount(self) -> None:
        steady_inputs(self)
        inputs = self.query(Input)
        if inputs:
            inputs.first().focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def problem(self, text: str) -> None:
        self.query_one("#problem", Static).update(f"✘ {text}")


class OpenSessionScreen(_Dialog):
    """Operator name and the cash float → ``(operator, float_cents)``."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Open the till: who sells, and the cash float in the drawer")
            yield Input(placeholder="Operator name", id="operator")
            yield Input(placeholder="Cash float, e.g. 100", id="float")
            yield Static(id="problem")
            with Horizontal(classes="buttons"):
                yield Button("Open (enter)", id="ok", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    @on(Input.Submitted, "#operator")
    def next_field(self) -> None:
        self.query_one("#float", Input).focus()

    @on(Input.Submitted, "#float")
    @on(Button.Pressed, "#ok")
    def confirm(self) -> None:
        operator = self.query_one("#operator", Input).value.strip()
        if not operator:
            self.problem("Type the operator's name")
            return
        try:
            float_cents = parse_money(self.query_one("#float", Input).value or "0", "Float")
        except FormProblem as exc:
            self.problem(str(exc))
            return
        self.dismiss((operator, float_cents))


class CloseSessionScreen(_Dialog):
    """The counted cash → ``counted_cents``; shows what the drawer should hold."""

    def __init__(self, expected_text: str) -> None:
        super().__init__()
        self.expected_text = expected_text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Close the till. The drawer should hold {self.expected_text}.")
            yield Input(placeholder="Counted cash", id="counted")
            yield Static(id="problem")
            with Horizontal(classes="buttons"):
                yield Button("Close till (enter)", id="ok", variant="warning")
                yield Button("Cancel (esc)", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def confirm(self) -> None:
        try:
            self.dismiss(parse_money(self.query_one("#counted", Input).value, "Counted cash"))
        except FormProblem as exc:
            self.problem(str(exc))


class PaymentScreen(_Dialog):
    """Payment and delivery for a cart → the sale body without ``items``/``request_id``."""

    def __init__(self, summary: str, total_cents: int, currency: str) -> None:
        super().__init__()
        self.summary = summary
        self.total_cents = total_cents
        self.currency = currency

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="payment-dialog"):
            yield Label(f"{self.summary} — total {money_text(self.total_cents, self.currency)}")
            yield Select(METHODS, value="cash", allow_blank=False, id="method")
            for name, placeholder in PLACEHOLDERS.items():
                yield Input(placeholder=placeholder, id=name, classes="pay-field")
            yield Static(id="change")
            yield Select(DELIVERY, value="screen", allow_blank=False, id="delivery")
            yield Input(placeholder="Customer e-mail (for e-mail delivery)", id="email")
            yield Static(id="problem")
            with Horizontal(classes="buttons"):
                yield Button("Sell (enter)", id="ok", variant="success")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        super().on_mount()
        self._show_fields("cash")
        self.query_one("#tendered", Input).focus()

    @property
    def method(self) -> str:
        return str(self.query_one("#method", Select).value)

    @on(Select.Changed, "#method")
    def method_changed(self, event: Select.Changed) -> None:
        self._show_fields(str(event.value))

    @on(Select.Changed, "#delivery")
    def delivery_changed(self, event: Select.Changed) -> None:
        self.query_one("#email", Input).display = event.value == "email"

    def _show_fields(self, method: str) -> None:
        shown = FIELDS_BY_METHOD.get(method, ())
        for name in PLACEHOLDERS:
            self.query_one(f"#{name}", Input).display = name in shown
        self.query_one("#email", Input).display = (
            self.query_one("#delivery", Select).value == "email"
        )
        self._show_change()

    @on(Input.Changed, "#tendered")
    def _show_change(self) -> None:
        change = change_cents(self.method, self.query_one("#tendered", Input).value,
                              self.total_cents)  # fmt: skip
        self.query_one("#change", Static).update(
            f"CHANGE TO GIVE: {money_text(change, self.currency)}" if change is not None else ""
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def confirm(self) -> None:
        fields = {name: self.query_one(f"#{name}", Input).value for name in PLACEHOLDERS}
        delivery = str(self.query_one("#delivery", Select).value)
        email = self.query_one("#email", Input).value.strip()
        try:
            payment = payment_body(self.method, fields, self.total_cents)
            if delivery == "email" and "@" not in email:
                raise FormProblem("E-mail delivery needs the customer's e-mail address")
        except FormProblem as exc:
            self.problem(str(exc))
            return
        body: dict[str, Any] = {"payment": payment, "delivery": delivery}
        if email:
            body["customer"] = {"email": email}
        self.dismiss(body)


def receipt_text(receipt: Sale) -> str:
    """The receipt's head in words: order, what was sold, paid how, change, state."""
    currency = receipt.currency
    items = ", ".join(f"{i.quantity} × {i.name or i.ticket_type}" for i in receipt.items)
    pay = receipt.payment
    paid = {
        "cash": f"cash {money_text(pay.tendered_cents, currency)}, "
        f"CHANGE {money_text(pay.change_cents, currency)}",
        "terminal": f"card {pay.brand} ••{pay.last4} auth {pay.auth_ref}",
        "comp": f"comp: {pay.reason} (allowed by {pay.supervisor})",
    }.get(pay.method, pay.method)
    state = "✘ VOIDED" if receipt.voided else "✔ SOLD"
    lines = [
        f"{state}  order {receipt.order_id}  {items}",
        f"Total {money_text(receipt.total_cents, currency)} · {paid}",
    ]
    lines.extend(f"! {w}" for w in receipt.warnings)
    return "\n".join(lines)


class ReceiptScreen(ModalScreen[str | None]):
    """The sale's receipt and one ticket's QR at a time. Dismissed with ``"print"``,
    ``"void"`` or ``None`` (close)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(None)", "Close"),
        Binding("n", "next_ticket", "Next ticket"),
        Binding("p", "answer('print')", "Print"),
        Binding("v", "answer('void')", "Void"),
    ]

    def __init__(self, receipt: Sale) -> None:
        super().__init__()
        self.receipt = receipt
        self.index = 0

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="receipt-dialog"):
            yield Static(receipt_text(self.receipt), id="receipt")
            yield Static(id="ticket")
            yield Static(id="qr")

    def on_mount(self) -> None:
        self._show_ticket()

    def _show_ticket(self) -> None:
        tickets = self.receipt.tickets
        if not tickets:
            return
        t = tickets[self.index % len(tickets)]
        self.query_one("#ticket", Static).update(
            f"Ticket {self.index % len(tickets) + 1} of {len(tickets)}: {t.name} "
            f"{t.ticket_id}   keys: n next · p print · v void · esc close"
        )
        qr = self.query_one("#qr", Static)
        qr.update("\n".join(qr_lines(t.code)))
        qr.add_class("-shown")

    def action_next_ticket(self) -> None:
        self.index += 1
        self._show_ticket()

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)


class ReasonScreen(_Dialog):
    """A required free-text reason (e.g. why a sale is voided) → the text."""

    def __init__(self, question: str, placeholder: str) -> None:
        super().__init__()
        self.question = question
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question)
            yield Input(placeholder=self.placeholder, id="reason")
            yield Static(id="problem")
            with Horizontal(classes="buttons"):
                yield Button("OK (enter)", id="ok", variant="warning")
                yield Button("Cancel (esc)", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def confirm(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.problem("Say why: the reason is recorded with the sale")
            return
        self.dismiss(reason)
