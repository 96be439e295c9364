"""Download from pretix: catalog, order positions, revoked and blocked secrets, resumably.

Each round fetches the small catalog (event with its ``valid_keys``, products, dates, the
configured check-in list), then three passes, each over one pretix list in ascending
order of its change time with pretix's own filter as the cursor: orders by
``last_modified`` (``modified_since``), revoked secrets by ``created``
(``created_since``), blocked secrets by ``updated`` (``updated_since``). Every page is
committed with the cursor after it, so a crash resumes after the last committed page.

Why not pretixSCAN's page numbers: an order changed during a pass moves to the end of a
``last_modified`` ordering and shifts every later page by one, so following ``page=N``
can skip an order. Here each request asks again from the last time seen (the filter is
``>=``, so the last item comes again and is applied twice, harmlessly); page numbers are
used only inside a block of items sharing one time stamp.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from sync.errors import ProtocolError
from sync.pretix import documents
from sync.pretix.client import PAGE_SIZE, PretixClient
from sync.pretix.model import PretixCatalog, PretixCheckinList, PretixPage
from sync.pretix.store import PretixStore

log = logging.getLogger(__name__)

_ORDER_EXCLUDES = (
    "downloads",
    "payments",
    "refunds",
    "fees",
    "invoice_address",
    "payment_date",
    "payment_provider",
    "positions.downloads",
    "positions.print_logs",
    "positions.answers",
)
#: Passes: (cursor key, path under the event, time field, filter parameter, item key).
_PASSES = (
    ("orders", "orders/", "last_modified", "modified_since", "code"),
    ("revoked", "revokedsecrets/", "created", "created_since", "secret"),
    ("blocked", "blockedsecrets/", "updated", "updated_since", "secret"),
)
#: Stop a round after this many pages (a runaway server must not hold the worker).
MAX_PAGES = 100_000


@dataclass
class Cursor:
    """Where each pass resumes: the last change time it applied (pretix's ISO text)."""

    since: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Cursor:
        if not text:
            return cls()
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
            log.warning("pretix cursor %r not understood: full reload", text[:80])
            return cls()
        return cls({k: v for k, v in doc.items() if k in {p[0] for p in _PASSES}})

    def text(self) -> str:
        return json.dumps(self.since, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class PretixRound:
    pages: int
    positions: int
    revoked: int
    blocked: int
    cursor: str
    manifest_at_ms: int | None


class PretixManifestSync:
    def __init__(
        self,
        client: PretixClient,
        store: PretixStore,
        *,
        event: str,
        list_id: int,
        clock_ms: Callable[[], int],
        cursor: str = "",
        manifest_at_ms: int | None = None,
    ) -> None:
        self._client = client
        self._store = store
        self._event = event
        self._list_id = list_id
        self._clock_ms = clock_ms
        self.cursor = cursor
        self.manifest_at_ms = manifest_at_ms
        #: Agent time when the last complete round began: every ticket pretix had then
        #: is in the manifest (the uploader waits for this before calling one unknown).
        self.complete_as_of_ms: int | None = None
        #: The configured check-in list as pretix last described it (``None`` until the
        #: first round of this run: uploads wait for it).
        self.checkin_list: PretixCheckinList | None = None
        #: This device's id in pretix (``device/info``), to tell its own check-ins.
        self.device_id: int | None = None

    async def sync(self) -> PretixRound:
        started = self._clock_ms()
        if self.device_id is None:
            self.device_id = await self._device_id()
        catalog, server_ms = await self._catalog()
        self.checkin_list = catalog.checkin_list
        cursor = Cursor.parse(self.cursor)
        pages = positions = revoked = blocked = 0
        async for page in self._pages(catalog, cursor, server_ms):
            await self._store.commit_page(page)
            self.cursor = page.cursor
            self._store.apply_page(page)
            pages += 1
            positions += len(page.positions)
            revoked += len(page.revoked)
            blocked += len(page.blocked)
            if page.manifest_at_ms is not None:
                self.manifest_at_ms = page.manifest_at_ms
        self.complete_as_of_ms = started
        return PretixRound(pages, positions, revoked, blocked, self.cursor, self.manifest_at_ms)

    async def _device_id(self) -> int:
        doc, _ = await self._client.get("/api/v1/device/info")
        device = doc.get("device") if isinstance(doc, dict) else None
        value = device.get("device_id") if isinstance(device, dict) else None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError("device/info: no device.device_id")
        return value

    async def _catalog(self) -> tuple[PretixCatalog, int]:
        event_doc, headers = await self._client.get(self._client.event_path(self._event, ""))
        server_ms = _date_ms(headers.get("Date")) or self._clock_ms()
        items = await self._all("items/")
        has_dates = isinstance(event_doc, dict) and event_doc.get("has_subevents") is True
        dates = await self._all("subevents/") if has_dates else []
        # the list's own URL is not in pretix's "pretixscan" device profile; the list is
        lists = await self._all("checkinlists/")
        found = [c for c in lists if c.get("id") == self._list_id]
        if not found:
            raise ProtocolError(
                f"pretix event {self._event!r} has no check-in list {self._list_id}"
            )
        return documents.catalog(event_doc, items, dates, found[0]), server_ms

    async def _all(self, path: str) -> list[dict[str, Any]]:
        """Every page of a small list (products, dates), by page number."""
        out: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES):
            doc, _ = await self._client.get(
                self._client.event_path(self._event, path), {"page": page, "page_size": PAGE_SIZE}
            )
            items, more = documents.results(doc, path)
            out.extend(items)
            if not more:
                return out
        raise ProtocolError(f"{path}: more than {MAX_PAGES} pages")

    async def _pages(
        self, catalog: PretixCatalog, cursor: Cursor, server_ms: int
    ) -> AsyncIterator[PretixPage]:
        testmode = "true" if catalog.event.testmode else "false"
        for key, path, stamp, filter_name, item_key in _PASSES:
            extra: dict[str, str | list[str]] = {}
            if key == "orders":
                extra = {
                    "testmode": testmode,
                    "include_canceled_positions": "true",
                    "exclude": list(_ORDER_EXCLUDES),
                }
            passing = self._pass(path, (stamp, filter_name, item_key), cursor, key, extra)
            async for items in passing:
                if key == "orders":
                    found = [
                        p
                        for i, o in enumerate(items)
                        for p in documents.order_positions(o, f"orders[{i}]")
                    ]
                    yield PretixPage(catalog, cursor.text(), positions=tuple(found))
                elif key == "revoked":
                    yield PretixPage(
                        catalog, cursor.text(), revoked=tuple(documents.revoked_secrets(items))
                    )
                else:
                    yield PretixPage(
                        catalog, cursor.text(), blocked=tuple(documents.blocked_secrets(items))
                    )
        yield PretixPage(catalog, cursor.text(), complete=True, server_time_ms=server_ms)

    async def _pass(
        self,
        path: str,
        fields: tuple[str, str, str],
        cursor: Cursor,
        key: str,
        extra: dict[str, str | list[str]],
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of one list in ascending time order from ``cursor.since[key]``; the
        cursor is moved before each page is yielded (the caller commits both together).
        Within a round, items at the cursor's time already yielded are left out of the
        next page (the filter is ``>=``); a round's first page repeats the last one."""
        stamp, filter_name, item_key = fields
        page_no = 1
        seen: set[Any] = set()  # keys of yielded items stamped exactly ``since``
        for _ in range(MAX_PAGES):
            since = cursor.since.get(key)
            params: dict[str, Any] = {**extra, "ordering": stamp, "page_size": PAGE_SIZE}
            if since:
                params[filter_name] = since
            if page_no > 1:
                params["page"] = page_no
            doc, _ = await self._client.get(self._client.event_path(self._event, path), params)
            items, more = documents.results(doc, path)
            if not items:
                return
            newest = items[-1].get(stamp)
            newest_ms = documents.iso_to_ms(newest, f"{path}[-1].{stamp}")
            since_ms = None if since is None else documents.iso_to_ms(since, "cursor")
            if since_ms is not None and newest_ms < since_ms:
                raise ProtocolError(f"{path}: not in ascending {stamp} order")
            stuck = since_ms is not None and newest_ms == since_ms
            page_no = page_no + 1 if stuck else 1
            fresh = [i for i in items if not (i.get(item_key) in seen and i.get(stamp) == since)]
            if not stuck:
                seen = set()
            seen |= {i.get(item_key) for i in items if i.get(stamp) == newest}
            assert isinstance(newest, str)
            cursor.since[key] = newest
            if fresh:
                yield fresh
            if not more:
                return
        raise ProtocolError(f"{path}: more than {MAX_PAGES} pages in one round")


def _date_ms(header: str | None) -> int | None:
    if not header:
        return None
    try:
        return int(parsedate_to_datetime(header).timestamp() * 1000)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
