"""The JSON shape of one verdict: what a handheld, phone or iPad is answered with.

One function for every channel (POST /api/v1/scans, the scan WebSocket, the TCP line
protocol), so a device shows the same fields whichever way it sent the code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict

from edge_agent.gate.pipeline import ScanResult
from edge_agent.i18n.languages import DEFAULT_LANGUAGE
from edge_agent.i18n.render import message_in


def iso_ms(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


class FirstAdmitted(TypedDict):
    at: str
    gate: str


class Flags(TypedDict):
    """What staff must check before letting an admit through (a distinct verdict)."""

    flags: list[str]
    note: str
    holder_name: str


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
    #: The language ``message`` is in (the device's Accept-Language, else the gate's).
    language: str
    #: An admit staff must look at first: flags (ID check, 18+, …) or a zone over
    #: capacity. Lights and screens show it in its own colour (``check``).
    check: bool
    flags: Flags | None
    #: The check-in list that decided ("" = the gate's implicit list; null: none did).
    list: str | None
    #: The zone entered (or left), "" or null when the venue has none.
    zone: str | None
    #: Only on the first answer to a retried request_id, given again (always true).
    replayed: NotRequired[bool]


def verdict_json(result: ScanResult, language: str = DEFAULT_LANGUAGE) -> Verdict:
    d = result.decision
    prev = d.previous
    flags = d.flags
    verdict: Verdict = {
        "scan_id": result.scan_id,
        "seq": result.seq,
        "recorded": result.recorded,
        "at": iso_ms(result.at_ms),
        "outcome": d.outcome.value,
        "reason": d.reason.value,
        "message": message_in(d, language),
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
        "language": language,
        "check": d.needs_check,
        "flags": (
            None
            if not flags
            else {
                "flags": sorted(flags.flags),
                "note": flags.note,
                "holder_name": flags.holder_name if flags.flags else "",
            }
        ),
        "list": d.list_id,
        "zone": d.zone,
    }
    if result.replayed:
        verdict["replayed"] = True
    return verdict


def answer_json(result: ScanResult | None, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """What a streaming client (WebSocket, TCP) gets for one code: the verdict, or — when
    the ledger could not record it — the same error body POST answers with its 503."""
    if result is None:
        return {"error": {"code": "internal_error", "message": "internal error; scan again"}}
    verdict = verdict_json(result, language)
    if not result.recorded:
        return {
            "error": {
                "code": "not_recorded",
                "message": "the ledger could not store this scan; scan again",
            },
            "verdict": verdict,
        }
    return dict(verdict)
