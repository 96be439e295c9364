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
from collections.abc import Awaitable, Callable, Mapping
from time import perf_counter
from typing import NamedTuple

from edge_agent.domain.credential import Credential
from edge_agent.domain.decide import (
    Decision,
    already_admitted,
    decide,
    next_admission,
    unconfirmed_refusal,
)
from edge_agent.domain.gate_policy import AdmissionRecord, GatePolicy
from edge_agent.domain.override import override_decision
from edge_agent.domain.reasons import STAFF_MESSAGES, Direction, Outcome, ReasonCode
from edge_agent.domain.rotating import ROTATING_PREFIX
from edge_agent.domain.ticket_codec import STRIP_CHARS, strip_code
from edge_agent.domain.trusted_key import Keyring
from edge_agent.domain.verification import code_sha256, read_credential, read_rotating
from edge_agent.errors import GatehouseError, LedgerError
from edge_agent.gate.claims import AdmissionClaimer
from edge_agent.gate.request_ids import RequestIds, fingerprint
from edge_agent.gate.rule_facts import rule_facts
from edge_agent.gate.scan_listeners import ScanListener, ScanListeners
from edge_agent.gate.state import GateState
from edge_agent.gate.stats import GateStats
from edge_agent.ids import uuid7
from edge_agent.ledger.records import ScanRow, decode_ext, encode_ext
from edge_agent.ledger.request_ids import RequestRecord
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.timekeeping.trusted_clock import ClockState, Reading

log = logging.getLogger(__name__)

#: Texts longer than this are never cached (they are malformed anyway).
_CACHEABLE_LEN = 512
#: The extension of a row whose claim the venue's other gates could not confirm
#: (docs/ledger.md, "Extensions"; replayed by the mesh when the cluster heals).
UNCONFIRMED_EXT = encode_ext({"claim": "unconfirmed"})


def unconfirmed_ext(ext: str | None) -> str | None:
    """``ext`` (a row's rule facts, canonical, or ``None``) with ``"claim":
    "unconfirmed"`` added beside them: the admission index rebuilds zones and days from
    the rule facts and the mesh's replay finds the row by its claim, so neither may
    replace the other. Off the hot path: only unconfirmed verdicts come here."""
    if ext is None:
        return UNCONFIRMED_EXT
    return encode_ext({**decode_ext(ext), "claim": "unconfirmed"})


