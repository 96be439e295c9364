"""Scanned text in, durable verdict out.

Order of work for one scan (``docs/pipeline.md``):
read (parse + signature, cached per text) → ``decide()`` → claim → update the
admission index at once (so a second scan of the same ticket in the same batch sees it)
→ hand the row to the ledger writer → wait until it is durable → return the verdict.
If the row cannot be made durable, the index change is undone and the verdict is
``not_recorded``: the gate never shows green for something the ledger does not hold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

from edge_agent.domain.credential import Credential
from edge_agent.domain.decide import Decision, already_admitted, decide, next_admission
from edge_agent.domain.gate_policy import GatePolicy
from edge_agent.domain.override import override_decision
from edge_agent.domain.reasons import STAFF_MESSAGES, Direction, Outcome, ReasonCode
from edge_agent.domain.trusted_key import Keyring
from edge_agent.domain.verification import code_sha256, read_credential
from edge_agent.errors import GatehouseError, LedgerError
from edge_agent.gate.claims import AdmissionClaimer
from edge_agent.gate.request_ids import RequestIds, fingerprint
from edge_agent.gate.state import GateState
from edge_agent.gate.stats import GateStats
from edge_agent.ids import uuid7
from edge_agent.ledger.records import ScanRow, StoredScan
from edge_agent.ledger.request_ids import RequestRecord
from edge_agent.ledger.writer import LedgerWriter

log = logging.getLogger(__name__)

#: Texts longer than this are never cached (they are malformed anyway).
_CACHEABLE_LEN = 512


class OverrideRefused(GatehouseError):
    """A manual override that must not be recorded (check-out of a ticket not inside)."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.message)
        self.decision = decision


class ScanResult(NamedTuple):
    """A durable verdict (a NamedTuple: one per scan, cheap to build, immutable)."""

    decision: Decision
    scan_id: str
    at_ms: int
    gate: str
    lane: str
    device_id: str
    #: Ledger sequence number; ``None`` when the row could not be recorded.
    seq: int | None
    #: False when the mesh could not confirm the claim (always True alone).
    confirmed: bool = True
    #: The first answer to a retried ``request_id``: nothing new was judged or recorded.
    replayed: bool = False

    @property
    def recorded(self) -> bool:
        return self.seq is not None


