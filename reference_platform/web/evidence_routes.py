"""Routes of the evidence feature: agents upload signed chain checkpoints
(``POST /v1/agents/{agent_id}/checkpoints``), operators fetch an order's evidence
pack (``GET /admin/v1/orders/{order_id}/evidence``, optional ``?ticket=ID``).

The pack answer carries ``evidence.json`` as text (its exact bytes are what the
signature covers) and the detached signature document (``docs/evidence.md``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from edge_agent import __version__
from reference_platform.errors import Forbidden, Invalid
from reference_platform.services.checkpoints import ingest_checkpoints, prepare_checkpoints
from reference_platform.services.evidence_data import platform_pack
from reference_platform.web.app_keys import CLOCK_KEY, DB_KEY, caller_agent
from reference_platform.web.validation import read_json_object

evidence_routes = web.RouteTableDef()


@evidence_routes.post("/v1/agents/{agent_id}/checkpoints")
async def post_checkpoints(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    if agent_id != caller_agent(request):
        raise Forbidden(f"this token belongs to another agent, not {agent_id}", code="wrong_agent")
    body = await read_json_object(request)
    if body.get("agent_id") != agent_id:
        raise Invalid("agent_id must be the agent of the path", field="agent_id")
    checkpoints = await asyncio.to_thread(prepare_checkpoints, agent_id, body.get("rows"))
    now_ms = request.app[CLOCK_KEY]()
    answer = await request.app[DB_KEY].write(
        lambda conn: ingest_checkpoints(conn, agent_id, checkpoints, now_ms)
    )
    return web.json_response(answer)


@evidence_routes.get("/admin/v1/orders/{order_id}/evidence")
async def get_evidence(request: web.Request) -> web.Response:
    order_id = request.match_info["order_id"]
    ticket_id = request.query.get("ticket") or None
    now_ms = request.app[CLOCK_KEY]()

    def build(conn: Any) -> tuple[bytes, Any]:
        return platform_pack(
            conn,
            order_id=order_id,
            ticket_id=ticket_id,
            now_ms=now_ms,
            software_version=__version__,
        )

    pack_bytes, signature = await request.app[DB_KEY].read(build)
    return web.json_response(
        {"evidence_json": pack_bytes.decode("utf-8"), "signature": signature.to_json_dict()}
    )
