"""Upload to pretix: every ledger scan row becomes a pretix check-in, exactly once.

* An admit or exit of a ticket pretix knows goes to the check-in list's redeem endpoint
  by position id, with ``force: true`` (the gate decided offline: pretix records it even
  if it would now decide otherwise, and marks it forced), the gate's time with its UTC
  offset, entry or exit, and the row's ``scan_id`` as ``nonce``. pretix checks a nonce
  only after its validity checks, so a retry without force could be refused once the
  ticket was blocked meanwhile and leave a failed row behind; with force every retry
  finds the first check-in by its nonce (same device, list and type) and stores nothing.
* A refusal goes to ``failed_checkins`` with pretix's nearest reason, the position when
  known, ``raw_barcode`` ``sha256:<hex>`` (the agent keeps only the code's hash) and the
  same nonce, which pretix also deduplicates on.
* pretix's answer is compared with the gate's verdict: a 404 for an admitted ticket, or a
  position that pretix (before this check-in) held blocked, canceled, unpaid or already
  inside by another device, is a conflict the store records for the supervisor's report.
* An admit of a signed code whose position the manifest does not have yet waits until a
  complete manifest round that began after the scan; then it is a conflict
  (``unknown_position``), not an upload. Scans of codes pretix never issued (Gatehouse's
  own GH1 codes) stay in the ledger only, and so do zone moves (reason ``moved``: an
  admit that is no entry, ``docs/gate.md``).

The cursor moves over a row only once pretix answered for it (or it was settled as
above), and is saved durably after each chunk; rows go up a few at a time
(``concurrency``): each request is idempotent, and pretix orders check-ins by their
time, not by arrival.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sync.errors import ProtocolError
from sync.pretix import documents
from sync.pretix.client import PretixClient
from sync.pretix.model import PretixCheckinList
from sync.pretix.store import Conflict, PretixStore, UploadRow

log = logging.getLogger(__name__)

STREAM = "pretix_checkins"
#: Gatehouse reason → pretix's ``error_reason`` for a failed check-in.
FAILED_REASONS = {
    "malformed": "invalid",
    "unknown_key": "invalid",
    "bad_signature": "invalid",
    "key_not_for_event": "invalid",
    "wrong_event": "invalid",
    "unknown_code": "invalid",
    "not_yet_valid": "invalid_time",
    "expired": "invalid_time",
    "refunded": "canceled",
    "cancelled": "canceled",
    "charged_back": "canceled",
    "reissued": "revoked",
    "suspended": "blocked",
    "blocked": "blocked",
    "unpaid": "unpaid",
    "already_admitted": "already_redeemed",
    "not_allowed_at_gate": "product",
    # the gate rules (docs/gate.md): a window or day is pretix's "not valid at this
    # time"; limits, zones and the live-code rule are what pretix's custom rules do
    "doors_not_open": "invalid_time",
    "doors_closed": "invalid_time",
    "wrong_day": "invalid_time",
    "entry_limit": "rules",
    "day_limit": "rules",
    "zone_full": "rules",
    "rotating_required": "rules",
    "stale_code": "invalid",
}
#: Admits that are no entry: a move between zones of the venue (the ticket was inside
#: and stays inside), which pretix's check-in list has no notion of.
NOT_CHECKINS = frozenset({"moved"})


class _Held(Exception):
    """The row waits for the manifest (its position is not known yet)."""


@dataclass(frozen=True)
class UploadRound:
    sent: int
    conflicts: int
    uploaded_through: int


def iso_ms(at_ms: int) -> str:
    """The gate's time with its offset (pretix reads a naive time in its own zone)."""
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