class CredentialCache:
    """Read results per scanned text, so a re-scan skips the Ed25519 check.

    Bounded; evicts the oldest entries first. Bound to the keyring it was built with:
    a new keyring (from the platform) gets a new cache (``ScanPipeline.replace_keyring``).
    """

    def __init__(self, keyring: Keyring, max_entries: int = 200_000) -> None:
        self._keyring = keyring
        self._max = max_entries
        self._entries: dict[str, tuple[Credential, str]] = {}

    def read(self, text: str) -> tuple[Credential, str]:
        hit = self._entries.get(text)
        if hit is not None:
            return hit
        result = (read_credential(text, self._keyring), code_sha256(text))
        if len(text) <= _CACHEABLE_LEN:
            if len(self._entries) >= self._max:
                for old in list(self._entries)[: self._max // 10 or 1]:
                    del self._entries[old]
            self._entries[text] = result
        return result


class ScanPipeline:
    def __init__(
        self,
        *,
        policy: GatePolicy,
        keyring: Keyring,
        state: GateState,
        writer: LedgerWriter,
        claimer: AdmissionClaimer,
        clock_ms: Callable[[], int],
        stats: GateStats | None = None,
        requests: RequestIds | None = None,
    ) -> None:
        self.policy = policy
        self.state = state
        self.stats = stats or GateStats()
        self.keyring = keyring
        self._cache = CredentialCache(keyring)
        self._writer = writer
        self._claimer = claimer
        self._clock_ms = clock_ms
        #: Clients' request ids (``gate/request_ids.py``); None: a request_id is refused.
        self.requests = requests

    def _once(self, request_id: str | None, device_id: str) -> RequestIds | None:
        if request_id is None:
            return None
        if self.requests is None:
            raise ValueError("this pipeline keeps no request ids")
        return self.requests

    def replace_keyring(self, keyring: Keyring) -> None:
        """Judge from now on with ``keyring``; cached reads of the old one are dropped
        (a key that left the keyring must stop verifying at once)."""
        self.keyring = keyring
        self._cache = CredentialCache(keyring)

    async def scan(
        self,
        text: str,
        *,
        lane: str,
        device_id: str,
        device_kind: str,
        direction: Direction = Direction.IN,
        request_id: str | None = None,
    ) -> ScanResult:
        """Judge and record one scanned text. With the device's ``request_id``, a retry
        gets the first verdict back (``gate/request_ids.py``; ``RequestReused`` for the
        same id with another text, lane or direction)."""
        book = self._once(request_id, device_id)
        if book is None or request_id is None:
            return await self._scan(text, lane, device_id, device_kind, direction, None)
        sha = fingerprint("scan", text, lane, direction)
        return await book.once(
            device_id,
            request_id,
            sha,
            lambda req: self._scan(text, lane, device_id, device_kind, direction, req),
        )

    async def _scan(
        self,
        text: str,
        lane: str,
        device_id: str,
        device_kind: str,
        direction: Direction,
        request: RequestRecord | None,
    ) -> ScanResult:
        at_ms = self._clock_ms()
        credential, code_hash = self._cache.read(text)
        decision = decide(credential, direction, self.state, self.policy, at_ms)
        confirmed = True
        ticket_id = decision.ticket_id
        previous = decision.previous
        if decision.lets_through and ticket_id is not None:
            proposed = next_admission(previous, decision, at_ms, self.policy.gate_name)
            assert proposed is not None
            self.state.set_admission(ticket_id, proposed)
            claim = await self._claimer.claim(ticket_id, previous, proposed)
            confirmed = claim.confirmed
            if not claim.won:
                winner = claim.winner or proposed
                self.state.set_admission(ticket_id, winner)
                decision = already_admitted(decision, winner, self.policy)
        # StrEnum members are str already: no .value lookups on the hot path
        row = ScanRow(
            scan_id=uuid7(at_ms),
            at_ms=at_ms,
            gate=self.policy.gate_id,
            lane=lane,
            device_id=device_id,
            device_kind=device_kind,
            direction=direction,
            credential_kind=decision.credential_kind,
            event_id=decision.event_id,
            ticket_id=ticket_id,
            ticket_type=decision.ticket_type,
            key_id=decision.key_id,
            code_sha256=code_hash,
            outcome=decision.outcome,
            reason=decision.reason,
            manifest_at_ms=self.state.manifest_at_ms,
        )
        if request is not None:
            request = self._with_answer(request, decision, row, confirmed)
        try:
            stored: StoredScan = await self._writer.submit_scan(row, request)
        except LedgerError as exc:
            if decision.lets_through and ticket_id is not None:
                self.state.set_admission(ticket_id, previous)
            log.error("scan not recorded: %s", exc)
            failed = decision._replace(
                outcome=Outcome.REFUSE,
                reason=ReasonCode.NOT_RECORDED,
                message=STAFF_MESSAGES[ReasonCode.NOT_RECORDED],
                previous=None,
            )
            result = ScanResult(failed, row.scan_id, at_ms, row.gate, lane, device_id, None)
            self.stats.record(result)
            return result
        result = ScanResult(
            decision, row.scan_id, at_ms, row.gate, lane, device_id, stored.seq, confirmed
        )
        self.stats.record(result)
        if log.isEnabledFor(logging.DEBUG):  # never the code itself: only its hash prefix
            log.debug(
                "scan",
                extra={
                    "seq": stored.seq,
                    "lane": lane,
                    "outcome": row.outcome,
                    "reason": row.reason,
                    "ticket_id": ticket_id,
                    "code_sha256": code_hash[:12],
                },
            )
        return result

    async def record_override(
        self,
        ticket_id: str,
        *,
        event_id: int | None,
        ticket_type: int | None,
        direction: Direction,
        lane: str,
        device_id: str,
        operator: str,
        reason: str,
        request_id: str | None = None,
    ) -> ScanResult:
        """Record a supervisor's manual check-in/out as a ledger row (reason
        ``manual_override``, ``override_operator``/``override_reason`` set) and update the
        admission index, so the next scan of the ticket sees it.

        The claim is still made (the mesh must learn of the admission) but a lost claim
        does not turn the override into a refusal: a person decided. Raises
        ``OverrideRefused`` for a check-out of a ticket that is not inside (nothing is
        recorded). On a ledger failure the index change is undone and the result is
        ``not_recorded`` (``seq`` ``None``), as for a scan. ``request_id``: as for a scan
        (the fingerprint is the ticket, direction and reason).
        """
        book = self._once(request_id, device_id)
        if book is None or request_id is None:
            return await self._override(
                ticket_id, event_id, ticket_type, direction, lane, device_id, operator, reason
            )
        sha = fingerprint("override", ticket_id, direction, reason)
        return await book.once(
            device_id,
            request_id,
            sha,
            lambda req: self._override(
                ticket_id, event_id, ticket_type, direction, lane, device_id, operator, reason, req
            ),
        )

    async def _override(
        self,
        ticket_id: str,
        event_id: int | None,
        ticket_type: int | None,
        direction: Direction,
        lane: str,
        device_id: str,
        operator: str,
        reason: str,
        request: RequestRecord | None = None,
    ) -> ScanResult:
        at_ms = self._clock_ms()
        previous = self.state.admission(ticket_id)
        decision = override_decision(ticket_id, event_id, ticket_type, direction, previous)
        if not decision.lets_through:
            raise OverrideRefused(decision)
        proposed = next_admission(previous, decision, at_ms, self.policy.gate_name)
        assert proposed is not None
        self.state.set_admission(ticket_id, proposed)
        claim = await self._claimer.claim(ticket_id, previous, proposed)
        row = ScanRow(
            scan_id=uuid7(at_ms),
            at_ms=at_ms,
            gate=self.policy.gate_id,
            lane=lane,
            device_id=device_id,
            device_kind="manual",
            direction=direction,
            credential_kind=decision.credential_kind,
            event_id=event_id,
            ticket_id=ticket_id,
            ticket_type=ticket_type,
            key_id=None,
            code_sha256="",  # no code was scanned
            outcome=decision.outcome,
            reason=decision.reason,
            override_operator=operator,
            override_reason=reason,
            manifest_at_ms=self.state.manifest_at_ms,
        )
        if request is not None:
            request = self._with_answer(request, decision, row, claim.confirmed)
        try:
            stored = await self._writer.submit_scan(row, request)
        except LedgerError as exc:
            self.state.set_admission(ticket_id, previous)
            log.error("override not recorded: %s", exc)
            failed = decision._replace(
                outcome=Outcome.REFUSE,
                reason=ReasonCode.NOT_RECORDED,
                message=STAFF_MESSAGES[ReasonCode.NOT_RECORDED],
            )
            result = ScanResult(failed, row.scan_id, at_ms, row.gate, lane, device_id, None)
            self.stats.record(result)
            return result
        result = ScanResult(
            decision, row.scan_id, at_ms, row.gate, lane, device_id, stored.seq, claim.confirmed
        )
        self.stats.record(result)
        log.info(
            "manual override",
            extra={"seq": stored.seq, "ticket_id": ticket_id, "outcome": row.outcome},
        )
        return result

    def _with_answer(
        self, request: RequestRecord, decision: Decision, row: ScanRow, confirmed: bool
    ) -> RequestRecord:
        """The request record with the verdict a retry will be given (seq comes later)."""
        assert self.requests is not None
        first = ScanResult(
            decision, row.scan_id, row.at_ms, row.gate, row.lane, row.device_id, None, confirmed
        )
        return request._replace(answer=self.requests.answer_blob(first))