def joined_ext(ext: str | None, more: str | None) -> str | None:
    """Two canonical extensions (or ``None``) as one: a row's rule facts and the trusted
    clock's ``clock`` mark side by side. Off the hot path when ``more`` is ``None``
    (the clock is trusted on a usual night)."""
    if more is None:
        return ext
    if ext is None:
        return more
    return encode_ext({**decode_ext(ext), **decode_ext(more)})


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
    #: ``time.perf_counter()`` when the scan arrived: a stats listener measures the
    #: verdict's latency as the time since (``edge_agent/metrics``); 0.0 = unknown.
    started: float = 0.0
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
        if text.lstrip(STRIP_CHARS).startswith(ROTATING_PREFIX):
            # A live code changes every 15 s: cache its static part (the Ed25519 check),
            # not the text; the one-time value is an HMAC, checked on every read.
            live = read_rotating(strip_code(text), self._keyring, lambda s: self.read(s)[0])
            return (live, code_sha256(text))
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
        lane_policies: Mapping[str, GatePolicy] | None = None,
        requests: RequestIds | None = None,
        clock: Callable[[], Reading] | None = None,
    ) -> None:
        self.policy = policy
        #: Lanes with their own lists or zone (``[[lanes]] lists``/``zone``); any other
        #: lane judges with ``policy``.
        self.lane_policies: dict[str, GatePolicy] = dict(lane_policies or {})
        self.state = state
        self.stats = stats or GateStats()
        self.keyring = keyring
        self._cache = CredentialCache(keyring)
        self._writer = writer
        self._claimer = claimer
        self._clock_ms = clock_ms
        #: The agent's trusted clock (``timekeeping``): when set, the time of every
        #: decision, and rows judged with a clock known to be wrong say so.
        self._clock = clock
        self._listeners = ScanListeners()
        #: Clients' request ids (``gate/request_ids.py``); None: a request_id is refused.
        self.requests = requests

    def subscribe(self, listener: ScanListener) -> Callable[[], None]:
        """Call ``listener`` with every judged scan and override (recorded or
        ``not_recorded``), after it is counted; returns the function that unsubscribes."""
        return self._listeners.add(listener)

    @property
    def claimer(self) -> AdmissionClaimer:
        """The claim seam in use (the metrics and doctor read the mesh's figures off it)."""
        return self._claimer

    async def _once(
        self,
        device_id: str,
        request_id: str | None,
        body: tuple[object, ...],
        judge: Callable[[RequestRecord | None], Awaitable[ScanResult]],
    ) -> ScanResult:
        """``judge`` once per ``(device_id, request_id)``: a retry whose ``body`` (what
        decides the verdict) matches gets the first answer back; without an id, judged."""
        if request_id is None:
            return await judge(None)
        if self.requests is None:
            raise ValueError("this pipeline keeps no request ids")
        return await self.requests.once(device_id, request_id, fingerprint(*body), judge)

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
        return await self._once(
            device_id,
            request_id,
            ("scan", text, lane, direction),
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
        started = perf_counter()
        at_ms, clock_ext = self._now()
        credential, code_hash = self._cache.read(text)
        policy = self.lane_policies.get(lane, self.policy)
        decision = decide(credential, direction, self.state, policy, at_ms)
        confirmed = True
        ticket_id = decision.ticket_id
        previous = decision.previous
        scan_id = uuid7(at_ms)
        if decision.lets_through and ticket_id is not None:
            proposed = next_admission(previous, decision, at_ms, policy.gate_name)
            assert proposed is not None
            self.state.set_admission(ticket_id, proposed)
            claim = await self._claimer.claim(ticket_id, previous, proposed, claim_id=scan_id)
            confirmed = claim.confirmed
            if not claim.won and claim.winner is None and not confirmed:
                self.state.set_admission(ticket_id, previous)  # policy: refuse unconfirmed
                decision = unconfirmed_refusal(decision)
            elif not claim.won:
                winner = claim.winner or proposed
                self.state.set_admission(ticket_id, winner)
                decision = already_admitted(decision, winner, policy)
        ext = joined_ext(rule_facts(decision) if policy.records_rules else None, clock_ext)
        result = await self._record(
            decision, previous, at_ms, lane, device_id, device_kind, code_hash, confirmed,
            started, ext=ext, scan_id=scan_id, request=request,
        )  # fmt: skip
        if result.seq is not None and log.isEnabledFor(logging.DEBUG):
            # never the code itself: only its hash prefix
            log.debug(
                "scan",
                extra={
                    "seq": result.seq,
                    "lane": lane,
                    "outcome": decision.outcome,
                    "reason": decision.reason,
                    "ticket_id": ticket_id,
                    "code_sha256": code_hash[:12],
                },
            )
        return result

    def _now(self) -> tuple[int, str | None]:
        """The decision's time and, when the clock is known to be wrong, the row's
        ``clock`` extension: how the time was found and what the wall clock read."""
        if self._clock is None:
            return self._clock_ms(), None
        reading = self._clock()
        if reading.state is ClockState.OK:
            return reading.ms, None
        return reading.ms, encode_ext({"clock": reading.state, "clock_wall_ms": reading.wall_ms})

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
        return await self._once(
            device_id,
            request_id,
            ("override", ticket_id, direction, reason),
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
        started = perf_counter()
        at_ms, ext = self._now()
        previous = self.state.admission(ticket_id)
        decision = override_decision(ticket_id, event_id, ticket_type, direction, previous)
        if not decision.lets_through:
            raise OverrideRefused(decision)
        proposed = next_admission(previous, decision, at_ms, self.policy.gate_name)
        assert proposed is not None
        self.state.set_admission(ticket_id, proposed)
        scan_id = uuid7(at_ms)
        claim = await self._claimer.claim(ticket_id, previous, proposed, claim_id=scan_id)
        # no code was scanned: no key id, an empty code hash
        result = await self._record(
            decision, previous, at_ms, lane, device_id, "manual", "", claim.confirmed, started,
            override=(operator, reason), ext=ext, scan_id=scan_id, request=request,
        )  # fmt: skip
        if result.seq is not None:
            log.info(
                "manual override",
                extra={"seq": result.seq, "ticket_id": ticket_id, "outcome": decision.outcome},
            )
        return result

    async def _record(
        self,
        decision: Decision,
        previous: AdmissionRecord | None,
        at_ms: int,
        lane: str,
        device_id: str,
        device_kind: str,
        code_sha256: str,
        confirmed: bool,
        started: float,
        override: tuple[str, str] | None = None,
        ext: str | None = None,
        scan_id: str = "",
        request: RequestRecord | None = None,
    ) -> ScanResult:
        """Build the ledger row of ``decision``, hand it to the writer and wait until it
        is durable: the one path from a verdict to a result, so a scan and a manual
        override (``override`` = operator, reason) are recorded and fail alike.

        On a ledger failure the admission index gets ``previous`` back (the verdict
        changed it before the row was written) and the verdict becomes ``not_recorded``
        with ``seq`` ``None``: never green for a row the ledger does not hold. ``request``
        (a client's request id) is stored with the row, in the same transaction.
        """
        operator, why = override if override is not None else (None, None)
        ticket_id = decision.ticket_id
        # StrEnum members are str already: no .value lookups on the hot path
        row = ScanRow(
            scan_id=scan_id or uuid7(at_ms),
            at_ms=at_ms,
            gate=self.policy.gate_id,
            lane=lane,
            device_id=device_id,
            device_kind=device_kind,
            direction=decision.direction,
            credential_kind=decision.credential_kind,
            event_id=decision.event_id,
            ticket_id=ticket_id,
            ticket_type=decision.ticket_type,
            key_id=decision.key_id,
            code_sha256=code_sha256,
            outcome=decision.outcome,
            reason=decision.reason,
            override_operator=operator,
            override_reason=why,
            manifest_at_ms=self.state.manifest_at_ms,
            ext=ext if confirmed else unconfirmed_ext(ext),
        )
        if request is not None:
            request = self._with_answer(request, decision, row, confirmed, started)
        try:
            stored = await self._writer.submit_scan(row, request)
        except LedgerError as exc:
            if decision.lets_through and ticket_id is not None:
                self.state.set_admission(ticket_id, previous)
            log.error("%s not recorded: %s", "override" if override else "scan", exc)
            failed = decision._replace(
                outcome=Outcome.REFUSE,
                reason=ReasonCode.NOT_RECORDED,
                message=STAFF_MESSAGES[ReasonCode.NOT_RECORDED],
                previous=None,
            )
            result = ScanResult(
                failed, row.scan_id, at_ms, row.gate, lane, device_id, None, confirmed, started
            )
        else:
            result = ScanResult(
                decision,
                row.scan_id,
                at_ms,
                row.gate,
                lane,
                device_id,
                stored.seq,
                confirmed,
                started,
            )
        self.stats.record(result)
        self._listeners.notify(result)
        return result

    def _with_answer(
        self,
        request: RequestRecord,
        decision: Decision,
        row: ScanRow,
        confirmed: bool,
        started: float,
    ) -> RequestRecord:
        """The request record with the verdict a retry will be given (seq comes later)."""
        assert self.requests is not None
        first = ScanResult(
            decision, row.scan_id, row.at_ms, row.gate, row.lane, row.device_id, None, confirmed,
            started,
        )  # fmt: skip
        return request._replace(answer=self.requests.answer_blob(first))
