"""The routes door agents call (``/v1/``): manifest, leases, scan and sale uploads.

Thin handlers: check who may call, parse, run one function of the platform's rules in
a read or write transaction, shape the JSON. An agent token opens only its own agent's
paths and the events it is enrolled for.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from reference_platform.errors import Forbidden, Invalid
from reference_platform.services.enrolment import is_enrolled
from reference_platform.services.ingest import (
    SALES,
    SCANS,
    Stream,
    conflicts,
    ingest_batch,
    prepare_rows,
)
from reference_platform.services.leases import (
    MAX_LEASE_COUNT,
    MAX_TTL_S,
    MIN_TTL_S,
    return_lease,
    take_lease,
)
from reference_platform.services.manifest import DEFAULT_LIMIT, MAX_LIMIT, manifest_page
from reference_platform.web.app_keys import CLOCK_KEY, DB_KEY, caller_agent
from reference_platform.web.validation import (
    field_id,
    field_int,
    path_int,
    query_int,
    read_json_object,
)

agent_routes = web.RouteTableDef()


async def _require_enrolled(request: web.Request, agent_id: str, event_id: int) -> None:
    enrolled = await request.app[DB_KEY].read(lambda c: is_enrolled(c, agent_id, event_id))
    if not enrolled:
        raise Forbidden(
            f"agent {agent_id} is not enrolled for event {event_id}", code="not_enrolled"
        )


@agent_routes.get("/v1/events/{event_id}/manifest")
async def get_manifest(request: web.Request) -> web.Response:
    event_id = path_int(request, "event_id")
    agent_id = caller_agent(request)
    limit = query_int(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    since = request.query.get("since")
    now_ms = request.app[CLOCK_KEY]()
    await _require_enrolled(request, agent_id, event_id)
    page = await request.app[DB_KEY].read(
        lambda conn: manifest_page(conn, event_id, since, limit, now_ms)
    )
    return web.Response(text=page, content_type="application/json")


@agent_routes.get("/v1/events/{event_id}/conflicts")
async def get_conflicts(request: web.Request) -> web.Response:
    """The cross-agent conflicts report for an event the calling agent is enrolled for
    (the same report as the admin route), so a venue supervisor sees it at the door."""
    event_id = path_int(request, "event_id")
    agent_id = caller_agent(request)
    await _require_enrolled(request, agent_id, event_id)
    report = await request.app[DB_KEY].read(lambda c: conflicts(c, event_id))
    return web.json_response({"event_id": event_id, "conflicts": report})


@agent_routes.post("/v1/events/{event_id}/leases")
async def post_lease(request: web.Request) -> web.Response:
    event_id = path_int(request, "event_id")
    agent_id = caller_agent(request)
    body = await read_json_object(request)
    if body.get("agent_id") != agent_id:
        raise Forbidden("agent_id must be the agent of the token", code="wrong_agent")
    lease_request_id = field_id(body, "lease_request_id")
    ticket_type = field_int(body, "ticket_type", hi=0xFFFF)
    count = field_int(body, "count", lo=1, hi=MAX_LEASE_COUNT)
    ttl_s = field_int(body, "ttl_s", default=43_200, lo=MIN_TTL_S, hi=MAX_TTL_S)
    await _require_enrolled(request, agent_id, event_id)
    now_ms = request.app[CLOCK_KEY]()
    lease, created = await request.app[DB_KEY].write(
        lambda conn: take_lease(
            conn,
            event_id=event_id,
            agent_id=agent_id,
            lease_request_id=lease_request_id,
            ticket_type=ticket_type,
            count=count,
            ttl_s=ttl_s,
            now_ms=now_ms,
        )
    )
    return web.json_response(lease, status=201 if created else 200)


@agent_routes.post("/v1/leases/{lease_id}/return")
async def post_lease_return(request: web.Request) -> web.Response:
    lease_id = request.match_info["lease_id"]
    agent_id = caller_agent(request)
    body = await read_json_object(request)
    unused = field_int(body, "unused", hi=MAX_LEASE_COUNT)
    result = await request.app[DB_KEY].write(
        lambda conn: return_lease(conn, lease_id=lease_id, agent_id=agent_id, unused=unused)
    )
    return web.json_response(result)


async def _upload(request: web.Request, stream: Stream) -> web.Response:
    agent_id = request.match_info["agent_id"]
    if agent_id != caller_agent(request):
        raise Forbidden(f"this token belongs to another agent, not {agent_id}", code="wrong_agent")
    body = await read_json_object(request)
    if body.get("agent_id") != agent_id:
        raise Invalid("agent_id must be the agent of the path", field="agent_id")
    clock: Any = body.get("clock")
    if not isinstance(clock, dict):
        raise Invalid(
            "clock must be an object (agent_time_ms, offset_ms, rtt_ms, …)", field="clock"
        )
    version = body.get("software_version")
    if version is not None and not isinstance(version, str):
        raise Invalid("software_version must be a string", field="software_version")
    rows = await asyncio.to_thread(prepare_rows, stream, agent_id, body.get("rows"))
    now_ms = request.app[CLOCK_KEY]()
    answer = await request.app[DB_KEY].write(
        lambda conn: ingest_batch(
            conn,
            stream,
            agent_id=agent_id,
            rows=rows,
            clock=clock,
            software_version=version,
            now_ms=now_ms,
        )
    )
    return web.json_response(answer)


@agent_routes.post("/v1/agents/{agent_id}/scans")
async def post_scans(request: web.Request) -> web.Response:
    return await _upload(request, SCANS)


@agent_routes.post("/v1/agents/{agent_id}/sales")
async def post_sales(request: web.Request) -> web.Response:
    return await _upload(request, SALES)
