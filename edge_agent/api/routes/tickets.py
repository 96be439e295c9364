"""Box-office lookups and supervisors' manual overrides (``/api/v1/tickets``).

Lookups read the manifest tickets table and the scans through the runtime's reader
connection (WAL: never blocking the writer); an override goes through the pipeline
like a scan, so it is chained in the ledger, uploaded, and seen by the next scan of
the ticket through the admission index.
"""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from edge_agent.api.auth import requires
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import device_of, runtime_of
from edge_agent.api.language import language_of
from edge_agent.api.routes.scans import request_reused
from edge_agent.api.schema.decoding import read_body, read_query
from edge_agent.api.schema.requests import OverrideRequest, TicketQuery
from edge_agent.api.schema.responses import (
    AdmissionView,
    OverrideVerdict,
    ScanHistoryEntry,
    TicketDetail,
    TicketEvidence,
    TicketSearch,
    TicketView,
)
from edge_agent.api.schema.route_spec import spec
from edge_agent.api.views import iso_ms, verdict_json
from edge_agent.devices.roles import Role
from edge_agent.domain.gate_policy import AdmissionRecord
from edge_agent.domain.text_rules import has_non_text
from edge_agent.evidence.core.render_html import conclusion_lines, render_html
from edge_agent.evidence.export import export_pack
from edge_agent.gate.pipeline import OverrideRefused
from edge_agent.gate.request_ids import RequestReused
from edge_agent.ledger.queries import scans_for_ticket
from edge_agent.ledger.records import StoredScan
from edge_agent.ledger.rows import ManifestTicketRow
from edge_agent.ledger.sync_tables import find_manifest_tickets, manifest_ticket
from edge_agent.runtime import AgentRuntime, wall_clock_ms

routes = web.RouteTableDef()

_TICKET_ID = re.compile(r"[0-9a-fA-F]{32}")
#: Most tickets a search answers with (the TUI shows one screen of them).
SEARCH_LIMIT = 50


def find_tickets(rt: AgentRuntime, q: str) -> list[ManifestTicketRow]:
    """A ticket id (32 hex) → that ticket; text with ``@`` → holder e-mail; otherwise
    an order id, and when no order has that id, the start of the holder's name."""
    reader = rt.reader
    if _TICKET_ID.fullmatch(q):
        row = manifest_ticket(reader, q.lower())
        return [] if row is None else [row]
    if "@" in q:
        return find_manifest_tickets(reader, email=q, limit=SEARCH_LIMIT)
    by_order = find_manifest_tickets(reader, order_id=q, limit=SEARCH_LIMIT)
    return by_order or find_manifest_tickets(reader, name_prefix=q, limit=SEARCH_LIMIT)


def admission_json(record: AdmissionRecord | None) -> AdmissionView | None:
    if record is None:
        return None
    return {
        "inside": record.inside,
        "entries": record.entries,
        "first_admitted_at": iso_ms(record.first_admit_ms),
        "first_gate": record.first_gate,
        "last_at": iso_ms(record.last_ms),
        "last_gate": record.last_gate,
    }


def ticket_json(rt: AgentRuntime, row: ManifestTicketRow) -> TicketView:
    state = rt.state
    revoked = state.revocation(row.ticket_id)
    return {
        "ticket_id": row.ticket_id,
        "event_id": row.event_id,
        "ticket_type": row.ticket_type,
        "ticket_type_name": state.ticket_type_name(row.ticket_type),
        "order_id": row.order_id,
        "holder_name": row.holder_name,
        "holder_email": row.holder_email,
        "valid_from": row.valid_from,
        "valid_until": row.valid_until,
        "revoked": revoked.value if revoked is not None else None,
        "admission": admission_json(state.admission(row.ticket_id)),
    }


def scan_history_json(rt: AgentRuntime, stored: StoredScan) -> ScanHistoryEntry:
    r = stored.row
    device = rt.devices.get(r.device_id)
    return {
        "seq": stored.seq,
        "scan_id": r.scan_id,
        "at": iso_ms(r.at_ms),
        "gate": r.gate,
        "lane": r.lane,
        "device_id": r.device_id,
        "device_name": device.name if device is not None else None,
        "direction": r.direction,
        "credential_kind": r.credential_kind,
        "outcome": r.outcome,
        "reason": r.reason,
        "override_operator": r.override_operator,
        "override_reason": r.override_reason,
    }


def _ticket_id(request: web.Request) -> str:
    ticket_id = request.match_info["ticket_id"]
    if len(ticket_id) > 64 or has_non_text(ticket_id):
        raise ApiError(422, "invalid_request", "a ticket id is at most 64 printable characters")
    return ticket_id.lower() if _TICKET_ID.fullmatch(ticket_id) else ticket_id


def _unknown(ticket_id: str) -> ApiError:
    return ApiError(
        404,
        "unknown_ticket",
        f"no ticket {ticket_id!r} in this event's manifest or ledger",
    )


@routes.get("/api/v1/tickets")
@requires(Role.BOX_OFFICE, Role.SUPERVISOR)
@spec(query=TicketQuery, response=TicketSearch)
async def get_tickets(request: web.Request) -> web.Response:
    """Search the manifest: by ticket id, e-mail, order id or the start of a name."""
    rt = runtime_of(request)
    q = read_query(request, TicketQuery).q
    rows = find_tickets(rt, q)
    answer: TicketSearch = {
        "query": q,
        "tickets": [ticket_json(rt, row) for row in rows],
        "limit": SEARCH_LIMIT,
    }
    return web.json_response(answer)


