"""What every task screen shares: header, the link line (connected / unreachable /
token refused), the footer with key bindings, and hooks for each new status document
and box-office figures.

Attributes down, messages up: a screen is made with what it needs (``ScreenContext``:
the API client, the clock, the time zone), watches the documents the app polls, and
posts messages (``tui.messages``) when the app must act — it never reaches into the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Static

from tui.client import AgentApi
from tui.documents.boxoffice import Figures
from tui.documents.status import Status
from tui.errors import AgentRefused, AgentUnreachable
from tui.messages import CallRefused

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ScreenContext:
    """What the app hands every task screen when it makes it."""

    api: AgentApi
    #: Seconds since the epoch (a fixed clock in the snapshot tests).
    clock: Callable[[], float]
    #: Zone for the times shown; ``None``: the terminal's local zone.
    tz: tzinfo | None = None


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

    def __init__(self, context: ScreenContext) -> None:
        super().__init__()
        self.api = context.api
        self.clock = context.clock
        self._tz = context.tz
        #: The latest documents the app polled (``None`` until the first answer; the
        #: figures also ``None`` when the agent gives none).
        self.status: Status | None = None
        self.figures: Figures | None = None

    @property
    def tz(self) -> tzinfo:
        if self._tz is not None:
            return self._tz
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
        # the app sets the figures before the status, so show_status sees both current
        self.watch(self.app, "figures", self._figures_changed)
        self.watch(self.app, "status", self._status_changed)

    def _figures_changed(self, figures: Figures | None) -> None:
        self.figures = figures
        self.show_figures(figures)

    def _status_changed(self, status: Status | None) -> None:
        self.status = status
        if status is not None:
            self.show_status(status)

    def show_status(self, status: Status) -> None:
        """Called with every new status document (and once on mount)."""

    def show_figures(self, figures: Figures | None) -> None:
        """Called with every new box-office figures (``None``: none from this agent)."""

    def refused(self, error: AgentRefused, action: str) -> None:
        """Have the app tell staff why ``action`` was refused (a refused token asks for
        pairing again)."""
        self.post_message(CallRefused(error, action))

    async def ask(self, action: str, call: Awaitable[T]) -> T | None:
        """Await one agent call; ``None`` when it failed, after telling staff why.

        One place for what every screen does with a failed call: a refusal is shown with
        the agent's code and message (a refused token asks for pairing again), an
        unreachable agent is an error notification titled with the action."""
        try:
            return await call
        except AgentRefused as exc:
            self.refused(exc, action)
        except AgentUnreachable as exc:
            self.notify(str(exc), title=action, severity="error")
        return None
