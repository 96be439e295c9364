"""Dashboard: the night at a glance — rate, admissions, lanes and devices, the last
verdicts with their reasons, sync state and alerts. Refreshed by the app's status poll."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tui.alerts import alerts_from_status
from tui.formatting import (
    age_since,
    age_text,
    counts_text,
    ms_clock_text,
    short_id,
    size_text,
    verdict_label,
    verdict_style,
)
from tui.screens.base import AgentScreen


def summary_lines(doc: dict[str, Any], now_s: float, tz: Any) -> list[str]:
    scans = doc.get("scans") or {}
    by = scans.get("by_outcome") or {}
    adm = doc.get("admissions") or {}
    line1 = (
        f"Scans/min {scans.get('last_minute', 0)} · total {scans.get('total', 0)} · "
        f"✔ in {adm.get('tickets_admitted', 0)} (inside {adm.get('inside_now', 0)}) · "
        f"✘ refused {by.get('refuse', 0)} · ↩ out {by.get('exit', 0)}"
    )
    return [line1, sync_line(doc.get("sync") or {}, now_s, tz), site_line(doc)]


def sync_line(sync: dict[str, Any], now_s: float, tz: Any) -> str:
    if not sync.get("enabled"):
        return "Sync: off (no platform configured): the gate uses its local manifest"
    manifest = sync.get("manifest") or {}
    depth = sum(int(b.get("depth", 0)) for b in (sync.get("outbox") or {}).values())
    last = sync.get("last_success")
    clock = sync.get("clock") or {}
    offset = clock.get("offset_ms")
    offset_text = "?" if offset is None else f"{offset:+d} ms"
    return (
        f"Sync: manifest {age_text(manifest.get('age_s'))} old · outbox {depth} · "
        f"last ok {age_text(age_since(last, now_s))} ago · clock {offset_text}"
    )


def site_line(doc: dict[str, Any]) -> str:
    event = (doc.get("sync") or {}).get("event") or {}
    gate = doc.get("gate") or {}
    disk = doc.get("disk") or {}
    name = f" {event['name']}" if event.get("name") else ""
    return (
        f"Event {(doc.get('event') or {}).get('event_id')}{name} · {gate.get('name', '?')} · "
        f"disk {size_text(disk.get('data_dir_free_bytes'))} free · "
        f"{(doc.get('devices') or {}).get('paired', 0)} devices"
    )


def capacity_line(figures: dict[str, Any] | None) -> str:
    """ "Admitted / capacity: VIP 61/800 · Student 140/800" — per ticket type."""
    if not figures:
        return "Admitted / capacity: — (no box-office figures from this agent)"
    parts = [
        f"{t.get('name') or t.get('ticket_type')} {t.get('scanned', 0)}/"
        f"{t['capacity'] if t.get('capacity') is not None else '?'}"
        for t in figures.get("ticket_types") or []
    ]
    return "Admitted / capacity: " + (" · ".join(parts) or "no ticket types yet")


def lane_state(lane: dict[str, Any]) -> str:
    parts = []
    for inp in lane.get("inputs", []):
        ok = "ok" if inp.get("connected") else "UNPLUGGED"
        parts.append(f"{inp.get('type', inp.get('kind', '?'))} {ok}")
    return f"{lane.get('direction', '?')} · " + (", ".join(parts) or "no inputs")


class DashboardScreen(AgentScreen):
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
        for label, width in (("Time", 8), ("Verdict", 8), ("Lane", 7), ("Ticket", 9)):
            recent.add_column(label, width=width)
        recent.add_column("Reason", width=64)  # fixed widths: no re-layout per row
        recent.border_title = "Last verdicts"
        super().on_mount()

    def show_status(self, doc: dict[str, Any]) -> None:
        now_s = self.gh.clock()
        lines = [*summary_lines(doc, now_s, self.tz), capacity_line(self.gh.figures)]
        self.query_one("#summary", Static).update("\n".join(lines))
        alerts = alerts_from_status(doc)
        box = self.query_one("#alerts", Static)
        box.update("\n".join(a.line for a in alerts) if alerts else "No alerts")
        box.set_class(any(a.level == "error" for a in alerts), "-error")
        box.set_class(bool(alerts), "-some")
        self._fill_lanes(doc)
        self._fill_recent(doc)

    def _fill_lanes(self, doc: dict[str, Any]) -> None:
        table = self.query_one("#lanes", DataTable)
        table.clear()
        by_lane = (doc.get("scans") or {}).get("by_lane") or {}
        seen = set()
        for lane in doc.get("lanes") or []:
            seen.add(lane.get("id"))
            table.add_row(
                f"lane {lane.get('id')}", lane_state(lane), counts_text(by_lane.get(lane["id"], {}))
            )
        for lane_id, counts in sorted(by_lane.items()):
            if lane_id not in seen:
                table.add_row(f"lane {lane_id}", "API scans", counts_text(counts))
        for dev in (doc.get("scans") or {}).get("by_device") or []:
            table.add_row(f"  {dev.get('name')}", "device", counts_text(dev.get("by_outcome", {})))

    def _fill_recent(self, doc: dict[str, Any]) -> None:
        table = self.query_one("#recent", DataTable)
        table.clear()
        for r in (doc.get("scans") or {}).get("recent") or []:
            outcome = str(r.get("outcome", ""))
            table.add_row(
                ms_clock_text(r.get("at_ms"), self.tz),
                Text(verdict_label(outcome), style=verdict_style(outcome)),
                str(r.get("lane", "")),
                short_id(r.get("ticket_id")),
                f"{r.get('reason')}: {r.get('message')}",
            )
