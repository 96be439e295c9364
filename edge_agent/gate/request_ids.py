"""A client's ``request_id``: a retried scan or override gets its first verdict back.

Why: a network scanner that sent a scan and lost the answer (Wi-Fi dropped, timeout)
sends it again. Judged again, the person it has just let in would be refused as
``already_admitted``; with the same ``request_id`` (pretix's check-in ``nonce``), the
agent answers the first verdict instead — same ``scan_id``, same ``seq`` — and records
nothing new. The same id with a different body (another code, lane or direction) is a
client bug and is refused (``RequestReused``, 409), never guessed at.

Where the first answer lives: while it is being judged, in memory (a retry waits for
it); once durable, in the ledger's ``scan_requests`` table, written in the same
transaction as the scan row, so it survives a restart or a crash exactly when the row
does (``ledger/request_ids.py``). Ids are per device (two scanners may use the same
counter) and kept ``ledger.request_ids_kept_s`` (a day by default; pruned at start and
hourly) — far longer than any scanner retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import msgspec

from edge_agent.errors import GatehouseError, LedgerError
from edge_agent.ledger.request_ids import RequestRecord, StoredRequest

if TYPE_CHECKING:
    from edge_agent.gate.pipeline import ScanResult

log = logging.getLogger(__name__)

#: How often old request ids are pruned while the agent runs.
PRUNE_EVERY_S = 3600.0

#: ``(device_id, request_id)`` → the stored first answer, or None (the read connection).
Lookup = Callable[[str, str], StoredRequest | None]
#: Runs the scan or override with the record to store beside its row.
Judge = Callable[[RequestRecord | None], Awaitable["ScanResult"]]


class RequestReused(GatehouseError):
    """The same ``request_id`` came with a different body (409 ``request_reused``)."""


def fingerprint(*parts: object) -> str:
    """What a retry's body must match: the parts that decide the verdict, hashed."""
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class RequestIds:
    """The in-flight and the stored first answers, per ``(device_id, request_id)``."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._inflight: dict[tuple[str, str], tuple[str, asyncio.Future[ScanResult | None]]] = {}
        self._encoder = msgspec.json.Encoder()
        self.replayed = 0

    async def once(self, device_id: str, request_id: str, sha256: str, judge: Judge) -> ScanResult:
        """The first answer to this request id, judging it (``judge``) only the first
        time. Raises ``RequestReused`` for the same id with another body."""
        key = (device_id, request_id)
        earlier = self._inflight.get(key)
        if earlier is not None:
            if earlier[0] != sha256:
                raise _reused()
            first = await asyncio.shield(earlier[1])
            if first is not None and first.recorded:
                return self._replay(first)
            # the first attempt was not recorded: this one is judged afresh (below)
        stored = self._stored(device_id, request_id)
        if stored is not None:
            if stored[0] != sha256:
                raise _reused()
            return self._replay(stored[1])
        fut: asyncio.Future[ScanResult | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = (sha256, fut)
        result: ScanResult | None = None
        try:
            result = await judge(RequestRecord(device_id, request_id, sha256, b""))
            return result
        finally:
            del self._inflight[key]
            fut.set_result(result)

    def answer_blob(self, result: ScanResult) -> bytes:
        """The verdict as stored (its seq is the row's own, set when it is read back)."""
        return self._encoder.encode(result._replace(seq=None))

    def _stored(self, device_id: str, request_id: str) -> tuple[str, ScanResult] | None:
        from edge_agent.gate.pipeline import ScanResult  # (the pipeline imports this module)

        try:
            stored = self._lookup(device_id, request_id)
        except (LedgerError, sqlite3.Error) as exc:  # unreadable: judged afresh, said loudly
            log.error("request ids: cannot read the ledger: %s", exc)
            return None
        if stored is None:
            return None
        try:
            first = msgspec.json.decode(stored.answer, type=ScanResult)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:  # an older format
            log.warning("request ids: a stored answer is unreadable (%s); judged afresh", exc)
            return None
        return stored.request_sha256, first._replace(seq=stored.seq)

    def _replay(self, first: ScanResult) -> ScanResult:
        self.replayed += 1
        return first._replace(replayed=True)


def _reused() -> RequestReused:
    return RequestReused("this request_id was already used for a different scan")


async def prune_forever(
    prune: Callable[[], Awaitable[int]], every_s: float = PRUNE_EVERY_S
) -> None:
    """Prune old request ids now and then every ``every_s`` (a task for the agent's life)."""
    while True:
        with contextlib.suppress(LedgerError):
            gone = await prune()
            if gone:
                log.info("request ids pruned", extra={"rows": gone})
        await asyncio.sleep(every_s)
