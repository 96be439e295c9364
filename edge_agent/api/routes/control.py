"""Control-socket routes: issue pairing codes, lift a pairing lockout, list and revoke
devices, status, sync now, halt and resume admissions, and the addresses the LAN API is
bound to."""

from __future__ import annotations

from aiohttp import web

from edge_agent.api.connections.middleware import CONNECTIONS_KEY
from edge_agent.api.keys import LAN_URLS_KEY, RUNTIME_APP_KEY, RUNTIME_KEY
from edge_agent.api.routes.devices import devices_json, issue_pairing_code, revoke
from edge_agent.api.routes.pairing import lift_lockout
from edge_agent.api.routes.sync import sync_now_response
from edge_agent.api.schema.decoding import read_body
from edge_agent.api.schema.requests import HaltRequest, PairingCodeRequest
from edge_agent.api.views import halt_json, status_json
from edge_agent.runtime import AgentRuntime

routes = web.RouteTableDef()


def _runtime(request: web.Request) -> AgentRuntime:
    app = request.app[RUNTIME_APP_KEY]
    return app[RUNTIME_KEY]


@routes.post("/control/pairing-codes")
async def post_pairing_code(request: web.Request) -> web.Response:
    body = await read_body(request, PairingCodeRequest)
    return web.json_response(issue_pairing_code(_runtime(request), body), status=201)


@routes.get("/control/devices")
async def get_devices(request: web.Request) -> web.Response:
    return web.json_response(devices_json(_runtime(request)))


@routes.post("/control/devices/{device_id}/revoke")
async def post_revoke(request: web.Request) -> web.Response:
    return web.json_response(await revoke(_runtime(request), request.match_info["device_id"]))


@routes.post("/control/sync/now")
async def post_sync_now(request: web.Request) -> web.Response:
    return await sync_now_response(_runtime(request))


@routes.get("/control/status")
async def get_status(request: web.Request) -> web.Response:
    guard = request.app[RUNTIME_APP_KEY].get(CONNECTIONS_KEY)
    snapshot = guard.snapshot() if guard is not None else None
    return web.json_response(status_json(_runtime(request), connections=snapshot))


@routes.get("/control/addresses")
async def get_addresses(request: web.Request) -> web.Response:
    """``{"urls": [...]}``: where the LAN API listens, as bound (with port 0 in the
    config, only the running agent knows its port)."""
    return web.json_response({"urls": request.app[LAN_URLS_KEY]})


@routes.post("/control/pairing/unlock")
async def post_unlock(request: web.Request) -> web.Response:
    return web.json_response(lift_lockout(_runtime(request), "control socket"))


#: Who a halt from the control socket is recorded as (root or the service user on the box).
CONTROL_OPERATOR = "edge-agent CLI (on the box)"


@routes.post("/control/gate/{action:halt|resume}")
async def post_halt(request: web.Request) -> web.Response:
    rt = _runtime(request)
    body = await read_body(request, HaltRequest)
    if request.match_info["action"] == "halt":
        await rt.halts.halt(CONTROL_OPERATOR, body.reason)
    elif rt.halts.current is not None:
        await rt.halts.resume(CONTROL_OPERATOR, body.reason)
    return web.json_response(halt_json(rt))
