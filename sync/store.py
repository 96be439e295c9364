"""What the sync package needs from the agent, as Protocols the agent implements.

Sync never opens the ledger itself (an import-linter contract keeps it so): the agent
passes in a ``SyncStore`` (durable state: the ledger, through its single writer) and a
``GateUpdates`` (the gate's live in-memory state). ``edge_agent/platform_link/store.py`` holds
the real implementations; tests may pass their own of the same shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sync.clock import ClockSample
from sync.manifest_page import EventInfo, ManifestPage


@dataclass(frozen=True)
class StoredSyncState:
    """What a previous run left behind: where to resume, and what it last knew."""

    manifest_cursor: str = ""
    manifest_at_ms: int | None = None
    event: EventInfo | None = None
    upload_cursors: Mapping[str, int] = field(default_factory=dict)
    clock: ClockSample | None = None
    last_success_ms: int | None = None
    last_error: str | None = None
    last_error_ms: int | None = None


class SyncStore(Protocol):
    async def load(self) -> StoredSyncState:
        """The stored state (defaults before the first sync)."""
        ...

    async def commit_manifest_page(self, page: ManifestPage) -> None:
        """Apply the page's changes AND its cursor (and, when ``more`` is false, its
        ``manifest_at_ms``) in ONE durable transaction; raise if anything is refused."""
        ...

    async def restart_manifest(self) -> None:
        """Forget the manifest cursor (the next download is a full load)."""
        ...

    def head_seq(self, stream: str) -> int:
        """Seq of the last committed row of ``stream`` (0 when empty)."""
        ...

    async def read_rows(
        self, stream: str, after_seq: int, max_rows: int, max_bytes: int
    ) -> Sequence[Mapping[str, Any]]:
        """Rows with seq > ``after_seq`` in seq order, every contract field plus
        ``chain``; at most ``max_rows`` and about ``max_bytes`` of JSON (at least one
        row when there is one)."""
        ...

    async def save_upload_cursor(self, stream: str, seq: int) -> None: ...

    async def save_clock(self, sample: ClockSample) -> None: ...

    async def save_result(
        self, success_ms: int | None, error: str | None, error_ms: int | None
    ) -> None:
        """Record the outcome of a sync round (for status after a restart)."""
        ...


class GateUpdates(Protocol):
    def apply_manifest_page(self, page: ManifestPage) -> None:
        """Apply a committed page to the gate's live state (revocations, ticket-type
        names, event status, keyring, manifest time). Called on the event loop right
        after ``commit_manifest_page`` returned."""
        ...
