"""Dialogs: confirm an override (with its reason), make a pairing code, confirm a
revocation. Each returns its answer with ``dismiss``; the calling screen does the I/O."""

from __future__ import annotations

from datetime import UTC
from typing import ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui.client import AgentApi
from tui.documents.tickets import PairingCode
from tui.errors import AgentRefused, AgentUnreachable
from tui.formatting import clock_text
from tui.qr import pairing_url, qr_lines
from tui.screens.base import steady_inputs

ROLES = [
    ("scanner — sends scans", "scanner"),
    ("box_office — lookups (and sales)", "box_office"),
    ("supervisor — everything", "supervisor"),
    ("peer — another gate box", "peer"),
]


class ReasonScreen(ModalScreen[str | None]):
    """A recorded action that needs a reason: its lines, a required reason, the action's
    button; returns the reason (``None`` when cancelled). The reason goes into the
    ledger, so an empty one is refused here already."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, verb: str, lines: list[str], placeholder: str, variant: Literal["warning", "error"]
    ) -> None:
        super().__init__()
        self.verb = verb
        self.lines = lines
        self.placeholder = placeholder
        self.variant: Literal["warning", "error"] = variant

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            for line in self.lines:
                yield Label(line)
            yield Input(placeholder=self.placeholder, id="reason")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.verb} (enter)", id="ok", variant=self.variant)
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        steady_inputs(self)
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#ok")
    def confirm(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.notify("Say why: the reason is recorded in the ledger.", severity="warning")
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class OverrideScreen(ReasonScreen):
    """ "Check IN/OUT ticket … by hand?" with a required reason; returns the reason."""

    def __init__(self, direction: str, ticket_id: str, holder: str) -> None:
        verb = "CHECK IN" if direction == "in" else "CHECK OUT"
        super().__init__(
            verb,
            [
                f"Manual {verb} — recorded with your device name and the reason",
                f"Ticket {ticket_id}  {holder}",
            ],
            "Reason (required), e.g. phone died, ID checked",
            "warning",
        )
        self.direction = direction
        self.ticket_id = ticket_id
        self.holder = holder


class HaltScreen(ReasonScreen):
    """ "Stop admissions?" (or resume them) with a required reason; returns the reason."""

    def __init__(self, halting: bool) -> None:
        verb = "STOP ADMISSIONS" if halting else "RESUME ADMISSIONS"
        lines = [f"{verb} at this agent — recorded with your device name and the reason"]
        if halting:
            lines.append("Every entry is refused until resumed, also after a restart.")
        super().__init__(verb, lines, "Reason (required)", "error")
        self.halting = halting


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question)
            with Horizontal(classes="buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (esc)", id="no")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PairDeviceScreen(ModalScreen[bool]):
    """Choose a role and a name, make a one-time code on the agent (supervisor), and
    show it with a QR of the pairing URL. Dismissed with True if a code was made."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, api: AgentApi) -> None:
        super().__init__()
        self.api = api
        self.made = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="pair-dialog"):
            with Vertical(id="pair-form"):
                yield Label("Pair a new device: choose its role and name, then Make code")
                yield Select(ROLES, value="scanner", allow_blank=False, id="role")
                yield Input(placeholder="Device name, e.g. Lane 2 handheld", id="name")
                with Horizontal(classes="buttons"):
                    yield Button("Make code (enter)", id="make", variant="primary")
                    yield Button("Close (esc)", id="close")
            yield Static(id="code")
            yield Static(id="qr")

    def on_mount(self) -> None:
        steady_inputs(self)
        self.query_one("#name", Input).focus()

    @on(Input.Submitted, "#name")
    @on(Button.Pressed, "#make")
    def make(self) -> None:
        role = self.query_one("#role", Select).value
        name = self.query_one("#name", Input).value.strip()
        self.make_code(str(role), name)

    @work(exclusive=True, group="pairing-code")
    async def make_code(self, role: str, name: str) -> None:
        try:
            answer = await self.api.pairing_code(role, name)
        except AgentRefused as exc:
            self.query_one("#code", Static).update(f"✘ Refused: {exc.message} ({exc.code})")
            return
        except AgentUnreachable as exc:
            self.query_one("#code", Static).update(f"✘ {exc}")
            return
        self.made = True
        self.show_code(answer)

    def show_code(self, answer: PairingCode) -> None:
        url = pairing_url(self.api.url, answer.code)
        self.query_one("#pair-form").display = False  # the code and QR need the room
        self.query_one("#code", Static).update(
            f"Code  {answer.code}  for {answer.role} {answer.name}"
            f" — works once, until {clock_text(answer.expires_at, UTC)} UTC"
            f"\n{url}    (esc closes)"
        )
        qr = self.query_one("#qr", Static)
        qr.update("\n".join(qr_lines(url)))
        qr.add_class("-shown")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(self.made)
