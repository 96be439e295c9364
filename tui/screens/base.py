"""What every task screen shares: header, the link line (connected / unreachable /
token refused), the footer with key bindings, and a hook for each new status document."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Static

from tui.client import JsonDoc
from tui.errors import AgentRefused, AgentUnreachable

if TYPE_CHECKING:
    from tui.app import GatehouseApp


def steady_inputs(screen: Screen[Any]) -> None:
    """Stop input cursors blinking when the app says so (snapshot tests)."""
    if not getattr(screen.app, "cursor_blink", True):
        for field in screen.query(Input):
            field.cursor_blink = False


class LinkBar(Static):
    """One line: how the TUI's link to the agent stands, in words (not colour alone)."""

    def on_mount(self) -> None:
        self.watch(self.app, "link_text", self._show_text)
        self.watch(self.app, "link", self._show_state)

    def _show_text(self, text: str) -> None:
        self.update(text)

    def _show_state(self, state: str) -> None:
        self.set_class(state != "ok", "-down")


class AgentScreen(Screen[None]):
    """A task screen: subclasses yield their body and react to ``show_status``."""

    @property
    def gh(self) -> GatehouseApp:
        return cast("GatehouseApp", self.app)

    @property
    def tz(self) -> tzinfo:
        tz = self.gh.tz
        if tz is not None:
            return tz
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else UTC

    def compose(self) -> ComposeResult:
        yield Header(icon="▣")
        yield LinkBar(id="link")
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> Iterable[Widget]:
        return ()

    def on_mount(self) -> None:
        steady_inputs(self)
        self.watch(self.app, "status", self._status_changed)

    def _status_changed(self, doc: dict[str, Any] | None) -> None:
        if doc is not None:
            self.show_status(doc)

    def show_status(self, doc: dict[str, Any]) -> None:
        """Called with every new status document (and once on mount)."""

    async def ask(self, action: str, call: Awaitable[JsonDoc]) -> JsonDoc | None:
        """Await one agent call; ``None`` when it failed, after telling staff why.

        One place for what every screen does with a failed call: a refusal is shown with
        the agent's code and message (a refused token asks for pairing again), an
        unreachable agent is an error notification titled with the action."""
        try:
            return await call
        except AgentRefused as exc:
            self.gh.handle_refusal(exc, action)
        except AgentUnreachable as exc:
            self.notify(str(exc), title=action, severity="error")
        return None
