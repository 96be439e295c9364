"""The JSON shape of one verdict: what a handheld, phone or iPad is answered with.

One function for every channel (POST /api/v1/scans, the scan WebSocket, the TCP line
protocol), so a device shows the same fields whichever way it sent the code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict

from edge_agent.gate.pipeline import ScanResult


def iso_ms(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


class FirstAdmitted(TypedDict):
    at: str
    gate: str


class Verdict(TypedDict):
    """One verdict (the LAN API's OpenAPI document is generated from this type)."""

    scan_id: str
    seq: int | None
    recorded: bool
    at: str
    outcome: str
    reason: str
    message: str
    direction: str
    credential_kind: str
    ticket_id: str | None
    event_id: int | None
    ticket_type: int | None
    gate: str
    lane: str
    confirmed: bool
    first_admitted: FirstAdmitted | None
    #: Only on the first answer to a retried request_id, given again (always true).
    replayed: NotRequired[bool]


def verdict_json(result: ScanResult) -> Verdict:
    d = result.decision
    prev = d.previous
    verdict: Verdict = {
        "scan_id": result.scan_id,
        "seq": result.seq,
        "recorded": result.recorded,
        "at": iso_ms(result.at_ms),
        "outcome": d.outcome.value,
        "reason": d.reason.value,
        "message": d.message,
        "direction": d.direction.value,
        "credential_kind": d.credential_kind.value,
        "ticket_id": d.ticket_id,
        "event_id": d.event_id,
        "ticket_type": d.ticket_type,
        "gate": result.gate,
        "lane": result.lane,
        "confirmed": result.confirmed,
        "first_admitted": (
            {"at": iso_ms(prev.first_admit_ms), "gate": prev.first_gate} if prev else None
        ),
    }
    if result.replayed:
        verdict["replayed"] = True
    return verdict


def answer_json(result: ScanResult | None) -> dict[str, Any]:
    """What a streaming client (WebSocket, TCP) gets for one code: the verdict, or — when
    the ledger could not record it — the same error body POST answers with its 503."""
    if result is None:
        return {"error": {"code": "internal_error", "message": "internal error; scan again"}}
    verdict = verdict_json(result)
    if not result.recorded:
        return {
            "error": {
                "code": "not_recorded",
                "message": "the ledger could not store this scan; scan again",
            },
            "verdict": verdict,
        }
    return dict(verdict)
