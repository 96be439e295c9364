"""Sync: where platform sync stands (manifest, outbox, last success and error, clock),
and "sync now". The platform's conflicts report is not reachable from the agent yet."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tui.documents.status import Status, SyncStatus
from tui.errors import AgentRefused, AgentUnreachable
from tui.formatting import age_since, age_text, clock_text
from tui.messages import StatusWanted
from tui.screens.base import AgentScreen


def sync_lines(sync: SyncStatus, now_s: float, tz: tzinfo) -> list[str]:
    if not sync.enabled:
        return [
            "Sync is OFF on this agent (sync.platform_url is empty).",
            "The gate judges with its local manifest; nothing is uploaded.",
        ]
    worker = "running" if sync.running else "STOPPED"
    postponed = f" (postponed to {sync.postponed_to})" if sync.postponed_to else ""
    at = clock_text(sync.manifest_at, tz)
    lines = [
        f"Platform   {sync.platform_url}   worker {worker}",
        f"Event      {sync.event_name or '?'} at {sync.event_venue}:"
        f" {sync.event_status}{postponed}",
        f"Manifest   {age_text(sync.manifest_age_s)} old (platform time {at}),"
        f" cursor {sync.manifest_cursor or '—'}",
    ]
    for stream, box in sync.outbox.items():
        halted = f"   HALTED: {box.halted}" if box.halted else ""
        lines.append(
            f"Outbox     {stream}: {box.depth} waiting (uploaded through seq"
            f" {box.uploaded_through_seq} of {box.head_seq}){halted}"
        )
    last = sync.last_success
    lines.append(f"Last OK    {clock_text(last, tz)} ({age_text(age_since(last, now_s))} ago)")
    if sync.last_error:
        lines.append(
            f"Last error {clock_text(sync.last_error_at, tz)}: {sync.last_error}"
            f" ({sync.failures_in_a_row} in a row)"
        )
    if sync.backoff_until:
        lines.append(f"Backoff    next try {clock_text(sync.backoff_until, tz)}")
    offset = sync.clock_offset_ms
    lines.append(
        "Clock      not measured yet"
        if offset is None
        else f"Clock      {offset:+d} ms from the platform (±{sync.clock_rtt_ms / 2:.0f} ms)"
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
            answer = await self.api.conflicts()
        except AgentRefused as exc:
            table.border_title = f"Conflicts: ✘ {exc.message} ({exc.code})"
            self.refused(exc, "Conflicts")
            return
        except AgentUnreachable as exc:
            table.border_title = f"Conflicts: ✘ {exc}"
            return
        table.clear()
        for ticket_id, admissions in answer.tickets:
            for i, adm in enumerate(admissions):
                table.add_row(
                    ticket_id if i == 0 else "",
                    adm.agent_id,
                    str(adm.seq),
                    clock_text(adm.at, self.tz),
                )
        when = clock_text(answer.fetched_at, self.tz)
        table.border_title = f"Conflicts: {len(answer.tickets)} at {when} (c: fetch again)"

    def show_status(self, status: Status) -> None:
        lines = sync_lines(status.sync, self.clock(), self.tz)
        self.query_one("#sync-detail", Static).update("\n".join(lines))

    def action_sync_now(self) -> None:
        self.query_one("#sync-result", Static).update("Sync round running…")
        self.run_sync_now()

    @work(exclusive=True, group="sync-now")
    async def run_sync_now(self) -> None:
        result = self.query_one("#sync-result", Static)
        try:
            answer = await self.api.sync_now()
        except AgentRefused as exc:
            result.update(f"✘ {exc.message} ({exc.code})")
            self.refused(exc, "Sync now")
            return
        except AgentUnreachable as exc:
            result.update(f"✘ {exc}")
            return
        sync = answer.sync
        if not answer.completed:
            result.update("Sync round still running after 10 s — the status will show its end.")
        elif sync.last_error:
            result.update(f"✘ Sync round failed: {sync.last_error}")
        else:
            result.update(f"✔ Sync round done at {clock_text(sync.last_success, self.tz)}")
            self.load_conflicts()
        self.post_message(StatusWanted())
