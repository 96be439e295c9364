"""The ledger and the gate behind sync's ``PretixStore`` protocol (``sync/pretix/store.py``).

Writes go through the single ``LedgerWriter`` (a page with its cursor is one
transaction; numbering new products is a small one before it); the gate's memory is
changed only after that commit, on the event loop: the check-in list's rules, type
names and flags, revocations, pretix's check-in state, the event and the keyring.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_agent.domain.gate_policy import AdmissionRecord
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.reasons import RevocationKind
from edge_agent.gate.live_manifest import LiveManifest
from edge_agent.gate.state import GateState
from edge_agent.ledger import pretix_tables as pt
from edge_agent.ledger.flag_queries import parse_flags
from edge_agent.ledger.sync_tables import (
    forget_other_event,
    read_sync_state,
    restart_manifest,
    save_clock,
    save_result,
    set_upload_cursor,
    upload_cursors,
)
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.pretix import translate
from edge_agent.platform_link.reader import LedgerReader
from edge_agent.platform_link.store import to_stored_state
from sync.clock import ClockSample
from sync.manifest_page import EventInfo
from sync.pretix.model import PretixPage
from sync.pretix.store import Conflict, UploadRow
from sync.pretix.upload import STREAM
from sync.store import StoredSyncState

log = logging.getLogger(__name__)


@dataclass
class _Committed:
    """The last committed page and what it meant, for ``apply_page``."""

    page: PretixPage
    changes: pt.PretixChanges
    rules: PretixRules
    revocations: dict[str, str | None] = field(default_factory=dict)


class PretixLedgerStore:
    def __init__(
        self,
        writer: LedgerWriter,
        path: Path,
        *,
        event_id: int,
        organizer: str,
        state: GateState,
        link: str = "",
        live: LiveManifest,
        clock_ms: Callable[[], int],
    ) -> None:
        self._writer = writer
        self._event_id = event_id
        self._organizer = organizer
        self._link = link or organizer
        self._state = state
        self._live = live
        self._clock_ms = clock_ms
        self._reader = LedgerReader(path, "pretix-reader")
        self._products: dict[tuple[int, int], int] = {}
        self._committed: _Committed | None = None
        self._warned: set[str] = set()

    async def load(self) -> StoredSyncState:
        await self._writer.execute(lambda c: forget_other_event(c, self._event_id))
        if await self._writer.execute(lambda c: pt.switch_link(c, self._link)):
            log.warning(
                "pretix link changed to %s: downloading from the start (a new data dir is"
                " cleaner: what the old list's download stored stays)",
                self._link,
            )
        state, cursors, products = await self._reader.read(
            lambda c: (read_sync_state(c), upload_cursors(c), pt.product_map(c))
        )
        self._products = products
        return to_stored_state(state, cursors)

    async def commit_page(self, page: PretixPage) -> None:
        new = {(p.item, p.variation) for p in page.catalog.products} - set(self._products)
        if new:
            self._products = await self._writer.execute(lambda c: pt.assign_products(c, new))
        changes, rules = translate.changes(
            page,
            self._products,
            event_id=self._event_id,
            organizer=self._organizer,
            at_ms=self._clock_ms(),
        )
        touched = await self._writer.execute(lambda c: pt.apply_pretix_changes(c, changes))
        self._committed = _Committed(page, changes, rules, touched)

    def apply_page(self, page: PretixPage) -> None:
        done = self._committed
        if done is None or done.page is not page:
            log.error("pretix page applied before it was committed: ignored")
            return
        self._warn_unhonoured(page)
        state = self._state
        state.set_pretix_rules(done.rules)
        for ticket_type, name in done.changes.type_names:
            state.set_ticket_type_name(ticket_type, name)
        for ticket_type, flags, note in done.changes.type_flags:
            state.set_type_flags(self._event_id, ticket_type, parse_flags(flags, note))
        for ticket_id, kind in done.revocations.items():
            state.set_revocation(ticket_id, None if kind is None else RevocationKind(kind))
        for row in done.changes.positions:
            state.set_remote_admission(row.ticket_id, translate.admission(row))
        event = page.catalog.event
        self._live.update_event(
            EventInfo(event.name, "", "on_sale", event.date_from_ms, None), page.manifest_at_ms
        )
        self._live.update_keyring(done.changes.keyring_json)
        self._committed = None

    def _warn_unhonoured(self, page: PretixPage) -> None:
        """Say once per run what of the check-in list this gate does not apply."""
        clist = page.catalog.checkin_list
        notes = {
            "rules": clist.has_rules,
            "addon_match": clist.addon_match,
        }
        for name, present in notes.items():
            if present and name not in self._warned:
                self._warned.add(name)
                log.warning(
                    "pretix check-in list %d has %s, which this gate does not apply"
                    " (docs/pretix.md)",
                    clist.id,
                    "custom rules" if name == "rules" else "add-on matching",
                )

    async def restart(self) -> None:
        await self._writer.execute(restart_manifest)

    def head_seq(self) -> int:
        return self._writer.head_seq

    async def read_rows(self, after_seq: int, max_rows: int) -> Sequence[UploadRow]:
        rows = await self._reader.read(lambda c: pt.rows_for_upload(c, after_seq, max_rows))
        return [UploadRow(*r) for r in rows]

    async def save_upload_cursor(self, seq: int) -> None:
        await self._writer.execute(lambda c: set_upload_cursor(c, STREAM, seq))

    async def record_conflict(self, conflict: Conflict) -> None:
        now = self._clock_ms()
        await self._writer.execute(
            lambda c: pt.record_conflict(
                c,
                conflict.seq,
                conflict.scan_id,
                conflict.ticket_id,
                conflict.at_ms,
                conflict.pretix_reason,
                conflict.detail,
                conflict.others,
                now,
            )
        )

    async def conflicts(self) -> list[dict[str, Any]]:
        return await self._reader.read(pt.conflicts)

    async def save_clock(self, sample: ClockSample) -> None:
        await self._writer.execute(
            lambda c: save_clock(c, sample.offset_ms, sample.rtt_ms, sample.measured_at_ms)
        )

    async def save_result(
        self, success_ms: int | None, error: str | None, error_ms: int | None
    ) -> None:
        await self._writer.execute(lambda c: save_result(c, success_ms, error, error_ms))

    async def close(self) -> None:
        await self._reader.close()


def load_gate_state(conn: sqlite3.Connection, state: GateState) -> None:
    """At start: the check-in list's rules and pretix's check-in state as last synced."""
    products = pt.product_map(conn)
    text = pt.rules_json(conn)
    if text is not None:
        state.set_pretix_rules(translate.rules_from_json(text, products))
    for (
        ticket_id,
        inside,
        first_ms,
        first_gate,
        last_ms,
        last_gate,
        entries,
    ) in pt.remote_admissions(conn):
        record = AdmissionRecord(
            inside=inside,
            first_admit_ms=first_ms,
            first_gate=first_gate,
            last_ms=last_ms,
            last_gate=last_gate,
            entries=entries,
        )
        state.set_remote_admission(ticket_id, record)
