"""How the LAN app's WebSockets learn which paired device is on the other end.

Why one module: the scan socket and the box-office socket authenticate the same way, and
two copies of a security check drift apart. A WebSocket route is ``@public`` to the
middleware because a browser cannot set ``Authorization`` on a WebSocket; instead:

- with an ``Authorization: Bearer <token>`` header on the upgrade, the device is checked
  before the upgrade and refused with the API's ordinary 401 (``ApiError``);
- without it, the socket is opened and its first message must be ``{"auth": "<token>"}``
  within ``AUTH_TIMEOUT_S``; it is answered ``{"auth": "ok", "device_id": …}``, or with an
  error body and a close with ``CLOSE_UNAUTHORIZED``.

A device revoked while connected is closed the same way (``still_allowed``/``close_revoked``).
Each socket keeps its own protocol (what it serves after this) in its own module.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from edge_agent.api.connections.middleware import note_paired
from edge_agent.api.errors import ApiError
from edge_agent.devices.registry import Device
from edge_agent.devices.roles import Role
from edge_agent.devices.tokens import token_hash
from edge_agent.runtime import AgentRuntime

log = logging.getLogger(__name__)

#: A client that sends no auth message within this time is closed.
AUTH_TIMEOUT_S = 10.0
#: WebSocket close code for a refused or revoked device (4000-4999: application).
CLOSE_UNAUTHORIZED = 4401


@dataclass(frozen=True, slots=True)
class SocketAuth:
    """One socket's terms: the roles it admits, what a refusal says, its name in the log."""

    roles: frozenset[Role]
    refusal: str
    name: str


def ws_error(code: str, message: str) -> dict[str, Any]:
    """An error body in the LAN API's shape, sent as a WebSocket message."""
    return {"error": {"code": code, "message": message}}


def device_for(rt: AgentRuntime, token: str, roles: frozenset[Role]) -> Device | None:
    """The active paired device holding ``token`` if its role is one of ``roles``."""
    device = rt.devices.by_token_hash(token_hash(token)) if token else None
    return device if device is not None and device.role in roles else None


def header_device(request: web.Request, rt: AgentRuntime, auth: SocketAuth) -> Device | None:
    """The device named by the upgrade's ``Authorization`` header; None without a header.

    A header that names no allowed device is refused before the upgrade (401), like every
    other route.
    """
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    device = device_for(rt, token.strip(), auth.roles) if scheme.lower() == "bearer" else None
    if device is None:
        raise ApiError(401, "unauthorized", auth.refusal)
    return device


async def authenticate(
    request: web.Request,
    rt: AgentRuntime,
    ws: web.WebSocketResponse,
    device: Device | None,
    auth: SocketAuth,
) -> Device | None:
    """The socket's device: ``device`` (from the header) or one named by a first message.

    On a first message's success the client is told ``{"auth": "ok", …}``; on failure the
    socket is closed (``CLOSE_UNAUTHORIZED``) and None returned.
    """
    if device is not None:
        note_paired(request)
        return device
    device = await _auth_message(rt, ws, auth)
    if device is None:
        await ws.close(code=CLOSE_UNAUTHORIZED, message=b"unauthorized")
        return None
    note_paired(request)  # a paired device's socket now, not a stranger's
    await ws.send_json({"auth": "ok", "device_id": device.device_id})
    return device


def still_allowed(rt: AgentRuntime, device: Device) -> bool:
    """Whether ``device`` is still paired and active (not revoked while connected)."""
    current = rt.devices.get(device.device_id)
    return current is not None and current.active


async def close_revoked(ws: web.WebSocketResponse) -> None:
    """Tell the client its token was revoked, and close the socket."""
    await ws.send_json(ws_error("unauthorized", "this device's token was revoked"))
    await ws.close(code=CLOSE_UNAUTHORIZED, message=b"revoked")


async def _auth_message(
    rt: AgentRuntime, ws: web.WebSocketResponse, auth: SocketAuth
) -> Device | None:
    try:
        msg = await ws.receive(timeout=AUTH_TIMEOUT_S)
    except TimeoutError:
        await ws.send_json(ws_error("unauthorized", 'send {"auth": "<token>"} first'))
        return None
    token = ""
    if msg.type is WSMsgType.TEXT:
        try:
            doc = json.loads(msg.data)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("auth"), str):
            token = doc["auth"].strip()
    device = device_for(rt, token, auth.roles)
    if device is None and msg.type is WSMsgType.TEXT:
        log.warning("%s websocket refused: bad or missing token", auth.name)
        await ws.send_json(ws_error("unauthorized", auth.refusal))
    return device
