"""Devices: pair a new device (code + QR), list and revoke devices, lift a pairing
lockout, scanner health."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable

from tui.formatting import clock_text
from tui.screens.base import AgentScreen
from tui.screens.modals import ConfirmScreen, PairDeviceScreen


class DevicesScreen(AgentScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pair", "Pair device"),
        Binding("x", "revoke", "Revoke"),
        Binding("r", "reload", "Reload"),
        Binding("u", "lift_lockout", "Lift pairing lock"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.devices: list[dict[str, Any]] = []
        self.pairing: dict[str, Any] = {}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``u`` shows in the footer only while pairing is locked or an address blocked."""
        if action == "lift_lockout":
            return bool(self.pairing.get("locked") or self.pairing.get("blocked_addresses"))
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
        super().on_mount()
        self.action_reload()

    def action_reload(self) -> None:
        self.load_devices()

    @work(exclusive=True, group="devices")
    async def load_devices(self) -> None:
        answer = await self.ask("Devices", self.gh.api.devices())
        if answer is None:
            return
        self.devices = list(answer.get("devices") or [])
        table = self.query_one("#devices", DataTable)
        table.clear()
        for d in self.devices:
            mine = (
                " (this TUI)"
                if self.gh.stored and d["device_id"] == self.gh.stored.device_id
                else ""
            )
            revoked = d.get("revoked_at")
            table.add_row(
                f"{d.get('name')}{mine}",
                d.get("role"),
                clock_text(d.get("paired_at"), self.tz),
                f"REVOKED {clock_text(revoked, self.tz)}" if revoked else "active",
            )

    def show_status(self, doc: dict[str, Any]) -> None:
        pairing = doc.get("pairing") or {}
        if pairing != self.pairing:
            self.pairing = pairing
            self.query_one("#devices", DataTable).border_title = self._devices_title()
            self.refresh_bindings()
        table = self.query_one("#health", DataTable)
        table.clear()
        for lane in doc.get("lanes") or []:
            for part in (*lane.get("inputs", []), *lane.get("outputs", [])):
                connected = part.get("connected")
                table.add_row(
                    str(lane.get("id")),
                    f"{part.get('kind')} {part.get('id')}",
                    str(part.get("type")),
                    "ok" if connected else "UNPLUGGED",
                    str(part.get("reads", "")),
                    str(part.get("errors", "")),
                    str(part.get("last_error") or "—"),
                )

    def _devices_title(self) -> str:
        if self.pairing.get("locked"):
            until = clock_text(self.pairing.get("locked_until"), self.tz)
            return f"Paired devices — !! PAIRING LOCKED until {until} (wrong codes; u lifts)"
        blocked = int(self.pairing.get("blocked_addresses") or 0)
        if blocked:
            return f"Paired devices — ! {blocked} address(es) blocked for wrong codes (u lifts)"
        return "Paired devices"

    def action_lift_lockout(self) -> None:
        self.lift_lockout()

    @work(exclusive=True, group="lockout")
    async def lift_lockout(self) -> None:
        if await self.ask("Pairing", self.gh.api.lift_pairing_lockout()) is None:
            return
        self.pairing = {}
        self.query_one("#devices", DataTable).border_title = self._devices_title()
        self.refresh_bindings()
        self.notify("Pairing is open again", title="Devices")

    def action_pair(self) -> None:
        def closed(_made: bool | None) -> None:
            self.load_devices()

        self.app.push_screen(PairDeviceScreen(self.gh.api), closed)

    def action_revoke(self) -> None:
        table = self.query_one("#devices", DataTable)
        if not self.devices or not 0 <= table.cursor_row < len(self.devices):
            self.notify("Pick a device first.", severity="warning")
            return
        device = self.devices[table.cursor_row]
        if device.get("revoked_at"):
            self.notify(f"{device.get('name')} is already revoked.", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.revoke(str(device["device_id"]), str(device.get("name")))

        self.app.push_screen(
            ConfirmScreen(f"Revoke {device.get('name')} ({device.get('role')})? It stops at once."),
            answered,
        )

    @work(exclusive=True, group="revoke")
    async def revoke(self, device_id: str, name: str) -> None:
        if await self.ask("Revoke", self.gh.api.revoke_device(device_id)) is None:
            return
        self.notify(f"{name} revoked", title="Devices")
        self.load_devices()
