"""First use (or a refused token): exchange a one-time pairing code for a token.

The code comes from ``edge-agent pair --role supervisor`` on the box (or from another
supervisor's Devices screen). The screen dismisses with the stored-token value; the app
writes it to the 0600 token file. It is made with the API client it pairs through."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

from tui.client import AgentApi
from tui.errors import AgentRefused, AgentUnreachable
from tui.screens.base import steady_inputs
from tui.token_store import StoredToken


class PairScreen(Screen[StoredToken | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "give_up", "Give up")]

    def __init__(self, api: AgentApi, device_name: str, *, reason: str | None) -> None:
        super().__init__()
        self.api = api
        self.device_name = device_name
        self.reason = reason

    def compose(self) -> ComposeResult:
        yield Header(icon="▣")
        with Vertical(classes="dialog", id="pair-box"):
            if self.reason:
                yield Label(f"✘ The agent refused this TUI's token: {self.reason}", id="why")
            yield Label(f"Pair this TUI with the agent at {self.api.url}")
            yield Label("On the box run:  edge-agent pair --config … --role supervisor")
            yield Input(placeholder="Pairing code, e.g. ABCD-EFGH", id="code")
            yield Input(value=self.device_name, placeholder="Name for this TUI", id="name")
            yield Button("Pair (enter)", id="pair", variant="primary")
            yield Static(id="pair-result")
        yield Footer()

    def on_mount(self) -> None:
        steady_inputs(self)
        self.query_one("#code", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#pair")
    def submit(self) -> None:
        code = self.query_one("#code", Input).value.strip()
        name = self.query_one("#name", Input).value.strip() or self.device_name
        if not code:
            self.query_one("#pair-result", Static).update("Type the pairing code first.")
            return
        self.query_one("#pair-result", Static).update("Pairing…")
        self.pair(code, name)

    @work(exclusive=True, group="pair")
    async def pair(self, code: str, name: str) -> None:
        result = self.query_one("#pair-result", Static)
        try:
            paired = await self.api.pair(code, name)
        except AgentRefused as exc:
            result.update(f"✘ {exc.message} ({exc.code})")
            return
        except AgentUnreachable as exc:
            result.update(f"✘ {exc}")
            return
        if not paired.token:
            result.update("✘ The agent's answer holds no token: try a new code")
            return
        self.dismiss(
            StoredToken(self.api.url, paired.token, paired.device_id, paired.name, paired.role)
        )

    def action_give_up(self) -> None:
        self.dismiss(None)
