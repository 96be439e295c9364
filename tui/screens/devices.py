"""Devices: pair a new device (code + QR), list and revoke devices, lift a pairing
lockout, scanner health."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable

from tui.documents.status import PAIRING_OPEN, Pairing, Status
from tui.documents.tickets import Device
from tui.formatting import clock_text
from tui.screens.base import AgentScreen, ScreenContext
from tui.screens.modals import ConfirmScreen, PairDeviceScreen


class DevicesScreen(AgentScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pair", "Pair device"),
        Binding("x", "revoke", "Revoke"),
        Binding("r", "reload", "Reload"),
        Binding("u", "lift_lockout", "Lift pairing lock"),
    ]

    def __init__(self, context: ScreenContext) -> None:
        super().__init__(context)
        self.devices: list[Device] = []
        #: This TUI's own device id (the app's, watched), to mark its row.
        self.this_device: str | None = None
        self.pairing: Pairing = PAIRING_OPEN

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``u`` shows in the footer only while pairing is locked or an address blocked."""
        if action == "lift_lockout":
            return self.pairing.needs_lifting
        return True

    def compose_body(self) -> Iterable[Widget]:
        yield DataTable(id="devices", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="health", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        devices = self.query_one("#devices", DataTable)
        for label, width in (("Name", 30), ("Role", 11), ("Paired", 8), ("State", 20)):
            devices.add_column(label, width=width)  # fixed widths: no re-layout per row
        devices.border_title = "Paired devices"
        health = self.query_one("#health", DataTable)
        for label, width in (
            ("Lane", 8), ("Device", 18), ("Type", 7), ("State", 9), ("Reads", 6), ("Errors", 6),
            ("Last error", 40),
        ):  # fmt: skip
            health.add_column(label, width=width)
        health.border_title = "Scanner and output health"
        self.watch(self.app, "device_id", self._this_device_changed)
        super().on_mount()
        self.action_reload()

    def _this_device_changed(self, device_id: str | None) -> None:
        self.this_device = device_id

    def action_reload(self) -> None:
        self.load_devices()

    @work(exclusive=True, group="devices")
    async def load_devices(self) -> None:
        answer = await self.ask("Devices", self.api.devices())
        if answer is None:
            return
        self.devices = answer.devices
        table = self.query_one("#devices", DataTable)
        table.clear()
        for d in self.devices:
            mine = " (this TUI)" if d.device_id == self.this_device else ""
            revoked = d.revoked_at
            table.add_row(
                f"{d.name}{mine}",
                d.role,
                clock_text(d.paired_at, self.tz),
                f"REVOKED {clock_text(revoked, self.tz)}" if revoked else "active",
            )

    def show_status(self, status: Status) -> None:
        if status.pairing != self.pairing:
            self.pairing = status.pairing
            self.query_one("#devices", DataTable).border_title = self._devices_title()
            self.refresh_bindings()
        table = self.query_one("#health", DataTable)
        table.clear()
        for lane in status.lanes:
            for part in lane.parts:
                table.add_row(
                    lane.id,
                    f"{part.kind} {part.id}",
                    str(part.type),
                    "ok" if part.connected else "UNPLUGGED",
                    "" if part.reads is None else str(part.reads),
                    "" if part.errors is None else str(part.errors),
                    part.last_error or "—",
                )

    def _devices_title(self) -> str:
        if self.pairing.locked:
            until = clock_text(self.pairing.locked_until, self.tz)
            return f"Paired devices — !! PAIRING LOCKED until {until} (wrong codes; u lifts)"
        blocked = self.pairing.blocked_addresses
        if blocked:
            return f"Paired devices — ! {blocked} address(es) blocked for wrong codes (u lifts)"
        return "Paired devices"

    def action_lift_lockout(self) -> None:
        self.lift_lockout()

    @work(exclusive=True, group="lockout")
    async def lift_lockout(self) -> None:
        if await self.ask("Pairing", self.api.lift_pairing_lockout()) is None:
            return
        self.pairing = PAIRING_OPEN
        self.query_one("#devices", DataTable).border_title = self._devices_title()
        self.refresh_bindings()
        self.notify("Pairing is open again", title="Devices")

    def action_pair(self) -> None:
        def closed(_made: bool | None) -> None:
            self.load_devices()

        self.app.push_screen(PairDeviceScreen(self.api), closed)

    def action_revoke(self) -> None:
        table = self.query_one("#devices", DataTable)
        if not self.devices or not 0 <= table.cursor_row < len(self.devices):
            self.notify("Pick a device first.", severity="warning")
            return
        device = self.devices[table.cursor_row]
        if device.revoked_at:
            self.notify(f"{device.name} is already revoked.", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.revoke(device.device_id, device.name)

        self.app.push_screen(
            ConfirmScreen(f"Revoke {device.name} ({device.role})? It stops at once."), answered
        )

    @work(exclusive=True, group="revoke")
    async def revoke(self, device_id: str, name: str) -> None:
        if await self.ask("Revoke", self.api.revoke_device(device_id)) is None:
            return
        self.notify(f"{name} revoked", title="Devices")
        self.load_devices()
