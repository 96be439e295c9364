"""Upload of one append-only stream (``scans``, later ``sales``) to the platform.

The cursor is the platform's word, never ours: it moves to ``stored_through_seq`` from
a 200 answer, back to the platform's N on a 409 ``gap``, and is saved durably each time,
so a crash or restart resumes from the last acknowledged row (re-sending a few rows is
harmless: the platform counts duplicates). ``chain_mismatch`` and ``bad_row`` halt the
stream: sending the same rows again cannot help and must not bury the alarm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sync.client import PlatformClient
from sync.clock import ClockSample
from sync.errors import BadRow, ChainMismatch, ProtocolError, UploadGap, UploadHalted
from sync.store import SyncStore

log = logging.getLogger(__name__)

#: Contract limits per batch (``docs/sync.md``).
MAX_BATCH_ROWS = 1000
MAX_BATCH_BYTES = 1024 * 1024


@dataclass(frozen=True)
class UploadRound:
    batches: int
    rows_sent: int
    duplicates: int
    uploaded_through: int


class Outbox:
    def __init__(
        self,
        stream: str,
        client: PlatformClient,
        store: SyncStore,
        *,
        agent_id: str,
        software_version: str,
        cursor: int,
        batch_rows: int = MAX_BATCH_ROWS,
        batch_bytes: int = 1_000_000,
        clock: Callable[[], ClockSample | None] = lambda: None,
        clock_ms: Callable[[], int],
    ) -> None:
        if not 1 <= batch_rows <= MAX_BATCH_ROWS:
            raise ValueError(f"batch_rows must be 1..{MAX_BATCH_ROWS}")
        self.stream = stream
        self._client = client
        self._store = store
        self._agent_id = agent_id
        self._version = software_version
        self._rows = batch_rows
        # Rows are measured as JSON; leave room for the envelope under the 1 MiB limit.
        self._bytes = min(batch_bytes, MAX_BATCH_BYTES - 16 * 1024)
        self._clock = clock
        self._clock_ms = clock_ms
        #: Every row up to here is stored on the platform (its last answer).
        self.cursor = cursor
        #: Set when the stream stopped for good (chain_mismatch / bad_row).
        self.halted: str | None = None

    @property
    def pending(self) -> int:
        """Rows recorded but not yet acknowledged by the platform."""
        return max(0, self._store.head_seq(self.stream) - self.cursor)

    async def upload(self) -> UploadRound:
        """Send batches until the platform holds everything up to the current head."""
        if self.halted is not None:
            raise UploadHalted(self.stream, self.halted)
        batches = sent = duplicates = 0
        while self.cursor < self._store.head_seq(self.stream):
            rows = await self._store.read_rows(self.stream, self.cursor, self._rows, self._bytes)
            if not rows:
                break
            first, last = _seq(rows[0]), _seq(rows[-1])
            try:
                answer = await self._client.post_rows(self._agent_id, self.stream, self._body(rows))
            except UploadGap as gap:
                through = gap.stored_through_seq
                if through >= first - 1:
                    raise ProtocolError(
                        f"{self.stream}: 409 gap at {through}, but the batch started at {first}"
                    ) from None
                log.warning(
                    "platform holds %s only through seq %d: rewinding from %d",
                    self.stream,
                    through,
                    self.cursor,
                )
                await self._advance(through)
                continue
            except (ChainMismatch, BadRow) as exc:
                self.halted = f"{exc.code} at seq {exc.detail.get('seq', '?')}: {exc.message}"
                log.error("upload of %s halted: %s", self.stream, self.halted)
                raise UploadHalted(self.stream, self.halted) from None
            through = _stored_through(answer)
            if through > last:
                raise ProtocolError(
                    f"{self.stream}: platform claims rows through {through}, we sent up to {last}"
                )
            if through < first:
                raise ProtocolError(
                    f"{self.stream}: platform stored through {through} after a batch "
                    f"{first}..{last}; it accepted nothing"
                )
            await self._advance(through)
            batches += 1
            sent += len(rows)
            duplicates += _count(answer, "duplicates")
        return UploadRound(batches, sent, duplicates, self.cursor)

    async def _advance(self, seq: int) -> None:
        await self._store.save_upload_cursor(self.stream, seq)
        self.cursor = seq

    def _body(self, rows: Any) -> dict[str, Any]:
        sample = self._clock()
        clock: dict[str, Any] = {"agent_time_ms": self._clock_ms()}
        if sample is not None:
            clock.update(
                offset_ms=sample.offset_ms,
                rtt_ms=sample.rtt_ms,
                measured_at_ms=sample.measured_at_ms,
            )
        else:
            clock.update(offset_ms=None, rtt_ms=None, measured_at_ms=None)
        return {
            "agent_id": self._agent_id,
            "software_version": self._version,
            "clock": clock,
            "rows": [dict(r) for r in rows],
        }


def _seq(row: Mapping[str, Any]) -> int:
    value = row["seq"]
    assert isinstance(value, int)
    return value


def _stored_through(answer: Any) -> int:
    value = answer.get("stored_through_seq") if isinstance(answer, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProtocolError(f"upload answer without a usable stored_through_seq: {answer!r}")
    return value


def _count(answer: Any, key: str) -> int:
    value = answer.get(key, 0) if isinstance(answer, dict) else 0
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
