"""``GET /api/v1/status``: the agent at a glance, for every paired role."""

from __future__ import annotations

from aiohttp import web

from edge_agent.api.auth import requires
from edge_agent.api.connections.middleware import CONNECTIONS_KEY
from edge_agent.api.keys import runtime_of
from edge_agent.api.language import language_of
from edge_agent.api.schema.responses import Status
from edge_agent.api.schema.route_spec import spec
from edge_agent.api.views import status_json
from edge_agent.devices.roles import ANY_ROLE

routes = web.RouteTableDef()


@routes.get("/api/v1/status")
@requires(*ANY_ROLE)
@spec(response=Status)
async def get_status(request: web.Request) -> web.Response:
    """The agent at a glance: ledger, verdict counts, manifest, sync, lanes, printer."""
    guard = request.app.get(CONNECTIONS_KEY)
    snapshot = guard.snapshot() if guard is not None else None
    return web.json_response(status_json(runtime_of(request), language_of(request), snapshot))
