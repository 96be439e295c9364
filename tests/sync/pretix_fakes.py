"""In-memory stand-ins for the pretix link's unit tests: a client answering like pretix's
list endpoints (ordering, ``*_since`` filters, pages of 50) and a store that records.

The real server is exercised by ``tests/pretix``; these pin the link's own logic (cursor
passes, tie blocks, held rows, conflicts) where a real server cannot stage the case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sync.clock import ClockSample
from sync.pretix.model import PretixPage
from sync.pretix.store import Conflict, UploadRow


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


EVENT = {
    "slug": "ev",
    "name": {"en": "Test event"},
    "date_from": "2026-12-06T10:00:00Z",
    "has_subevents": False,
    "testmode": False,
    "valid_keys": {"pretix_sig1": []},
}
ITEMS = [
    {"id": 1, "name": {"en": "Ticket"}, "admission": True, "variations": []},
    {
        "id": 2,
        "name": {"de": "Tagespass"},
        "admission": True,
        "variations": [{"id": 7, "value": {"en": "Sat"}}, {"id": 8, "value": {"en": "Sun"}}],
    },
]
LISTS = [
    {
        "id": 5,
        "name": "All",
        "all_products": True,
        "limit_products": [],
        "subevent": None,
        "include_pending": False,
        "allow_multiple_entries": False,
        "allow_entry_after_exit": True,
        "rules": {},
        "addon_match": False,
    },
]


def order(
    code: str, modified_ms: int, positions: list[dict[str, Any]], status: str = "p"
) -> dict[str, Any]:
    return {
        "code": code,
        "status": status,
        "email": f"{code}@example.invalid",
        "valid_if_pending": False,
        "require_approval": False,
        "last_modified": iso(modified_ms),
        "positions": positions,
    }


def position(pid: int, secret: str, item: int = 1, **extra: Any) -> dict[str, Any]:
    doc = {
        "id": pid,
        "item": item,
        "variation": None,
        "subevent": None,
        "secret": secret,
        "attendee_name": f"Person {pid}",
        "attendee_email": None,
        "valid_from": None,
        "valid_until": None,
        "canceled": False,
        "blocked": None,
        "checkins": [],
    }
    doc.update(extra)
    return doc


class FakePretix:
    """Answers ``get`` like pretix's event endpoints; records ``post`` bodies."""

    organizer = "org"

    def __init__(self) -> None:
        self.orders: list[dict[str, Any]] = []
        self.revoked: list[dict[str, Any]] = []
        self.blocked: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.answers: list[tuple[int, Any]] = []  # queued answers to posts; default 201 ok
        self.fail_posts: list[BaseException] = []

    def event_path(self, event: str, path: str) -> str:
        return f"/events/{event}/{path}"

    def organizer_path(self, path: str) -> str:
        return f"/{path}"

    async def get(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, Mapping[str, str]]:
        params = dict(params or {})
        self.requests.append((path, params))
        headers = {"Date": "Sun, 06 Dec 2026 10:00:00 GMT"}
        if path == "/api/v1/device/info":
            return {"device": {"device_id": 42}}, headers
        name = path.rstrip("/").rsplit("/", 1)[-1]
        if name == "ev":
            return EVENT, headers
        table = {
            "items": (ITEMS, None, None),
            "checkinlists": (LISTS, None, None),
            "subevents": ([], None, None),
            "orders": (self.orders, "last_modified", "modified_since"),
            "revokedsecrets": (self.revoked, "created", "created_since"),
            "blockedsecrets": (self.blocked, "updated", "updated_since"),
        }[name]
        items, stamp, filt = table
        if stamp is not None:
            assert params.get("ordering") == stamp
            since = params.get(filt)
            key = lambda r: datetime.fromisoformat(r[stamp])  # noqa: E731
            items = sorted(items, key=key)
            if since:
                items = [r for r in items if key(r) >= datetime.fromisoformat(since)]
        size = int(params.get("page_size", 50))
        page = int(params.get("page", 1))
        chunk = items[(page - 1) * size : page * size]
        more = len(items) > page * size
        return {"count": len(items), "next": "more" if more else None, "results": chunk}, headers

    async def post(self, path: str, body: Mapping[str, Any]) -> tuple[int, Any]:
        self.posts.append((path, dict(body)))
        if self.fail_posts:
            raise self.fail_posts.pop(0)
        if self.answers:
            return self.answers.pop(0)
        return 201, {"status": "ok", "position": {"order__status": "p", "checkins": []}}


class FakeStore:
    """Records committed pages, conflicts and cursors; serves given upload rows."""

    def __init__(self, rows: Sequence[UploadRow] = ()) -> None:
        self.pages: list[PretixPage] = []
        self.applied: list[PretixPage] = []
        self.rows = list(rows)
        self.cursor_saves: list[int] = []
        self.conflicts: list[Conflict] = []
        self.fail_commit_at: int | None = None

    async def commit_page(self, page: PretixPage) -> None:
        if self.fail_commit_at is not None and len(self.pages) == self.fail_commit_at:
            raise RuntimeError("disk full")
        self.pages.append(page)

    def apply_page(self, page: PretixPage) -> None:
        self.applied.append(page)

    async def restart(self) -> None:
        return None

    def head_seq(self) -> int:
        return self.rows[-1].seq if self.rows else 0

    async def read_rows(self, after_seq: int, max_rows: int) -> Sequence[UploadRow]:
        return [r for r in self.rows if r.seq > after_seq][:max_rows]

    async def save_upload_cursor(self, seq: int) -> None:
        self.cursor_saves.append(seq)

    async def record_conflict(self, conflict: Conflict) -> None:
        self.conflicts.append(conflict)

    async def save_clock(self, sample: ClockSample) -> None:
        return None

    async def save_result(
        self, success_ms: int | None, error: str | None, error_ms: int | None
    ) -> None:
        return None


def row(
    seq: int,
    *,
    outcome: str = "admit",
    reason: str = "admitted",
    position: int | None = 1,
    ticket: str | None = "t1",
    kind: str = "pretix_sig1",
    direction: str = "in",
    at_ms: int = 1_800_000_000_000,
) -> UploadRow:
    return UploadRow(
        seq,
        f"scan-{seq}",
        at_ms + seq,
        direction,
        outcome,
        reason,
        kind,
        ticket,
        f"{seq:064x}",
        position,
    )
