"""Settling what the cluster did not confirm, and seeding a new claims bucket.

Two jobs, one rule — *make the bucket know every admission this box recorded*:

- **replay**: scan rows marked ``{"claim": "unconfirmed"}`` (decided here while there
  was no quorum) are claimed again with the *same* claim id (the row's ``scan_id``).
  A first admission that wins now, or whose earlier attempt did commit, is
  ``confirmed``. One that finds another gate's first admission is a **conflict**: both
  ledger rows stay as they are (append-only), the bucket keeps the other gate's claim,
  and the conflict is recorded here and sent to every member (``conflict`` event) for
  the TUI, status and the platform's report. Exits and re-entries merge by time on top
  of whatever the bucket holds (someone went out; someone came back in).
- **seeding**: when this box meets a claims bucket it has not seen (the cluster was
  just formed, or it joined a venue), every admission row of its ledger is claimed the
  same way, so boxes that ran alone bring their admissions with them and double
  admissions between them surface as conflicts.

Both run in the background at a modest pace, never on a scan's path.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from nats.aio.client import Client as NATS

from edge_agent.domain.gate_policy import AdmissionRecord
from edge_agent.domain.reasons import ReasonCode
from edge_agent.ledger import mesh_tables as mt
from edge_agent.ledger.mesh_tables import AdmissionRow, ConflictRow
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.mesh import claim_ops
from edge_agent.mesh.claim_ops import ClaimUnknown, WrongSequence
from edge_agent.mesh.claim_values import ClaimValue, ticket_key
from edge_agent.mesh.claimer import ClaimIdentity

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Per call while replaying (a background job may wait longer than a door).
REPLAY_TIMEOUT_S = 1.0
_ATTEMPTS = 3


class Outcome:
    CONFIRMED = "confirmed"
    CONFLICT = "conflict"
    #: An exit or re-entry that a later change in the bucket already covers.
    SUPERSEDED = "superseded"


@dataclass
class ReplayCounts:
    confirmed: int = 0
    conflicts: int = 0
    superseded: int = 0

    def add(self, outcome: str) -> None:
        if outcome == Outcome.CONFLICT:
            self.conflicts += 1
        elif outcome == Outcome.SUPERSEDED:
            self.superseded += 1
        else:
            self.confirmed += 1


class Replayer:
    def __init__(
        self,
        *,
        identity: ClaimIdentity,
        gate_name: str,
        writer: LedgerWriter,
        reader: Callable[[], sqlite3.Connection],
        clock_ms: Callable[[], int],
        on_conflict: Callable[[ConflictRow], None],
    ) -> None:
        self._me = identity
        self._gate = gate_name
        self._writer = writer
        self._reader = reader
        self._clock_ms = clock_ms
        self._on_conflict = on_conflict
        self.totals = ReplayCounts()

    async def replay_unconfirmed(self, nc: NATS) -> ReplayCounts:
        """Settle every unresolved unconfirmed row; stops (ClaimUnknown) without quorum."""
        counts = ReplayCounts()
        while True:
            rows = await self._read(mt.unresolved_unconfirmed)
            if not rows:
                return counts
            for row in rows:
                outcome = await self.settle(nc, row)
                await self._resolve(row, outcome)
                counts.add(outcome)
                self.totals.add(outcome)

    async def seed(self, nc: NATS, incarnation: str, head_seq: Callable[[], int]) -> int:
        """Claim every admission row after this bucket's seeding marker; returns rows."""
        after = await self._read(lambda c: mt.applied_seq(c, mt.SEEDED_STREAM, incarnation))
        done = 0
        while True:
            rows = await self._read(functools.partial(mt.admission_rows, after_seq=after))
            if not rows:
                break
            for row in rows:
                outcome = await self.settle(nc, row)
                done += 1
                if row.unconfirmed:
                    await self._resolve(row, outcome)
            after = rows[-1].seq
            await self._writer.execute(
                functools.partial(mt.set_applied, stream=mt.SEEDED_STREAM,
                                  incarnation=incarnation, seq=after)
            )  # fmt: skip
        # Every later row is claimed as it is made (confirmed) or marked unconfirmed.
        top = max(after, head_seq())
        await self._writer.execute(lambda c: mt.set_applied(c, mt.SEEDED_STREAM, incarnation, top))
        return done

    async def _resolve(self, row: AdmissionRow, outcome: str) -> None:
        at = self._clock_ms()
        await self._writer.execute(lambda c: mt.resolve(c, row.scan_id, row.ticket_id, outcome, at))

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(lambda: fn(self._reader()))

    async def settle(self, nc: NATS, row: AdmissionRow) -> str:
        """Make the bucket know ``row``; returns an ``Outcome``. Raises ``ClaimUnknown``."""
        key = ticket_key(row.ticket_id)
        for _ in range(_ATTEMPTS):
            found = await claim_ops.read(nc, key, wait_s=REPLAY_TIMEOUT_S)
            try:
                outcome = await self._settle(nc, key, row, found)
            except WrongSequence:
                continue
            if outcome is not None:
                return outcome
        raise ClaimUnknown

    async def _settle(
        self, nc: NATS, key: str, row: AdmissionRow, found: tuple[int, ClaimValue] | None
    ) -> str | None:
        entry = row.outcome == "admit"
        if found is None:
            if not entry:
                return Outcome.SUPERSEDED  # an exit of a ticket the bucket never saw
            record = AdmissionRecord.first(row.at_ms, self._gate, zone=row.zone, day=row.day)
            await self._put(nc, key, record, row.scan_id, row.scan_id, expected=0)
            return Outcome.CONFIRMED
        revision, current = found
        if row.scan_id in (current.claim, current.first_claim):
            return Outcome.CONFIRMED
        if entry and row.reason == ReasonCode.ADMITTED:  # a first admission, made twice
            if current.agent_id == self._me.agent_id:
                return Outcome.SUPERSEDED  # this box's own earlier admission is there
            self._conflict(row, current)
            return Outcome.CONFLICT
        if row.at_ms <= current.record.last_ms:
            return Outcome.SUPERSEDED
        record = replayed_record(current.record, row, self._gate)
        await self._put(nc, key, record, row.scan_id, current.first_claim, expected=revision)
        return Outcome.CONFIRMED

    async def _put(
        self, nc: NATS, key: str, record: AdmissionRecord, claim: str, first: str, expected: int
    ) -> None:
        me = self._me
        value = ClaimValue(record, claim, first, me.agent_id, me.member, me.gate_id)
        await claim_ops.put(nc, key, value, expected=expected, wait_s=REPLAY_TIMEOUT_S)

    def _conflict(self, row: AdmissionRow, winner: ClaimValue) -> None:
        me = self._me
        conflict = ConflictRow(
            agent_id=me.agent_id,
            scan_id=row.scan_id,
            ticket_id=row.ticket_id,
            member=me.member,
            gate_id=me.gate_id,
            at_ms=row.at_ms,
            winner_agent_id=winner.agent_id,
            winner_member=winner.member,
            winner_gate=winner.record.first_gate,
            winner_at_ms=winner.record.first_admit_ms,
            winner_claim=winner.first_claim,
            found_at_ms=self._clock_ms(),
        )
        log.warning(
            "mesh: CONFLICT — ticket admitted here and at %s while the cluster was split",
            winner.record.first_gate,
            extra={"ticket_id": row.ticket_id, "scan_id": row.scan_id},
        )
        self._on_conflict(conflict)


def replayed_record(current: AdmissionRecord, row: AdmissionRow, gate: str) -> AdmissionRecord:
    """``current`` after ``row``, by the pipeline's transitions: a zone move (reason
    ``moved``) is no entry, an entry keeps its zone and event day (the row's rule
    facts), an exit leaves the venue."""
    if row.outcome != "admit":
        return current.left(row.at_ms, gate)
    if row.reason == ReasonCode.MOVED:
        return current.moved(row.at_ms, gate, row.zone)
    return current.entered(row.at_ms, gate, zone=row.zone, day=row.day)
