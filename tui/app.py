"""``GatehouseApp``: the box-office and supervisor TUI, a pure client of the agent's API.

Attributes down, messages up: the app owns the API client and polls ``/api/v1/status``
and the box-office figures (``/api/v1/boxoffice``) in a worker (never on the UI's own
path) — the only poll of either, whichever screen is shown; the latest documents and the
link state are reactive attributes each screen watches. Screens are Textual *modes*, one
per task, each made with a ``ScreenContext`` (client, clock, zone) and one entry of
``SCREENS_BY_MODE`` with its own key; they post ``tui.messages`` up when the app must
act (a refusal to explain, a status to fetch now).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import tzinfo
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from tui.client import AgentApi
from tui.documents.boxoffice import Figures
from tui.documents.status import Status
from tui.errors import AgentRefused, AgentUnreachable, TokenFileError, TokenRefused
from tui.messages import CallRefused, StatusWanted
from tui.screens.base import AgentScreen, ScreenContext
from tui.screens.dashboard import DashboardScreen
from tui.screens.devices import DevicesScreen
from tui.screens.lookup import LookupScreen
from tui.screens.pairing import PairScreen
from tui.screens.sell import SellScreen
from tui.screens.sync import SyncScreen
from tui.token_store import StoredToken, write_token

#: mode name -> (screen class, title for the command palette)
SCREENS_BY_MODE: dict[str, tuple[type[AgentScreen], str]] = {
    "dashboard": (DashboardScreen, "Dashboard: scans, lanes, sync, alerts"),
    "lookup": (LookupScreen, "Lookup: find a ticket, history, manual check-in/out"),
    "devices": (DevicesScreen, "Devices: pair, revoke, scanner health"),
    "sync": (SyncScreen, "Sync: platform state, sync now"),
    "sell": (SellScreen, "Sell: door sales, till, receipts, void and reprint"),
}

#: Seconds between status polls.
DEFAULT_POLL_S = 2.0


class GatehouseApp(App[None]):
    CSS_PATH = "gatehouse.tcss"
    TITLE = "Gatehouse"
    DEFAULT_MODE = "dashboard"  # the modes are added per app: their screens need its client
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "switch_mode('dashboard')", "Dashboard"),
        Binding("f2", "switch_mode('lookup')", "Lookup"),
        Binding("f3", "switch_mode('devices')", "Devices"),
        Binding("f4", "switch_mode('sync')", "Sync"),
        Binding("f5", "switch_mode('sell')", "Sell"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    #: The last status document (``None`` until the first answer).
    status: reactive[Status | None] = reactive(None, always_update=True)
    #: The last box-office figures (ticket types: capacity, admitted, sold here, leases;
    #: the till), or ``None`` when the agent gives none (then ``figures_problem`` says why).
    figures: reactive[Figures | None] = reactive(None, always_update=True)
    figures_problem: reactive[str] = reactive("")
    #: "ok", "connecting", "unreachable", "refused" — with ``link_text`` for people.
    link: reactive[str] = reactive("connecting")
    link_text: reactive[str] = reactive("connecting…")
    #: This TUI's device id (``None`` while not paired), so a list can mark its own row.
    device_id: reactive[str | None] = reactive(None)

    def __init__(
        self,
        api: AgentApi,
        *,
        stored: StoredToken | None,
        token_path: Path,
        device_name: str = "Gatehouse TUI",
        poll_s: float = DEFAULT_POLL_S,
        clock: Callable[[], float] = time.time,
        tz: tzinfo | None = None,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.api = api
        self.stored = stored
        self.token_path = token_path
        self.device_name = device_name
        self.poll_s = poll_s
        self.clock = clock
        self.tz: tzinfo | None = tz
        #: Off for snapshot tests: a blinking cursor makes every screenshot a coin toss.
        self.cursor_blink = cursor_blink
        if stored is not None:
            api.set_token(stored.token)
        context = ScreenContext(api=api, clock=clock, tz=tz)
        for mode, (screen, _) in SCREENS_BY_MODE.items():
            self.add_mode(mode, partial(screen, context))

    # -- start-up and pairing -----------------------------------------------------------
    def on_mount(self) -> None:
        self._show_identity()
        if self.stored is None:
            self.push_screen(PairScreen(self.api, self.device_name, reason=None), self._paired)
        else:
            self.poll_status()
        self.set_interval(self.poll_s, self.poll_status)

    async def on_unmount(self) -> None:
        await self.api.close()

    def _show_identity(self) -> None:
        who = f"{self.stored.name} ({self.stored.role})" if self.stored else "not paired"
        self.sub_title = f"{self.api.url} · {who}"
        self.device_id = self.stored.device_id if self.stored else None

    def _paired(self, stored: StoredToken | None) -> None:
        if stored is None:
            self.exit(message="Not paired: the TUI needs a pairing code to talk to the agent.")
            return
        try:
            write_token(self.token_path, stored)
        except TokenFileError as exc:
            self.notify(str(exc), title="Token not saved", severity="error", timeout=10)
        self.stored = stored
        self.api.set_token(stored.token)
        self._show_identity()
        self.poll_status()

    # -- polling ------------------------------------------------------------------------
    @work(exclusive=True, group="status")
    async def poll_status(self) -> None:
        if self.stored is None:
            return
        try:
            doc = await self.api.status()
        except TokenRefused as exc:
            self._set_link("refused", f"✘ TOKEN REFUSED by {self.api.url}: {exc.message}")
            self._no_figures(self.link_text)
            self._ask_to_pair_again(exc.message)
            return
        except AgentUnreachable as exc:
            self._set_link("unreachable", f"✘ AGENT UNREACHABLE — {exc} (retrying)")
            self._no_figures(f"✘ AGENT UNREACHABLE — {exc}")
            return
        except AgentRefused as exc:
            self._set_link("unreachable", f"✘ agent error: {exc}")
            self._no_figures(self.link_text)
            return
        self._set_link("ok", f"● connected to {self.api.url}")
        try:  # capacity per ticket type, the till and the leases: the box office's figures
            figures = await self.api.boxoffice()
        except AgentRefused as exc:
            self._no_figures(f"✘ {exc.message} ({exc.code})")
        except AgentUnreachable as exc:
            self._no_figures(f"✘ AGENT UNREACHABLE — {exc}")
        else:
            self.figures_problem = ""
            self.figures = figures
        self.status = doc

    def _no_figures(self, why: str) -> None:
        self.figures_problem = why
        self.figures = None

    def _set_link(self, state: str, text: str) -> None:
        self.link = state
        self.link_text = text

    @on(StatusWanted)
    def status_wanted(self) -> None:
        self.poll_status()

    def _ask_to_pair_again(self, why: str) -> None:
        if any(isinstance(s, PairScreen) for s in self.screen_stack):
            return
        self.stored = None
        self.api.set_token(None)
        self._show_identity()
        self.push_screen(PairScreen(self.api, self.device_name, reason=why), self._paired)

    @on(CallRefused)
    def call_refused(self, message: CallRefused) -> None:
        """One place that tells staff why a call failed (token, role, or the rule)."""
        exc = message.error
        if isinstance(exc, TokenRefused):
            self._ask_to_pair_again(exc.message)
        self.notify(exc.message, title=f"{message.action}: {exc.code}", severity="error",
                    timeout=8)  # fmt: skip

    # -- command palette ----------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, (_, title) in SCREENS_BY_MODE.items():
            yield SystemCommand(title, f"Show the {mode} screen", self._switcher(mode))
        yield SystemCommand("Refresh status", "Ask the agent for its status now", self.poll_status)

    def _switcher(self, mode: str) -> Callable[[], Any]:
        return lambda: self.switch_mode(mode)
