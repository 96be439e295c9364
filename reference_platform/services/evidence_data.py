"""The platform's evidence pack for an order: every agent's uploaded rows of its
tickets, their chain proofs and checkpoints, and the order's purchase data, signed
with the event's platform key (``docs/evidence.md``).

Reads happen here (one read transaction); what a pack *is* comes from the pure
``edge_agent.evidence`` package, shared with the agent's exporter and the verifier.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from edge_agent.evidence.core.canonical import PackSignature, canonical_json, sign_pack
from edge_agent.evidence.core.checkpoint import Checkpoint
from edge_agent.evidence.core.pack import build_pack, plan_segments
from edge_agent.evidence.core.pack_input import (
    AgentEvidence,
    Assembler,
    EventFacts,
    LedgerRow,
    PackInput,
    Segment,
    TicketInfo,
)
from edge_agent.evidence.core.sale_entry import ORDER_KINDS, SaleRow
from edge_agent.evidence.core.timefmt import utc_text
from edge_agent.ledger.records import SCAN_FIELDS, genesis_chain
from edge_agent.ledger.sale_records import SALE_FIELDS
from reference_platform.errors import NotFound
from reference_platform.services import catalog
from reference_platform.services.checkpoints import agent_checkpoints
from reference_platform.services.enrolment import event_keyring
from reference_platform.services.ingest import named_row
from reference_platform.services.orders import get_order

PLATFORM_OMITTED = (
    "the purchase IP's geolocation, delivery events (e-mail sent/opened, wallet pass),"
    " terms acceptance and correspondence: the reference platform does not record them",
    "holder e-mail addresses of the tickets (the customer's e-mail is in the order)",
)


def platform_pack(
    conn: sqlite3.Connection,
    *,
    order_id: str,
    ticket_id: str | None,
    now_ms: int,
    software_version: str,
) -> tuple[bytes, PackSignature]:
    """``(evidence.json bytes, signature)`` for an order (or one ticket of it)."""
    order = get_order(conn, order_id)
    event_id = int(order["event_id"])  # type: ignore[call-overload]
    event = catalog.get_event(conn, event_id)
    type_names = dict(
        conn.execute(
            "SELECT ticket_type, name FROM ticket_types WHERE event_id = ?", (event_id,)
        ).fetchall()
    )
    tickets = [
        TicketInfo(
            ticket_id=t["ticket_id"],
            order_id=order_id,
            ticket_type=t["ticket_type"],
            ticket_type_name=type_names.get(t["ticket_type"]),
            holder_name=t["holder_name"],
            revocation=t["revocation"],
        )
        for t in order["tickets"]  # type: ignore[attr-defined]
        if ticket_id is None or t["ticket_id"] == ticket_id
    ]
    if ticket_id is not None and not tickets:
        raise NotFound(f"no ticket {ticket_id} in order {order_id}", code="unknown_ticket")
    data = PackInput(
        assembler=Assembler("platform", "reference-platform", now_ms, software_version),
        order_id=order_id,
        tickets=tuple(tickets),
        event=EventFacts(event_id, event.name, event.venue, event.starts_at_ms),
        agents=tuple(_agents(conn, [t.ticket_id for t in tickets])),
        keyring=event_keyring(conn, event_id),
        order=_order_section(conn, order, tickets, type_names, event),
        sales=tuple(_sales(conn, order_id)),
        omitted=PLATFORM_OMITTED,
    )
    pack_bytes = canonical_json(build_pack(data))
    return pack_bytes, sign_pack(catalog.platform_key(conn, event_id), pack_bytes)


def _agents(conn: sqlite3.Connection, ticket_ids: list[str]) -> list[AgentEvidence]:
    seqs: dict[str, list[int]] = {}
    for ticket_id in ticket_ids:
        for agent_id, seq in conn.execute(
            "SELECT agent_id, seq FROM scans WHERE ticket_id = ?", (ticket_id,)
        ):
            seqs.setdefault(agent_id, []).append(seq)
    out = []
    for agent_id, agent_seqs in sorted(seqs.items()):
        checkpoints = {cp.through_seq: cp for cp in agent_checkpoints(conn, agent_id)}
        head = conn.execute(
            "SELECT max(seq) FROM scans WHERE agent_id = ?", (agent_id,)
        ).fetchone()[0]
        segments = [
            _segment(conn, agent_id, first, last, checkpoints.get(last))
            for first, last in plan_segments(agent_seqs, checkpoints, int(head))
        ]
        out.append(AgentEvidence(agent_id, tuple(segments)))
    return out


def _sales(conn: sqlite3.Connection, order_id: str) -> list[SaleRow]:
    """The uploaded door ``sale``/``void`` rows of the order, from every agent."""
    out = []
    for row_json, chain, received_at_ms, fields in conn.execute(
        "SELECT s.row_json, s.chain, s.received_at_ms, b.fields"
        " FROM sales s JOIN upload_batches b USING (batch_id)"
        " WHERE instr(s.row_json, ?) > 0 ORDER BY s.agent_id, s.seq",
        (json.dumps(order_id),),
    ):
        by_name = named_row(fields, json.loads(row_json))
        if by_name.get("order_id") == order_id and by_name.get("kind") in ORDER_KINDS:
            values = tuple(by_name.get(name) for name in SALE_FIELDS)
            out.append(SaleRow(values, chain, received_at_ms))
    return out


def _segment(
    conn: sqlite3.Connection, agent_id: str, first: int, last: int, cp: Checkpoint | None
) -> Segment:
    rows = []
    for row_json, chain, received_at_ms, fields, clock, version in conn.execute(
        "SELECT s.row_json, s.chain, s.received_at_ms, b.fields, b.clock, b.software_version"
        " FROM scans s JOIN upload_batches b USING (batch_id)"
        " WHERE s.agent_id = ? AND s.seq BETWEEN ? AND ? ORDER BY s.seq",
        (agent_id, first, last),
    ):
        by_name = named_row(fields, json.loads(row_json))
        ext = by_name.get("ext")
        rows.append(
            LedgerRow(
                values=tuple(by_name[name] for name in SCAN_FIELDS)
                + (() if ext is None else (ext,)),
                chain=chain,
                received_at_ms=received_at_ms,
                upload_clock=json.loads(clock),
                software_version=version,
            )
        )
    if first == 1:
        prev = genesis_chain(agent_id).hex()
    else:
        prev = conn.execute(
            "SELECT chain FROM scans WHERE agent_id = ? AND seq = ?", (agent_id, first - 1)
        ).fetchone()[0]
    return Segment(prev_chain=prev, rows=tuple(rows), checkpoint=cp)


def _order_section(
    conn: sqlite3.Connection,
    order: Mapping[str, Any],
    tickets: list[TicketInfo],
    type_names: Mapping[int, str],
    event: catalog.EventRow,
) -> dict[str, Any]:
    purchase = order["purchase"]
    counts: dict[str, int] = {}
    for t in tickets:
        name = type_names.get(t.ticket_type or 0, str(t.ticket_type))
        counts[name] = counts.get(name, 0) + 1
    product = ", ".join(f"{n} × {name}" for name, n in sorted(counts.items()))
    email = order["customer"]["email"]
    prior = [
        {"order_id": oid, "purchased_utc": utc_text(at_ms)}
        for oid, at_ms in conn.execute(
            "SELECT o.order_id, o.purchased_at_ms FROM orders o"
            " WHERE o.customer_email = ? COLLATE NOCASE AND o.order_id <> ?"
            " AND o.purchased_at_ms < ? AND NOT EXISTS (SELECT 1 FROM tickets t"
            "  JOIN revocations r USING (ticket_id)"
            "  WHERE t.order_id = o.order_id AND r.kind = 'charged_back')"
            " ORDER BY o.purchased_at_ms",
            (email, order["order_id"], purchase["at_ms"]),
        )
    ]
    return {
        "order_id": order["order_id"],
        "customer": dict(order["customer"]),
        "purchase": {
            "at_ms": purchase["at_ms"],
            "at_utc": utc_text(purchase["at_ms"]),
            "ip": purchase["ip"],
            "ip_geolocation": None,
            "user_agent": purchase["user_agent"],
        },
        "payment": dict(order["payment"]),
        "product": f"{product} for {event.name}, {event.venue}, {utc_text(event.starts_at_ms)}",
        "transfers": [
            {"ticket_id": t["ticket_id"], "replaces": t["replaces"]}
            for t in order["tickets"]
            if t["replaces"]
        ],
        "prior_undisputed_orders": prior,
    }
