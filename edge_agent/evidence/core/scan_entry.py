"""One scan as a pack shows it: the ledger row's fields plus what they mean for a
reviewer (door time in UTC, clock trust, how late the platform got it, how old the
gate's manifest was, whether the ticket's signature was checked)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edge_agent.evidence.core.checkpoint import Checkpoint
from edge_agent.evidence.core.pack_input import LedgerRow, PackInput, TicketInfo
from edge_agent.evidence.core.timefmt import duration_text, utc_text
from edge_agent.ledger.records import SCAN_FIELDS

FIELD_INDEX: dict[str, int] = {name: i for i, name in enumerate(SCAN_FIELDS)}
#: Where a row's extension object sits in its values, when it has one.
_EXT = len(SCAN_FIELDS)

#: Uploaded within this long of the door time: the gate was online.
ONLINE_WITHIN_MS = 120_000

#: Reasons that mean the code's signature was not (or could not be) accepted.
_SIGNATURE_FAILED = {"bad_signature": "failed", "unknown_key": "unknown key"}
_NO_SIGNATURE_CHECK = {"malformed", "unknown_code"}


def scan_entry(
    row: LedgerRow, ticket: TicketInfo, checkpoint: Checkpoint | None, data: PackInput
) -> dict[str, Any]:
    """The pack's ``scans[]`` entry for ``row`` (every ledger field is copied as is;
    the verifier checks they equal the proven row)."""
    fields = {name: row.values[i] for i, name in enumerate(SCAN_FIELDS)}
    at_ms = fields["at_ms"]
    manifest_at_ms = fields["manifest_at_ms"]
    gate = fields["gate"]
    received = row.received_at_ms
    return {
        "scan_id": fields["scan_id"],
        "agent_id": fields["agent_id"],
        "seq": fields["seq"],
        "ticket_id": fields["ticket_id"],
        "order_id": ticket.order_id,
        "ticket_type": fields["ticket_type"],
        "ticket_type_name": ticket.ticket_type_name,
        "seat": ticket.seat,
        "event_id": fields["event_id"],
        "door_time_ms": at_ms,
        "door_time_utc": utc_text(at_ms),
        "clock": clock_at(row, checkpoint),
        "received_at_ms": received,
        "received_utc": None if received is None else utc_text(received),
        "connectivity": connectivity(at_ms, received, data.assembler.by),
        "outcome": fields["outcome"],
        "reason": fields["reason"],
        "direction": fields["direction"],
        "manual_override": fields["override_operator"] is not None,
        "override_operator": fields["override_operator"],
        "override_reason": fields["override_reason"],
        "gate": gate,
        "gate_name": data.assembler.gate_names.get(gate),
        "lane": fields["lane"],
        "device_id": fields["device_id"],
        "device_kind": fields["device_kind"],
        "software_version": row.software_version
        if row.software_version is not None
        else (data.assembler.software_version if data.assembler.by == "agent" else None),
        "manifest_at_ms": manifest_at_ms,
        "manifest_age": None if manifest_at_ms is None else duration_text(at_ms - manifest_at_ms),
        "credential_kind": fields["credential_kind"],
        "code_sha256": fields["code_sha256"],
        "key_id": fields["key_id"],
        "signature_check": signature_check(fields),
        # what a later feature recorded beside the ledger-v1 fields (docs/ledger.md,
        # "Extensions"): e.g. {"claim": "unconfirmed"} for a mesh claim made alone
        "extension": row.values[_EXT] if len(row.values) > _EXT else None,
        "chain": row.chain,
        "proof": None
        if checkpoint is None
        else {"checkpoint": checkpoint.number, "through_seq": checkpoint.through_seq},
    }


def clock_at(row: LedgerRow, checkpoint: Checkpoint | None) -> dict[str, Any]:
    """The agent's clock offset to platform time nearest to the row: from the signed
    checkpoint covering it (the agent's own statement), else from the upload batch
    that carried it (the platform's record), else unknown."""
    offset: Any
    rtt: Any
    if checkpoint is not None and checkpoint.clock_offset_ms is not None:
        offset, rtt = checkpoint.clock_offset_ms, checkpoint.clock_rtt_ms
        source = f"signed checkpoint {checkpoint.number} of {checkpoint.agent_id}"
    elif row.upload_clock is not None and row.upload_clock.get("offset_ms") is not None:
        offset, rtt = row.upload_clock.get("offset_ms"), row.upload_clock.get("rtt_ms")
        source = "the upload batch that carried the row (platform record)"
    else:
        return {
            "offset_ms": None,
            "rtt_ms": None,
            "source": None,
            "status": "not measured: the door time is the gate's own clock, never compared"
            " with platform time",
        }
    bound = "" if rtt is None else f" (± {duration_text(int(rtt) // 2 + 1)})"
    return {
        "offset_ms": offset,
        "rtt_ms": rtt,
        "source": source,
        "status": f"synchronised: {_signed(int(offset))}{bound}",
    }


def _signed(offset_ms: int) -> str:
    """``offset_ms`` is platform − agent: positive means the gate's clock is behind."""
    if offset_ms == 0:
        return "gate clock equal to platform time"
    side = "behind" if offset_ms > 0 else "ahead of"
    return f"gate clock {duration_text(offset_ms)} {side} platform time"


def connectivity(at_ms: int, received_at_ms: int | None, assembled_by: str) -> str:
    if received_at_ms is None:
        if assembled_by == "agent":
            return "not known to the agent (upload times are the platform's record)"
        return "not received by the platform"
    late = received_at_ms - at_ms
    if late <= ONLINE_WITHIN_MS:
        return "online: the platform had it within 2 minutes"
    return f"offline or LAN-only: the platform received it {duration_text(late)} after the scan"


def signature_check(fields: Mapping[str, Any]) -> dict[str, Any]:
    kind = fields["credential_kind"]
    reason = fields["reason"]
    key_id = fields["key_id"]
    if kind not in ("gh1", "pretix_sig1"):  # pretix_sig1: pretix's signed codes (docs/pretix.md)
        result = "not applicable (code looked up in the platform's manifest by its hash)"
    elif reason in _SIGNATURE_FAILED:
        result = _SIGNATURE_FAILED[reason]
    elif reason in _NO_SIGNATURE_CHECK:
        result = "not checked (code unreadable)"
    else:
        result = "verified"
    return {"result": result, "key_id": key_id}