class PretixOutbox:
    def __init__(
        self,
        client: PretixClient,
        store: PretixStore,
        *,
        event: str,
        checkin_list: Callable[[], PretixCheckinList | None],
        device_id: Callable[[], int | None],
        complete_as_of_ms: Callable[[], int | None],
        cursor: int,
        batch_rows: int = 200,
        concurrency: int = 4,
    ) -> None:
        self.stream = STREAM
        self._client = client
        self._store = store
        self._event = event
        self._list = checkin_list
        self._device_id = device_id
        self._complete_as_of = complete_as_of_ms
        self._rows = batch_rows
        self._concurrency = max(1, concurrency)
        self.cursor = cursor
        #: Never set: pretix refusing one row does not stop the others (it is a conflict).
        self.halted: str | None = None
        self._conflicts = 0

    @property
    def pending(self) -> int:
        return max(0, self._store.head_seq() - self.cursor)

    async def upload(self) -> UploadRound:
        clist = self._list()
        if clist is None:  # no manifest yet: nothing can be matched to a position
            return UploadRound(0, 0, self.cursor)
        sent = 0
        while self.cursor < self._store.head_seq():
            rows = await self._store.read_rows(self.cursor, self._rows)
            if not rows:
                break
            for chunk in chunks(rows, self._concurrency):
                done, error = await self._send_chunk(chunk, clist)
                if done:
                    self.cursor = done[-1].seq
                    await self._store.save_upload_cursor(self.cursor)
                    sent += len(done)
                if error is not None:
                    if isinstance(error, _Held):
                        return UploadRound(sent, self._conflicts, self.cursor)
                    raise error
        return UploadRound(sent, self._conflicts, self.cursor)

    async def _send_chunk(
        self, chunk: Sequence[UploadRow], clist: PretixCheckinList
    ) -> tuple[list[UploadRow], BaseException | None]:
        """The leading rows that are settled, and the first failure after them."""
        answers = await asyncio.gather(
            *(self._send(row, clist) for row in chunk), return_exceptions=True
        )
        done: list[UploadRow] = []
        for row, answer in zip(chunk, answers, strict=True):
            if isinstance(answer, BaseException):
                return done, answer
            done.append(row)
        return done, None

    async def _send(self, row: UploadRow, clist: PretixCheckinList) -> None:
        if row.reason in NOT_CHECKINS:
            return  # settled: a zone move is no check-in at pretix
        if row.outcome == "refuse":
            await self._failed(row, clist)
        elif row.position_id is not None:
            await self._redeem(row, clist, row.position_id)
        elif row.credential_kind == "pretix_sig1" and row.ticket_id is not None:
            complete = self._complete_as_of()
            if complete is None or complete <= row.at_ms:
                raise _Held()
            await self._conflict(row, "unknown_position", "pretix has no order position for it")
        # else: a code pretix never issued (a GH1 code): it stays in the ledger only

    async def _redeem(self, row: UploadRow, clist: PretixCheckinList, position_id: int) -> None:
        path = self._client.event_path(
            self._event, f"checkinlists/{clist.id}/positions/{position_id}/redeem/"
        )
        body = {
            "force": True,
            "type": "exit" if row.direction == "out" else "entry",
            "datetime": iso_ms(row.at_ms),
            "nonce": row.scan_id,
            "questions_supported": False,
            "canceled_supported": True,
            "ignore_unpaid": True,
        }
        status, doc = await self._client.post(path, body)
        if status == 404:
            await self._conflict(row, "invalid", "pretix does not know this position on the list")
            return
        if status >= 300 or not isinstance(doc, dict) or doc.get("status") != "ok":
            reason = doc.get("reason") if isinstance(doc, dict) else None
            await self._conflict(row, str(reason or f"http_{status}"), _brief(doc))
            return
        found = disagreement(row, doc.get("position"), clist, self._device_id())
        if found is not None:
            await self._conflict(row, *found)

    async def _failed(self, row: UploadRow, clist: PretixCheckinList) -> None:
        path = self._client.event_path(self._event, f"checkinlists/{clist.id}/failed_checkins/")
        body: dict[str, Any] = {
            "error_reason": FAILED_REASONS.get(row.reason, "error"),
            "error_explanation": f"Gatehouse: {row.reason}",
            "raw_barcode": f"sha256:{row.code_sha256}" if row.code_sha256 else "gatehouse:manual",
            "datetime": iso_ms(row.at_ms),
            "type": "exit" if row.direction == "out" else "entry",
            "nonce": row.scan_id,
        }
        if row.position_id is not None:
            body["position"] = row.position_id
        status, doc = await self._client.post(path, body)
        if status >= 300:
            log.warning(
                "pretix refused failed check-in of seq %d: %s %s", row.seq, status, _brief(doc)
            )

    async def _conflict(
        self,
        row: UploadRow,
        reason: str,
        detail: str,
        others: tuple[tuple[int | None, int], ...] = (),
    ) -> None:
        self._conflicts += 1
        log.warning("pretix disagrees with seq %d (%s): %s", row.seq, reason, detail)
        await self._store.record_conflict(
            Conflict(row.seq, row.scan_id, row.ticket_id, row.at_ms, reason, detail, others)
        )


