"""What the pretix link needs from the agent, as a Protocol the agent implements.

Like ``sync/store.py`` for the Gatehouse protocol: the link never opens the ledger. The
agent (``edge_agent/platform_link/pretix``) turns each downloaded page into its rows in
one writer transaction (``commit_page``), applies it to the gate's live state
(``apply_page``), and hands the uploader ledger rows already joined with what the
manifest knows of the ticket (its pretix position).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from sync.clock import ClockSample
from sync.pretix.model import PretixPage


class UploadRow(NamedTuple):
    """One ledger scan row as the uploader needs it."""

    seq: int
    scan_id: str
    at_ms: int
    direction: str  # "in" | "out"
    outcome: str  # "admit" | "exit" | "refuse"
    reason: str
    credential_kind: str
    ticket_id: str | None
    code_sha256: str
    #: pretix's order position of the ticket, when the manifest has it.
    position_id: int | None


class Conflict(NamedTuple):
    """pretix's answer disagrees with the gate's verdict (the row is uploaded anyway)."""

    seq: int
    scan_id: str
    ticket_id: str | None
    at_ms: int
    #: pretix's word for it: already_redeemed, blocked, canceled, unpaid, invalid, …
    pretix_reason: str
    detail: str
    #: (pretix device id or None, Unix ms) of the other check-ins pretix holds.
    others: tuple[tuple[int | None, int], ...] = ()


class PretixStore(Protocol):
    async def commit_page(self, page: PretixPage) -> None:
        """Apply the page's changes AND its cursor in ONE durable transaction."""
        ...

    def apply_page(self, page: PretixPage) -> None:
        """Apply a committed page to the gate's live state (on the event loop)."""
        ...

    async def restart(self) -> None:
        """Forget the download cursor (the next round is a full load)."""
        ...

    def head_seq(self) -> int:
        """Seq of the last committed scan row (0 when empty)."""
        ...

    async def read_rows(self, after_seq: int, max_rows: int) -> Sequence[UploadRow]: ...

    async def save_upload_cursor(self, seq: int) -> None: ...

    async def record_conflict(self, conflict: Conflict) -> None: ...

    async def save_clock(self, sample: ClockSample) -> None: ...

    async def save_result(
        self, success_ms: int | None, error: str | None, error_ms: int | None
    ) -> None: ...
