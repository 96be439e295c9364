"""Device administration over the LAN (supervisor only): pairing codes, the device
list, revocation. The control socket offers the same calls to the venue tech on the box
(``api/control.py``); both use the functions here, so they answer alike."""

from __future__ import annotations

from aiohttp import web

from edge_agent.api.auth import requires
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import device_of, runtime_of
from edge_agent.api.schema.decoding import read_body
from edge_agent.api.schema.requests import PairingCodeRequest
from edge_agent.api.schema.responses import DeviceList, DeviceView, PairingCode, Revoked
from edge_agent.api.schema.route_spec import spec
from edge_agent.api.views import iso_ms
from edge_agent.devices.roles import Role
from edge_agent.ledger.device_store import revoke_device
from edge_agent.runtime import AgentRuntime, wall_clock_ms

routes = web.RouteTableDef()


def issue_pairing_code(rt: AgentRuntime, body: PairingCodeRequest) -> PairingCode:
    try:
        role = Role(body.role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ApiError(422, "invalid_role", f"role must be one of: {roles}") from None
    pending = rt.pairing.issue(role, body.name, wall_clock_ms())
    return {
        "code": pending.code,
        "role": role.value,
        "name": pending.name,
        "expires_at": iso_ms(pending.expires_ms),
    }


def devices_json(rt: AgentRuntime) -> list[DeviceView]:
    return [
        {
            "device_id": d.device_id,
            "name": d.name,
            "role": d.role.value,
            "paired_at": iso_ms(d.created_at_ms),
            "revoked_at": iso_ms(d.revoked_at_ms) if d.revoked_at_ms else None,
        }
        for d in rt.devices.all()
    ]


async def revoke(rt: AgentRuntime, device_id: str) -> Revoked:
    """Revoke a device's token (stored first, then dropped from the in-memory registry)."""
    if rt.devices.get(device_id) is None:
        raise ApiError(404, "unknown_device", f"no device {device_id!r}")
    now = wall_clock_ms()
    await rt.writer.execute(lambda conn: revoke_device(conn, device_id, now))
    rt.devices.revoke(device_id, now)
    return {"device_id": device_id, "revoked_at": iso_ms(now)}


@routes.post("/api/v1/pairing-codes")
@requires(Role.SUPERVISOR)
@spec(body=PairingCodeRequest, response=PairingCode, status=201, errors=[(422, "invalid_role")])
async def post_pairing_code(request: web.Request) -> web.Response:
    """A one-time code for a new device of any role (as ``edge-agent pair`` makes)."""
    body = await read_body(request, PairingCodeRequest)
    return web.json_response(issue_pairing_code(runtime_of(request), body), status=201)


@routes.get("/api/v1/devices")
@requires(Role.SUPERVISOR)
@spec(response=DeviceList)
async def get_devices(request: web.Request) -> web.Response:
    """Every paired device, oldest first, revoked ones included."""
    answer: DeviceList = {"devices": devices_json(runtime_of(request))}
    return web.json_response(answer)


@routes.post("/api/v1/devices/{device_id}/revoke")
@requires(Role.SUPERVISOR)
@spec(response=Revoked, errors=[(404, "unknown_device"), (409, "own_device")])
async def post_revoke(request: web.Request) -> web.Response:
    """Revoke another device. A supervisor cannot revoke the token it is using (that
    would lock the only supervisor out mid-shift); ``edge-agent devices --revoke`` can."""
    device_id = request.match_info["device_id"]
    if device_id == device_of(request).device_id:
        raise ApiError(
            409,
            "own_device",
            "this is the device you are using; revoke it from another supervisor"
            " or with `edge-agent devices --revoke` on the box",
        )
    return web.json_response(await revoke(runtime_of(request), device_id))