def chunks(rows: Sequence[UploadRow], size: int) -> list[list[UploadRow]]:
    """Rows in order, at most ``size`` a chunk, and never two of one ticket in a chunk:
    an exit and a re-entry must reach pretix one after the other, or the re-entry would
    be judged against a state without the exit."""
    out: list[list[UploadRow]] = []
    current: list[UploadRow] = []
    tickets: set[str] = set()
    for row in rows:
        if len(current) >= size or (row.ticket_id is not None and row.ticket_id in tickets):
            out.append(current)
            current, tickets = [], set()
        current.append(row)
        if row.ticket_id is not None:
            tickets.add(row.ticket_id)
    if current:
        out.append(current)
    return out


def disagreement(
    row: UploadRow, position: Any, clist: PretixCheckinList, own_device: int | None
) -> tuple[str, str, tuple[tuple[int | None, int], ...]] | None:
    """What pretix would have said without force, from the position as pretix held it
    before this check-in (its answer's ``position``); ``None`` when it agrees."""
    if not isinstance(position, dict):
        return None
    if position.get("blocked"):
        return "blocked", "pretix holds the ticket blocked", ()
    status = position.get("order__status")
    if status == "c" or position.get("canceled"):
        return "canceled", "pretix has the order canceled", ()
    pending_ok = status == "n" and clist.include_pending
    if status != "p" and not position.get("order__valid_if_pending") and not pending_ok:
        return "unpaid", f"pretix has the order in status {status!r}", ()
    if row.direction == "out" or clist.allow_multiple_entries:
        return None
    prior = []
    for c in position.get("checkins") or []:
        if not isinstance(c, dict) or c.get("list") != clist.id:
            continue
        try:
            at = documents.iso_to_ms(c.get("datetime"), "checkin")
        except ProtocolError:  # an odd entry does not make a conflict
            continue
        device = c.get("device_id", c.get("device"))
        if device == own_device and at == row.at_ms:
            continue  # this very row, stored by an earlier try
        prior.append((at, str(c.get("type")), device if isinstance(device, int) else None))
    if not prior or all(kind == "exit" for _, kind, _ in prior):
        return None
    last = max(prior)
    if clist.allow_entry_after_exit and last[1] == "exit":
        return None
    others = tuple((device, at) for at, kind, device in sorted(prior) if kind == "entry")
    return "already_redeemed", "pretix already had an entry on this list", others


def _brief(doc: Any) -> str:
    """pretix's answer in a few words for logs and the conflicts report: its verdict and
    field errors, never the ``position`` it carries (that holds the ticket's secret)."""
    if not isinstance(doc, dict):
        return str(doc)[:200]
    parts = [
        f"{key}={doc[key]}"
        for key in ("status", "reason", "reason_explanation", "detail")
        if isinstance(doc.get(key), str)
    ]
    parts += [
        f"{key}: {value[0]}"
        for key, value in doc.items()
        if isinstance(value, list) and value and isinstance(value[0], str)
    ]
    text = "; ".join(parts) or "no explanation"
    return text if len(text) <= 300 else text[:297] + "..."
