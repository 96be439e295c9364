"""Control-socket routes: issue pairing codes, list and revoke devices, status, sync now."""

from __future__ import annotations

from aiohttp import web

from edge_agent.api.errors import ApiError
from edge_agent.api.keys import RUNTIME_APP_KEY, RUNTIME_KEY
from edge_agent.api.routes import sync_now_response
from edge_agent.api.schemas import PairingCodeRequest, read_json_object
from edge_agent.api.views import iso_ms, status_json
from edge_agent.devices.roles import Role
from edge_agent.ledger.device_store import revoke_device
from edge_agent.runtime import AgentRuntime, wall_clock_ms

control_routes = web.RouteTableDef()


def _runtime(request: web.Request) -> AgentRuntime:
    app = request.app[RUNTIME_APP_KEY]
    return app[RUNTIME_KEY]


@control_routes.post("/control/pairing-codes")
async def post_pairing_code(request: web.Request) -> web.Response:
    body = PairingCodeRequest.parse(await read_json_object(request))
    try:
        role = Role(body.role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ApiError(422, "invalid_role", f"role must be one of: {roles}") from None
    pending = _runtime(request).pairing.issue(role, body.name, wall_clock_ms())
    return web.json_response(
        {"code": pending.code, "role": role.value, "expires_at": iso_ms(pending.expires_ms)},
        status=201,
    )


@control_routes.get("/control/devices")
async def get_devices(request: web.Request) -> web.Response:
    devices = _runtime(request).devices.all()
    return web.json_response(
        [
            {
                "device_id": d.device_id,
                "name": d.name,
                "role": d.role.value,
                "paired_at": iso_ms(d.created_at_ms),
                "revoked_at": iso_ms(d.revoked_at_ms) if d.revoked_at_ms else None,
            }
            for d in devices
        ]
    )


@control_routes.post("/control/devices/{device_id}/revoke")
async def post_revoke(request: web.Request) -> web.Response:
    rt = _runtime(request)
    device_id = request.match_info["device_id"]
    if rt.devices.get(device_id) is None:
        raise ApiError(404, "unknown_device", f"no device {device_id!r}")
    now = wall_clock_ms()
    await rt.writer.execute(lambda conn: revoke_device(conn, device_id, now))
    rt.devices.revoke(device_id, now)
    return web.json_response({"device_id": device_id, "revoked_at": iso_ms(now)})


@control_routes.post("/control/sync/now")
async def post_sync_now(request: web.Request) -> web.Response:
    return await sync_now_response(_runtime(request))


@control_routes.get("/control/status")
async def get_status(request: web.Request) -> web.Response:
    return web.json_response(status_json(_runtime(request)))
