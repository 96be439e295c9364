"""Lookup: find a ticket by name, e-mail, order or ticket id; see its whole scan history;
check it in or out by hand with a reason (a supervisor's override, recorded with the
operator in the ledger); save its chargeback evidence pack (``e``: the agent builds and
signs it, the TUI writes the files into ``./evidence-<ticket id>/``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from tui.documents.tickets import Admission, Ticket, TicketDetail
from tui.errors import AgentRefused, AgentUnreachable
from tui.evidence_save import EvidenceAnswerError, default_dir, write_pack
from tui.formatting import clock_text, short_id, verdict_label, verdict_style
from tui.messages import StatusWanted
from tui.screens.base import AgentScreen, ScreenContext
from tui.screens.modals import OverrideScreen


def ticket_state(revoked: str | None, admission: Admission | None) -> str:
    """ "REVOKED refunded" / "INSIDE" / "left" / "not in yet" — words, not colours."""
    if revoked:
        return f"REVOKED {revoked}"
    if admission is None:
        return "not in yet"
    return "INSIDE" if admission.inside else "left"


class LookupScreen(AgentScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search"),
        Binding("i", "override('in')", "Check in"),
        Binding("o", "override('out')", "Check out"),
        Binding("e", "evidence", "Evidence"),
    ]

    def __init__(self, context: ScreenContext) -> None:
        super().__init__(context)
        self.tickets: list[Ticket] = []
        self.detail: TicketDetail | None = None

    def compose_body(self) -> Iterable[Widget]:
        yield Input(placeholder="Name, e-mail, order or ticket id — enter to search", id="query")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Static("Search, then pick a ticket (enter) to see its history.", id="detail")
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        results = self.query_one("#results", DataTable)
        results.add_column("Holder", width=18)
        results.add_column("E-mail", width=20)
        results.add_column("Order", width=10)
        results.add_column("State", width=14)
        results.add_column("Type", width=24)
        results.border_title = "Tickets"
        history = self.query_one("#history", DataTable)
        for label, width in (("Time", 8), ("Verdict", 8), ("Where", 14), ("By", 16)):
            history.add_column(label, width=width)
        history.add_column("Reason", width=64)  # fixed widths: no re-layout per row
        history.border_title = "Scan history"
        self.query_one("#query", Input).focus()
        super().on_mount()

    def action_focus_search(self) -> None:
        self.query_one("#query", Input).focus()

    @on(Input.Submitted, "#query")
    def search(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.run_search(event.value.strip())

    @work(exclusive=True, group="lookup")
    async def run_search(self, query: str) -> None:
        answer = await self.ask("Search", self.api.find_tickets(query))
        if answer is None:
            return
        self.tickets = answer.tickets
        table = self.query_one("#results", DataTable)
        table.clear()
        for t in self.tickets:
            table.add_row(
                t.holder_name or "—",
                t.holder_email or "—",
                t.order_id or "—",
                ticket_state(t.revoked, t.admission),
                t.ticket_type_name or str(t.ticket_type),
            )
        if not self.tickets:
            self.query_one("#detail", Static).update(f"No ticket matches {query!r}.")
            return
        table.focus()
        if len(self.tickets) == 1:
            self.load_ticket(self.tickets[0].ticket_id)

    @on(DataTable.RowSelected, "#results")
    def picked(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.tickets):
            self.load_ticket(self.tickets[event.cursor_row].ticket_id)

    @work(exclusive=True, group="ticket")
    async def load_ticket(self, ticket_id: str) -> None:
        doc = await self.ask("Ticket", self.api.ticket(ticket_id))
        if doc is None:
            return
        self.show_ticket(doc)

    def show_ticket(self, doc: TicketDetail) -> None:
        self.detail = doc
        t, adm = doc.ticket, doc.admission
        first = (
            f" · first in {clock_text(adm.first_admitted_at, self.tz)}"
            f" at {adm.first_gate} · entries {adm.entries}"
            if adm
            else ""
        )
        holder = (t.holder_name if t else None) or "(not in the manifest)"
        self.query_one("#detail", Static).update(
            f"Ticket {doc.ticket_id}  {holder}  {(t.ticket_type_name if t else None) or ''}\n"
            f"State: {ticket_state(doc.revoked, adm)}{first} · keys i: in, o: out,"
            " e: evidence pack"
        )
        table = self.query_one("#history", DataTable)
        table.clear()
        for s in doc.scans:
            reason = s.reason
            if s.override_reason:
                reason += f": {s.override_reason}"
            table.add_row(
                clock_text(s.at, self.tz),
                Text(verdict_label(s.outcome), style=verdict_style(s.outcome)),
                f"{s.gate}/{s.lane}",
                s.override_operator or s.device_name or short_id(s.device_id),
                reason,
            )

    def action_override(self, direction: str) -> None:
        if self.detail is None:
            self.notify("Pick a ticket first.", severity="warning")
            return
        ticket_id = self.detail.ticket_id
        ticket = self.detail.ticket
        holder = (ticket.holder_name if ticket else None) or ""

        def done(reason: str | None) -> None:
            if reason:
                self.send_override(ticket_id, direction, reason)

        self.app.push_screen(OverrideScreen(direction, ticket_id, holder), done)

    @work(exclusive=True, group="override")
    async def send_override(self, ticket_id: str, direction: str, reason: str) -> None:
        try:
            verdict = await self.api.override(ticket_id, direction, reason)
        except AgentRefused as exc:
            self.query_one("#detail", Static).update(
                f"✘ Override refused: {exc.message} ({exc.code})"
            )
            self.refused(exc, "Override")
            return
        except AgentUnreachable as exc:
            self.notify(str(exc), title="Override", severity="error")
            return
        word = "Checked in" if direction == "in" else "Checked out"
        self.notify(
            f"{word} by override (ledger seq {verdict.seq})", title=verdict_label(verdict.outcome)
        )
        self.load_ticket(ticket_id)
        self.post_message(StatusWanted())

    def action_evidence(self) -> None:
        if self.detail is None:
            self.notify("Pick a ticket first.", severity="warning")
            return
        ticket_id = self.detail.ticket_id
        self.notify(f"Asking the agent for ticket {short_id(ticket_id)}'s evidence pack…")
        self.save_evidence(ticket_id, default_dir(ticket_id))

    @work(exclusive=True, group="evidence")
    async def save_evidence(self, ticket_id: str, out_dir: Path) -> None:
        """Fetch the pack (the agent builds it from its ledger) and write its files in a
        thread, so neither the call nor the disk ever blocks the screen."""
        answer = await self.ask("Evidence", self.api.evidence(ticket_id))
        if answer is None:
            return
        try:
            paths = await asyncio.to_thread(write_pack, out_dir, answer)
        except (OSError, EvidenceAnswerError) as exc:
            self.notify(f"Cannot write the pack to {out_dir}: {exc}", title="Evidence",
                        severity="error")  # fmt: skip
            return
        summary = next(iter(answer.conclusion), "")
        self.notify(
            f"Written to {out_dir}/ ({', '.join(p.name for p in paths)}). {summary}"
            " Check it with: edge-agent evidence verify DIR",
            title="Evidence pack saved",
            timeout=15,
        )