@routes.get("/api/v1/tickets/{ticket_id}")
@requires(Role.BOX_OFFICE, Role.SUPERVISOR)
@spec(response=TicketDetail, errors=[(404, "unknown_ticket"), (422, "invalid_request")])
async def get_ticket(request: web.Request) -> web.Response:
    """One ticket: what the manifest says, its revocation and admission state, and every
    scan of it in the ledger (oldest first)."""
    rt = runtime_of(request)
    ticket_id = _ticket_id(request)
    row = manifest_ticket(rt.reader, ticket_id)
    scans = scans_for_ticket(rt.reader, ticket_id)
    if row is None and not scans:
        raise _unknown(ticket_id)
    revoked = rt.state.revocation(ticket_id)
    answer: TicketDetail = {
        "ticket_id": ticket_id,
        "ticket": ticket_json(rt, row) if row is not None else None,
        "revoked": revoked.value if revoked is not None else None,
        "admission": admission_json(rt.state.admission(ticket_id)),
        "scans": [scan_history_json(rt, s) for s in scans],
    }
    return web.json_response(answer)


@routes.post("/api/v1/tickets/{ticket_id}/override")
@requires(Role.SUPERVISOR)
@spec(
    body=OverrideRequest,
    response=OverrideVerdict,
    status=201,
    errors=[
        (404, "unknown_ticket"),
        (409, "not_inside"),
        (409, "wrong_event"),
        (409, "request_reused"),
        (503, "not_recorded"),
    ],
    also=[200],
)
async def post_override(request: web.Request) -> web.Response:
    """Check a ticket in or out by hand; recorded as a ``manual_override`` ledger row
    naming the operator (the paired device's name) and the reason.

    With a request_id, a retry gets the first answer back (200, "replayed": true)."""
    rt = runtime_of(request)
    device = device_of(request)
    ticket_id = _ticket_id(request)
    body = await read_body(request, OverrideRequest)
    row = manifest_ticket(rt.reader, ticket_id)
    event_id: int | None
    ticket_type: int | None
    if row is not None:
        event_id, ticket_type = row.event_id, row.ticket_type
    else:
        scans = scans_for_ticket(rt.reader, ticket_id)
        if not scans:
            raise _unknown(ticket_id)
        event_id, ticket_type = scans[-1].row.event_id, scans[-1].row.ticket_type
    if event_id is not None and not rt.pipeline.policy.admits_event(event_id):
        raise ApiError(409, "wrong_event", f"ticket {ticket_id!r} is for event {event_id}")
    try:
        result = await rt.pipeline.record_override(
            ticket_id,
            event_id=event_id,
            ticket_type=ticket_type,
            direction=body.direction,
            lane=rt.config.gate.default_lane,
            device_id=device.device_id,
            operator=device.name,
            reason=body.reason,
            request_id=body.request_id,
        )
    except OverrideRefused as refused:
        raise ApiError(409, refused.decision.reason.value, refused.decision.message) from None
    except RequestReused as exc:
        raise request_reused(exc) from None
    verdict = verdict_json(result, language_of(request))
    if not result.recorded:
        raise ApiError(
            503, "not_recorded", "the ledger could not store the override", {"verdict": verdict}
        )
    answer: OverrideVerdict = {
        **verdict,
        "override_operator": device.name,
        "override_reason": body.reason,
    }
    return web.json_response(answer, status=200 if result.replayed else 201)


@routes.get("/api/v1/tickets/{ticket_id}/evidence")
@requires(Role.SUPERVISOR)
@spec(response=TicketEvidence, errors=[(404, "unknown_ticket"), (422, "invalid_request")])
async def get_ticket_evidence(request: web.Request) -> web.Response:
    """This agent's chargeback evidence pack for one ticket (``docs/evidence.md``).

    The same pack as ``edge-agent evidence export --ticket``: built in a thread from
    the ledger file on a read-only connection (one snapshot; never the writer), signed
    with the agent key. Answers the exact ``evidence.json`` text, its detached
    signature and the printable HTML. Supervisors only: it carries other tickets' scan
    rows (ids and code hashes) for the chain proof."""
    rt = runtime_of(request)
    ticket_id = _ticket_id(request)
    exported = await asyncio.to_thread(
        export_pack,
        rt.config,
        rt.agent_key,
        order_id=None,
        ticket_id=ticket_id,
        now_ms=wall_clock_ms(),
    )
    pack = exported.pack
    if not pack["scans"] and not pack["sales"] and manifest_ticket(rt.reader, ticket_id) is None:
        raise _unknown(ticket_id)
    sig = exported.signature.to_json_dict()
    answer: TicketEvidence = {
        "ticket_id": ticket_id,
        "evidence_json": exported.pack_bytes.decode("utf-8"),
        "signature": {
            "kind": str(sig["kind"]),
            "algorithm": str(sig["algorithm"]),
            "key_id": str(sig["key_id"]),
            "public_key": str(sig["public_key"]),
            "pack_sha256": str(sig["pack_sha256"]),
            "signature": str(sig["signature"]),
        },
        "html": render_html(pack),
        "conclusion": conclusion_lines(pack),
    }
    return web.json_response(answer)
