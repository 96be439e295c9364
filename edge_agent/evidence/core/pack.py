"""Building an evidence pack from values (``docs/evidence.md``).

The edges read what they hold (the agent its ledger, the platform every agent's
uploaded rows and its order data) into the values of ``pack_input`` and call
``build_pack``; the
result is the pack document, which ``canonical.canonical_json`` turns into
``evidence.json``. Nothing here reads a file, a database or the clock.

A pack proves its scan rows with *segments*: for each group of the order's rows, every
ledger row from the first of them to the agent's next signed checkpoint, plus the chain
value just before. The verifier recomputes the chain through the segment and compares
it with the checkpoint the agent signed. ``plan_segments`` picks the ranges;
intermediate rows are other tickets' scans (ticket ids and code hashes, no names),
which the chain rule of ``ledger-v1`` needs whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from edge_agent.evidence.core.canonical import PACK_FORMAT
from edge_agent.evidence.core.checkpoint import Checkpoint
from edge_agent.evidence.core.conclusion import conclude
from edge_agent.evidence.core.pack_input import PackInput, TicketInfo
from edge_agent.evidence.core.sale_entry import sale_entry
from edge_agent.evidence.core.scan_entry import scan_entry
from edge_agent.evidence.core.timefmt import utc_date, utc_text

#: What no pack ever contains, whoever assembles it.
ALWAYS_OMITTED: tuple[str, ...] = (
    "raw ticket codes: only their SHA-256 is stored and shown",
    "card numbers: the platform never holds a PAN (brand, last 4 and 3-D Secure result only)",
    "device pairing tokens and agent tokens",
    "scans of other tickets beyond what the hash-chain proof needs"
    " (their rows carry ticket ids and code hashes, no names or e-mails)",
)


def plan_segments(
    subject_seqs: Iterable[int], checkpoint_throughs: Iterable[int], head_seq: int
) -> list[tuple[int, int]]:
    """Ranges ``(first, last)`` of rows to put in a pack: each subject row with the rows
    after it up to the nearest checkpoint at or after it (or to ``head_seq`` when none
    is). Rows that share a checkpoint share a range; ranges never overlap."""
    throughs = sorted(set(checkpoint_throughs))
    by_end: dict[int, int] = {}
    for seq in subject_seqs:
        end = next((t for t in throughs if t >= seq), max(head_seq, seq))
        by_end[end] = min(seq, by_end.get(end, seq))
    return sorted((first, end) for end, first in by_end.items())


def build_pack(data: PackInput) -> dict[str, Any]:
    """The pack document (a JSON-ready dict; sign ``canonical_json`` of it)."""
    tickets = {t.ticket_id: t for t in data.tickets}
    scans: list[dict[str, Any]] = []
    ledgers: list[dict[str, Any]] = []
    for agent in sorted(data.agents, key=lambda a: a.agent_id):
        checkpoints: list[dict[str, object]] = []
        segments: list[dict[str, Any]] = []
        for segment in agent.segments:
            if not segment.rows:
                continue
            if segment.checkpoint is not None:
                checkpoints.append(segment.checkpoint.to_json_dict())
            segments.append(
                {
                    "first_seq": segment.rows[0].seq,
                    "prev_chain": segment.prev_chain,
                    "rows": [list(r.values) for r in segment.rows],
                    "chains": [r.chain for r in segment.rows],
                    "checkpoint": None
                    if segment.checkpoint is None
                    else _checkpoint_ref(segment.checkpoint),
                }
            )
            for row in segment.rows:
                ticket = tickets.get(row.get("ticket_id") or "")
                if ticket is not None:
                    scans.append(scan_entry(row, ticket, segment.checkpoint, data))
        ledgers.append(
            {"agent_id": agent.agent_id, "checkpoints": checkpoints, "segments": segments}
        )
    scans.sort(key=lambda s: (s["door_time_ms"], s["agent_id"], s["seq"]))
    event = data.event
    pack: dict[str, Any] = {
        "format": PACK_FORMAT,
        "assembled": {
            "by": data.assembler.by,
            "id": data.assembler.id,
            "at_ms": data.assembler.at_ms,
            "at_utc": utc_text(data.assembler.at_ms),
            "software_version": data.assembler.software_version,
            "scope": _scope(data),
        },
        "subject": {"order_id": data.order_id, "ticket_ids": sorted(tickets)},
        "event": {
            "event_id": event.event_id,
            "name": event.name,
            "venue": event.venue,
            "starts_at_ms": event.starts_at_ms,
            "service_date": None if event.starts_at_ms is None else utc_date(event.starts_at_ms),
        },
        "order": None if data.order is None else dict(data.order),
        "tickets": [_ticket_json(t) for t in sorted(data.tickets, key=lambda t: t.ticket_id)],
        "scans": scans,
        "sales": [
            sale_entry(r)
            for r in sorted(
                data.sales, key=lambda r: (r.get("at_ms"), r.get("agent_id"), r.get("seq"))
            )
        ],
        "ledgers": ledgers,
        "keyring": dict(data.keyring),
        "omitted": [*ALWAYS_OMITTED, *data.omitted],
        "notes": list(data.notes),
    }
    pack["conclusion"] = conclude(pack)
    return pack


def _checkpoint_ref(checkpoint: Checkpoint) -> dict[str, object]:
    return {"number": checkpoint.number, "through_seq": checkpoint.through_seq}


def _ticket_json(ticket: TicketInfo) -> dict[str, Any]:
    return {
        "ticket_id": ticket.ticket_id,
        "order_id": ticket.order_id,
        "ticket_type": ticket.ticket_type,
        "ticket_type_name": ticket.ticket_type_name,
        "holder_name": ticket.holder_name,
        "seat": ticket.seat,
        "revocation": None if ticket.revocation is None else dict(ticket.revocation),
    }


def _scope(data: PackInput) -> str:
    if data.assembler.by == "agent":
        return (
            f"only what agent {data.assembler.id} recorded in its own ledger;"
            " other gates' scans and the order's purchase data are not included"
        )
    agents = ", ".join(sorted(a.agent_id for a in data.agents)) or "none"
    return (
        "every scan of these tickets that the platform holds from every agent"
        f" (agents with rows in this pack: {agents}), with the platform's order data"
    )
