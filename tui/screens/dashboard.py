"""Dashboard: the night at a glance — rate, admissions, lanes and devices, the last
verdicts with their reasons, sync state and alerts. Refreshed by the app's status poll."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tui.alerts import alerts_from_status
from tui.documents.boxoffice import Figures
from tui.documents.status import LaneStatus, MeshStatus, Status, SyncStatus
from tui.formatting import (
    age_since,
    age_text,
    counts_text,
    ms_clock_text,
    short_id,
    size_text,
    verdict_label,
    verdict_style,
    zone_text,
)
from tui.messages import StatusWanted
from tui.screens.base import AgentScreen
from tui.screens.modals import HaltScreen


def summary_lines(status: Status, now_s: float, tz: tzinfo) -> list[str]:
    scans = status.scans
    by = scans.by_outcome
    line1 = (
        f"Scans/min {scans.last_minute} · total {scans.total} · "
        f"✔ in {status.tickets_admitted} (inside {status.inside_now}) · "
        f"✘ refused {by.get('refuse', 0)} · ↩ out {by.get('exit', 0)}"
    )
    lines = [line1, sync_line(status.sync, now_s, tz), site_line(status)]
    if status.zones:
        lines.append(zones_line(status))
    if status.mesh is not None:
        lines.append(mesh_line(status.mesh))
    return lines


def zones_line(status: Status) -> str:
    """ "Zones: Hall A 120 · Hall B 80/100 · VIP deck 20/20 FULL"."""
    parts = [zone_text(z.name or z.id, z.inside, z.capacity) for z in status.zones]
    return "Zones: " + " · ".join(parts)


def mesh_line(mesh: MeshStatus) -> str:
    """The venue's boxes at a glance (only for a box in a mesh)."""
    if mesh.mode == "alone":
        return f"Mesh: {mesh.member} alone — a venue of one until another box joins"
    state = "quorum" if mesh.quorum else "NO QUORUM — admissions UNCONFIRMED"
    lost = f" · lost {', '.join(mesh.lost)}" if mesh.lost else ""
    return (
        f"Mesh: {mesh.up}/{mesh.expected} boxes · {state}{lost} · "
        f"unconfirmed {mesh.unconfirmed} ({mesh.to_replay} to check) · "
        f"conflicts {mesh.conflicts}"
    )


def sync_line(sync: SyncStatus, now_s: float, tz: tzinfo) -> str:
    if not sync.enabled:
        return "Sync: off (no platform configured): the gate uses its local manifest"
    depth = sum(box.depth for box in sync.outbox.values())
    offset = sync.clock_offset_ms
    offset_text = "?" if offset is None else f"{offset:+d} ms"
    return (
        f"Sync: manifest {age_text(sync.manifest_age_s)} old · outbox {depth} · "
        f"last ok {age_text(age_since(sync.last_success, now_s))} ago · clock {offset_text}"
    )


def site_line(status: Status) -> str:
    name = f" {status.sync.event_name}" if status.sync.event_name else ""
    if len(status.events) > 1:
        name += f" (+{len(status.events) - 1} more)"
    return (
        f"Event {status.event_id}{name} · {status.gate_name} · "
        f"disk {size_text(status.disk_free_bytes)} free · "
        f"{status.devices_paired} devices"
    )


def capacity_line(figures: Figures | None) -> str:
    """ "Admitted / capacity: VIP 61/800 · Student 140/800" — per ticket type."""
    if not figures:
        return "Admitted / capacity: — (no box-office figures from this agent)"
    parts = [
        f"{t.label} {t.scanned}/{t.capacity if t.capacity is not None else '?'}"
        for t in figures.ticket_types
    ]
    return "Admitted / capacity: " + (" · ".join(parts) or "no ticket types yet")


def lane_state(lane: LaneStatus) -> str:
    parts = [
        f"{p.type or p.kind or '?'} {'ok' if p.connected else 'UNPLUGGED'}" for p in lane.inputs
    ]
    return f"{lane.direction} · " + (", ".join(parts) or "no inputs")


class DashboardScreen(AgentScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("h", "halt", "Halt/resume entry")]

    def action_halt(self) -> None:
        """A supervisor stops admissions here, or resumes them (with a reason)."""
        halting = self.status is None or self.status.halted_by is None

        def done(reason: str | None) -> None:
            if reason:
                self.send_halt(halting, reason)

        self.app.push_screen(HaltScreen(halting), done)

    @work(exclusive=True, group="halt")
    async def send_halt(self, halting: bool, reason: str) -> None:
        halted = await self.ask("Halt", self.api.set_halt(halting, reason))
        if halted is not None:
            self.notify("Admissions STOPPED" if halted else "Admissions resumed", title="Gate")
            self.post_message(StatusWanted())

    def compose_body(self) -> Iterable[Widget]:
        yield Static(id="summary")
        yield Static("No alerts", id="alerts")
        yield DataTable(id="lanes", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="recent", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        lanes = self.query_one("#lanes", DataTable)
        lanes.add_column("Lane / device", width=20)
        lanes.add_column("State", width=28)
        lanes.add_column("✔ ✘ ↩", width=20)
        lanes.border_title = "Lanes and devices"
        recent = self.query_one("#recent", DataTable)
        for label, width in (
            ("Time", 8), ("Verdict", 8), ("Event", 6), ("Lane", 7), ("Ticket", 9)
        ):  # fmt: skip
            recent.add_column(label, width=width)
        recent.add_column("Reason", width=64)  # fixed widths: no re-layout per row
        recent.border_title = "Last verdicts"
        super().on_mount()

    def show_status(self, status: Status) -> None:
        lines = [*summary_lines(status, self.clock(), self.tz), capacity_line(self.figures)]
        self.query_one("#summary", Static).update("\n".join(lines))
        alerts = alerts_from_status(status)
        box = self.query_one("#alerts", Static)
        box.update("\n".join(a.line for a in alerts) if alerts else "No alerts")
        box.set_class(any(a.level == "error" for a in alerts), "-error")
        box.set_class(bool(alerts), "-some")
        self._fill_lanes(status)
        self._fill_recent(status)

    def _fill_lanes(self, status: Status) -> None:
        table = self.query_one("#lanes", DataTable)
        table.clear()
        by_lane = status.scans.by_lane
        for lane in status.lanes:
            table.add_row(
                f"lane {lane.id}", lane_state(lane), counts_text(by_lane.get(lane.id, {}))
            )
        seen = {lane.id for lane in status.lanes}
        for lane_id, counts in sorted(by_lane.items()):
            if lane_id not in seen:
                table.add_row(f"lane {lane_id}", "API scans", counts_text(counts))
        for dev in status.scans.by_device:
            table.add_row(f"  {dev.name}", "device", counts_text(dev.by_outcome))

    def _fill_recent(self, status: Status) -> None:
        table = self.query_one("#recent", DataTable)
        table.clear()
        for r in status.scans.recent:
            table.add_row(
                ms_clock_text(r.at_ms, self.tz),
                Text(verdict_label(r.outcome, r.check), style=verdict_style(r.outcome, r.check)),
                "" if r.event_id is None else str(r.event_id),
                r.lane,
                short_id(r.ticket_id),
                f"{r.reason}: {r.message}",
            )
