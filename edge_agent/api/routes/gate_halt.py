"""``/api/v1/gate/halt`` and ``/resume``: a supervisor stops or resumes admissions here
(``gate/halts.py``); the control socket has the same for ``edge-agent gate``."""

from __future__ import annotations

from aiohttp import web

from edge_agent.api.auth import requires
from edge_agent.api.keys import device_of, runtime_of
from edge_agent.api.schema.decoding import read_body
from edge_agent.api.schema.requests import HaltRequest
from edge_agent.api.schema.responses import HaltState
from edge_agent.api.schema.route_spec import spec
from edge_agent.api.views import halt_json
from edge_agent.devices.roles import Role

routes = web.RouteTableDef()


@routes.get("/api/v1/gate/halt")
@requires(Role.SUPERVISOR, Role.BOX_OFFICE, Role.SCANNER)
@spec(response=HaltState)
async def get_halt(request: web.Request) -> web.Response:
    """Whether admissions are stopped here, by whom, when and why."""
    return web.json_response(halt_json(runtime_of(request)))


@routes.post("/api/v1/gate/halt")
@requires(Role.SUPERVISOR)
@spec(body=HaltRequest, response=HaltState, errors=[(422, "invalid_request")])
async def post_halt(request: web.Request) -> web.Response:
    """Stop admitting: every entry is refused as ``gate_halted`` (exits still work)
    until resumed, also after a restart."""
    rt = runtime_of(request)
    body = await read_body(request, HaltRequest)
    await rt.halts.halt(device_of(request).name, body.reason)
    return web.json_response(halt_json(rt))


@routes.post("/api/v1/gate/resume")
@requires(Role.SUPERVISOR)
@spec(body=HaltRequest, response=HaltState, errors=[(422, "invalid_request")])
async def post_resume(request: web.Request) -> web.Response:
    """Admit again (recorded with the reason, as the halt was)."""
    rt = runtime_of(request)
    body = await read_body(request, HaltRequest)
    if rt.halts.current is not None:
        await rt.halts.resume(device_of(request).name, body.reason)
    return web.json_response(halt_json(rt))
