"""The ledger behind sync's ``SyncStore`` protocol (``sync/store.py``).

Writes go through the single ``LedgerWriter`` (a manifest page in parts of a few hundred
rows, each a transaction that queued scans go before; the cursor with the last part:
``sync_tables.page_parts``); reads for upload use a read-only connection of
their own in a one-thread executor, so reading a 1,000-row batch never blocks the event
loop or the writer.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from edge_agent.domain.errors import KeyringError
from edge_agent.domain.keyring import load_keyring
from edge_agent.ledger.box_office_tables import sales_for_upload, sales_head
from edge_agent.ledger.chain_checkpoints import checkpoints_for_upload
from edge_agent.ledger.rows import SyncStateRow, TicketTypeRow
from edge_agent.ledger.sorted_fill import (
    FILLS,
    PART_ROWS,
    attach_scratch,
    build_scratch,
    clear_lookup_part,
    delete_stale_part,
    detach_scratch,
    insert_part,
    remove_scratch,
)
from edge_agent.ledger.sync_tables import (
    PageChanges,
    apply_manifest_page,
    bulk_load_pending,
    create_lookup_triggers,
    drop_lookup_triggers,
    end_bulk_load,
    forget_other_event,
    page_parts,
    read_sync_state,
    restart_manifest,
    save_clock,
    save_result,
    scans_for_upload,
    set_upload_cursor,
    upload_cursors,
)
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.reader import LedgerReader
from sync.clock import ClockSample
from sync.errors import ProtocolError
from sync.manifest_page import EventInfo, ManifestPage
from sync.store import StoredSyncState

#: The upload streams this agent has: gate scans, the box office's sales stream
#: (sessions, leases, sales, voids: ``ledger/sale_records.py``) and "checkpoints"
#: (signed chain heads, docs/evidence.md), which goes after "scans": only
#: checkpoints whose rows the platform acknowledged are sent.
STREAMS = ("scans", "sales", "checkpoints")


class LedgerSyncStore:
    def __init__(
        self,
        writer: LedgerWriter,
        path: Path,
        event_id: int,
        checkpoint_head: Callable[[], int] = lambda: 0,
    ) -> None:
        self._writer = writer
        self._checkpoint_head = checkpoint_head
        self._path = path
        self._event_id = event_id
        self._reader = LedgerReader(path)
        self._read = self._reader.read
        self._keyring_json: str | None = None
        #: The upload batch after the one last read, read while that one is on its way.
        self._ahead: tuple[tuple[int, int, int], asyncio.Future[list[dict[str, Any]]]] | None
        self._ahead = None
        #: Seq of the last ``sales`` row (the box office moves it after each commit).
        self._sales_head = 0

    async def load(self) -> StoredSyncState:
        # A data dir set up for another event: that event's manifest state is not ours.
        await self._writer.execute(lambda c: forget_other_event(c, self._event_id))
        state, cursors, head = await self._read(
            lambda c: (read_sync_state(c), upload_cursors(c), sales_head(c)[0])
        )
        self._sales_head = max(self._sales_head, head)
        self._keyring_json = state.keyring_json
        return to_stored_state(state, cursors)

    async def commit_manifest_page(self, page: ManifestPage) -> None:
        if page.keyring_json != self._keyring_json:
            try:  # refuse a keyring the gate could not use, before anything is stored
                load_keyring(json.loads(page.keyring_json))
            except KeyringError as exc:
                raise ProtocolError(f"platform keyring refused: {exc}") from None
        for part in page_parts(page_changes(page)):
            apply = functools.partial(apply_manifest_page, page=part)
            await self._writer.execute(apply, alone=True)
        self._keyring_json = page.keyring_json
        if not page.more:
            await self._finish_bulk_load()

    async def _finish_bulk_load(self) -> None:
        """After a first load (also one resumed after a crash): what an earlier fill left
        out, then the plain codes and the lookup rows in key order from a scratch file
        sorted off the writer (``ledger/sorted_fill.py``), the lookup's triggers, then
        the flag. Every step is a writer op of its own that queued scans go before, a
        few milliseconds each."""
        if not await self._writer.execute(bulk_load_pending):
            return
        await self._writer.execute(drop_lookup_triggers)
        after: str | None = ""
        while after is not None:
            after = await self._writer.execute(
                functools.partial(delete_stale_part, after=after), alone=True
            )
        while await self._writer.execute(clear_lookup_part, alone=True):
            pass
        counts = await asyncio.to_thread(build_scratch, self._path)
        try:
            attach = functools.partial(attach_scratch, ledger=self._path)
            await self._writer.execute(attach, outside=True)
            for fill in FILLS:
                for start in range(0, counts[fill.table], PART_ROWS):
                    part = functools.partial(insert_part, fill=fill, after=start)
                    await self._writer.execute(part, alone=True)
        finally:
            await self._writer.execute(detach_scratch, outside=True)
            await asyncio.to_thread(remove_scratch, self._path)
        await self._writer.execute(create_lookup_triggers)
        await self._writer.execute(end_bulk_load)

    async def restart_manifest(self) -> None:
        await self._writer.execute(restart_manifest)

    def head_seq(self, stream: str) -> int:
        if stream == "checkpoints":
            return self._checkpoint_head()
        if stream == "sales":
            return self._sales_head
        return self._writer.head_seq if stream == "scans" else 0

    def note_sales_head(self, seq: int) -> None:
        """A ``sales`` row up to ``seq`` committed: the outbox has rows to send."""
        self._sales_head = max(self._sales_head, seq)

    async def read_rows(
        self, stream: str, after_seq: int, max_rows: int, max_bytes: int
    ) -> Sequence[Mapping[str, Any]]:
        """A batch of scan rows; the next batch is read at once in the background, so
        it is ready when the platform has taken this one (a long backlog goes up with
        the ledger read beside each upload, not before it). A read ahead is used only
        for exactly the request it anticipated and only if it found rows: the ledger
        only grows, so it can be short but never wrong."""
        if stream == "checkpoints":
            agent_id = self._writer.agent_id
            return await self._read(
                lambda c: checkpoints_for_upload(c, agent_id, after_seq, max_rows)
            )
        if stream == "sales":
            return await self._read(lambda c: sales_for_upload(c, after_seq, max_rows, max_bytes))
        if stream != "scans":
            raise ValueError(f"no upload stream {stream!r} on this agent")
        key = (after_seq, max_rows, max_bytes)
        rows: list[dict[str, Any]] = []
        if self._ahead is not None:
            (ahead_key, ahead), self._ahead = self._ahead, None
            if ahead_key == key:
                rows = await ahead
        if not rows:
            rows = await self._read(lambda c: scans_for_upload(c, after_seq, max_rows, max_bytes))
        if rows and self._writer.head_seq > rows[-1]["seq"]:
            last = rows[-1]["seq"]
            ahead = asyncio.ensure_future(
                self._read(lambda c: scans_for_upload(c, last, max_rows, max_bytes))
            )
            ahead.add_done_callback(_retrieved)
            self._ahead = ((last, max_rows, max_bytes), ahead)
        return rows

    async def save_upload_cursor(self, stream: str, seq: int) -> None:
        await self._writer.execute(lambda c: set_upload_cursor(c, stream, seq))

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


def _retrieved(future: asyncio.Future[Any]) -> None:
    """A read ahead nobody asked for in the end: its error (if any) is not news."""
    if not future.cancelled():
        future.exception()


def to_stored_state(state: SyncStateRow, cursors: Mapping[str, int]) -> StoredSyncState:
    clock = None
    if (
        state.clock_offset_ms is not None
        and state.clock_rtt_ms is not None
        and state.clock_measured_at_ms is not None
    ):
        clock = ClockSample(state.clock_offset_ms, state.clock_rtt_ms, state.clock_measured_at_ms)
    event = None
    if state.event_status:
        event = EventInfo(
            state.event_name, state.event_venue, state.event_status, 0, state.event_postponed_to
        )
    return StoredSyncState(
        manifest_cursor=state.manifest_cursor,
        manifest_at_ms=state.manifest_at_ms,
        event=event,
        upload_cursors=dict(cursors),
        clock=clock,
        last_success_ms=state.last_success_ms,
        last_error=state.last_error,
        last_error_ms=state.last_error_ms,
    )


def page_changes(page: ManifestPage) -> PageChanges:
    """A checked page as the ledger's rows."""
    event_id = page.event_id
    return PageChanges(
        event_id=event_id,
        cursor=page.cursor,
        manifest_at_ms=page.manifest_at_ms,
        event_status=page.event.status,
        event_name=page.event.name,
        event_venue=page.event.venue,
        event_postponed_to=page.event.postponed_to,
        keyring_json=page.keyring_json,
        ticket_types=[
            TicketTypeRow(
                event_id,
                t.ticket_type,
                t.name,
                t.capacity,
                t.price_cents,
                ",".join(t.flags),
                t.note,
            )
            for t in page.ticket_types
        ],
        tickets=page.tickets,  # TicketChange is a tuple in TicketValues' order
        revocations=[(r.ticket_id, r.kind, r.at_ms) for r in page.revocations],
        flagged=[(f.ticket_id, f.ticket_type, ",".join(f.flags), f.note) for f in page.flagged],
    )
