"""Manifest download: stream the platform's change pages into the ledger and the gate.

For each page: fetch → check (``parse_manifest_page``) → commit the page's changes and
its cursor in ONE writer transaction → apply it to the gate's live state → next page.
While a page commits, the next one is already fetched and checked (a look-ahead of ONE
page: its request needs only the checked page's cursor). So at most two pages are held
at a time, a 1,000,000-ticket first load stays small, the platform's page building and
the agent's checking overlap the ledger's writing, and a crash still resumes after the
last committed page (a fetched page is applied only after the one before it
committed). An unknown cursor (409 ``cursor_unknown``, e.g. the platform was rebuilt)
restarts with a full load, once per round.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sync.client import PlatformClient
from sync.errors import CursorUnknown, ProtocolError
from sync.manifest_page import ManifestPage, parse_manifest_page
from sync.store import GateUpdates, SyncStore

log = logging.getLogger(__name__)

#: Pages larger than this many entries are checked off the event loop.
_THREAD_MIN_ENTRIES = 500


@dataclass(frozen=True)
class ManifestRound:
    """What one call of ``ManifestSync.sync`` did."""

    pages: int
    tickets: int
    revocations: int
    full_reload: bool
    cursor: str
    manifest_at_ms: int | None


class ManifestSync:
    def __init__(
        self,
        client: PlatformClient,
        store: SyncStore,
        gate: GateUpdates,
        *,
        event_id: int,
        page_limit: int = 5000,
        cursor: str = "",
        manifest_at_ms: int | None = None,
        max_pages: int = 100_000,
    ) -> None:
        self._client = client
        self._store = store
        self._gate = gate
        self._event_id = event_id
        self._limit = page_limit
        self._max_pages = max_pages
        self.cursor = cursor
        self.manifest_at_ms = manifest_at_ms

    async def sync(self) -> ManifestRound:
        """Fetch and apply pages until the platform says ``more: false``."""
        pages = tickets = revocations = 0
        reloaded = False
        ahead: asyncio.Task[ManifestPage] | None = None  # the next page, on its way
        try:
            while True:
                try:
                    if ahead is None:
                        page = await self._fetch(self.cursor)
                    else:
                        task, ahead = ahead, None
                        page = await task
                except CursorUnknown:
                    if reloaded or not self.cursor:
                        raise
                    log.warning(
                        "platform does not know manifest cursor %r: full reload", self.cursor
                    )
                    await self._store.restart_manifest()
                    self.cursor = ""
                    reloaded = True
                    continue
                if page.more and page.cursor == self.cursor:
                    raise ProtocolError(
                        f"manifest page says more but the cursor stays {page.cursor!r}"
                    )
                if page.more and pages + 1 < self._max_pages:
                    ahead = asyncio.get_running_loop().create_task(self._fetch(page.cursor))
                await self._store.commit_manifest_page(page)
                self.cursor = page.cursor
                if page.manifest_at_ms is not None:
                    self.manifest_at_ms = page.manifest_at_ms
                self._gate.apply_manifest_page(page)
                pages += 1
                tickets += len(page.tickets)
                revocations += len(page.revocations)
                more = page.more
                del page  # from here on only the next page is held
                if not more:
                    break
                if ahead is None:
                    raise ProtocolError(f"manifest did not end after {pages} pages")
        finally:
            if ahead is not None:  # a commit failed or we were cancelled: drop the next page
                ahead.cancel()
                await asyncio.wait([ahead])
                if not ahead.cancelled():
                    ahead.exception()  # nobody applies that page: its failure is moot
        return ManifestRound(
            pages, tickets, revocations, reloaded, self.cursor, self.manifest_at_ms
        )

    async def _fetch(self, cursor: str) -> ManifestPage:
        doc = await self._client.get_manifest(self._event_id, cursor, self._limit)
        return await self._check(doc)

    async def _check(self, doc: Any) -> ManifestPage:
        size = 0
        if isinstance(doc, dict):
            for name in ("tickets", "revocations", "ticket_types"):
                items = doc.get(name)
                size += len(items) if isinstance(items, list) else 0
        if size >= _THREAD_MIN_ENTRIES:
            return await asyncio.to_thread(parse_manifest_page, doc, self._event_id)
        return parse_manifest_page(doc, self._event_id)
