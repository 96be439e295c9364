"""Sync: where platform sync stands (manifest, outbox, last success and error, clock),
and "sync now". The platform's conflicts report is not reachable from the agent yet."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tui.errors import AgentRefused, AgentUnreachable
from tui.formatting import age_since, age_text, clock_text
from tui.screens.base import AgentScreen


def sync_lines(sync: dict[str, Any], now_s: float, tz: Any) -> list[str]:
    if not sync.get("enabled"):
        return [
            "Sync is OFF on this agent (sync.platform_url is empty).",
            "The gate judges with its local manifest; nothing is uploaded.",
        ]
    event = sync.get("event") or {}
    manifest = sync.get("manifest") or {}
    clock = sync.get("clock") or {}
    worker = "running" if sync.get("running") else "STOPPED"
    postponed = f" (postponed to {event['postponed_to']})" if event.get("postponed_to") else ""
    at = clock_text(manifest.get("at"), tz)
    lines = [
        f"Platform   {sync.get('platform_url')}   worker {worker}",
        f"Event      {event.get('name', '?')} at {event.get('venue', '?')}:"
        f" {event.get('status', '?')}{postponed}",
        f"Manifest   {age_text(manifest.get('age_s'))} old (platform time {at}),"
        f" cursor {manifest.get('cursor') or '—'}",
    ]
    for stream, box in (sync.get("outbox") or {}).items():
        halted = f"   HALTED: {box['halted']}" if box.get("halted") else ""
        lines.append(
            f"Outbox     {stream}: {box.get('depth')} waiting (uploaded through seq"
            f" {box.get('uploaded_through_seq')} of {box.get('head_seq')}){halted}"
        )
    last = sync.get("last_success")
    lines.append(f"Last OK    {clock_text(last, tz)} ({age_text(age_since(last, now_s))} ago)")
    if sync.get("last_error"):
        lines.append(
            f"Last error {clock_text(sync.get('last_error_at'), tz)}: {sync['last_error']}"
            f" ({sync.get('failures_in_a_row', 0)} in a row)"
        )
    if sync.get("backoff_until"):
        lines.append(f"Backoff    next try {clock_text(sync['backoff_until'], tz)}")
    offset = clock.get("offset_ms")
    lines.append(
        "Clock      not measured yet"
        if offset is None
        else f"Clock      {offset:+d} ms from the platform (±{clock.get('rtt_ms', 0) / 2:.0f} ms)"
    )
    return lines


class SyncScreen(AgentScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "sync_now", "Sync now"),
        Binding("c", "conflicts", "Conflicts"),
    ]

    def compose_body(self) -> Iterable[Widget]:
        yield Static("Waiting for the agent's status…", id="sync-detail")
        yield Static("", id="sync-result")
        yield DataTable(id="conflicts", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#conflicts", DataTable)
        for label, width in (("Ticket", 34), ("Agent", 12), ("Seq", 7), ("Admitted at", 12)):
            table.add_column(label, width=width)
        table.border_title = "Conflicts: tickets first admitted at two gates (c: fetch)"
        super().on_mount()

    def action_conflicts(self) -> None:
        self.load_conflicts()

    @work(exclusive=True, group="conflicts")
    async def load_conflicts(self) -> None:
        table = self.query_one("#conflicts", DataTable)
        try:
            answer = await self.gh.api.conflicts()
        except AgentRefused as exc:
            table.border_title = f"Conflicts: ✘ {exc.message} ({exc.code})"
            self.gh.handle_refusal(exc, "Conflicts")
            return
        except AgentUnreachable as exc:
            table.border_title = f"Conflicts: ✘ {exc}"
            return
        report = answer.get("conflicts") or []
        table.clear()
        for conflict in report:
            for i, adm in enumerate(conflict.get("admissions") or []):
                table.add_row(
                    str(conflict.get("ticket_id")) if i == 0 else "",
                    str(adm.get("agent_id")),
                    str(adm.get("seq")),
                    clock_text(adm.get("at"), self.tz),
                )
        when = clock_text(answer.get("fetched_at"), self.tz)
        table.border_title = f"Conflicts: {len(report)} at {when} (c: fetch again)"

    def show_status(self, doc: dict[str, Any]) -> None:
        lines = sync_lines(doc.get("sync") or {}, self.gh.clock(), self.tz)
        self.query_one("#sync-detail", Static).update("\n".join(lines))

    def action_sync_now(self) -> None:
        self.query_one("#sync-result", Static).update("Sync round running…")
        self.run_sync_now()

    @work(exclusive=True, group="sync-now")
    async def run_sync_now(self) -> None:
        result = self.query_one("#sync-result", Static)
        try:
            answer = await self.gh.api.sync_now()
        except AgentRefused as exc:
            result.update(f"✘ {exc.message} ({exc.code})")
            self.gh.handle_refusal(exc, "Sync now")
            return
        except AgentUnreachable as exc:
            result.update(f"✘ {exc}")
            return
        sync = answer.get("sync") or {}
        if not answer.get("completed"):
            result.update("Sync round still running after 10 s — the status will show its end.")
        elif sync.get("last_error"):
            result.update(f"✘ Sync round failed: {sync['last_error']}")
        else:
            result.update(f"✔ Sync round done at {clock_text(sync.get('last_success'), self.tz)}")
            self.load_conflicts()
        self.gh.poll_status()
