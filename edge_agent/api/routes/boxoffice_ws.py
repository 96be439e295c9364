"""``GET /api/v1/boxoffice/ws``: the counter's figures, pushed live to the iPad page.

The page shows what may be sold now (leased seats left), the till and the gate's
admissions; polling that from every iPad would cost a request a second each and still lag.
Instead the agent pushes ``{"type": "figures", "figures": <GET /api/v1/boxoffice>}`` once
on connect and again whenever the box office reports a change (a sale, a void, a lease,
a session opened or closed, an admitted scan), coalesced to at most ``MAX_PUSHES_PER_S``
a second, and only when the figures differ from the last ones sent.

Authentication is the scan socket's (``api/socket_auth.py``): ``Authorization: Bearer`` on
the upgrade, or — browsers cannot set that header on a WebSocket — a first message
``{"auth": "<token>"}``, answered ``{"auth": "ok", "device_id": …}``. Roles: box_office,
supervisor. A token revoked while connected closes the socket (4401). The client sends
nothing else; anything it sends is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from edge_agent.api.auth import public
from edge_agent.api.keys import runtime_of
from edge_agent.api.message_rate import TokenBucket
from edge_agent.api.open_sockets import open_socket
from edge_agent.api.schema.route_spec import spec
from edge_agent.api.socket_auth import CLOSE_UNAUTHORIZED as CLOSE_UNAUTHORIZED
from edge_agent.api.socket_auth import (
    SocketAuth,
    authenticate,
    close_revoked,
    header_device,
    still_allowed,
)
from edge_agent.devices.registry import Device
from edge_agent.devices.roles import Role
from edge_agent.runtime import AgentRuntime

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

BOX_OFFICE_ROLES = frozenset({Role.BOX_OFFICE, Role.SUPERVISOR})
#: Coalescing: after a push, changes are gathered for this long before the next one.
MAX_PUSHES_PER_S = 4
#: Without a change notice the figures are still looked at this often (lease expiry is
#: a change no one announces: it happens by the clock).
IDLE_CHECK_S = 5.0
_AUTH = SocketAuth(
    roles=BOX_OFFICE_ROLES,
    refusal="unknown or revoked device token, or its role may not use the box office",
    name="box-office",
)


@routes.get("/api/v1/boxoffice/ws")
@public  # authenticates itself: the header, or a first message (see the module docstring)
@spec(websocket=True, checks_roles=BOX_OFFICE_ROLES, status=101, errors=[(401, "unauthorized")])
async def boxoffice_ws(request: web.Request) -> web.StreamResponse:
    """A WebSocket that pushes the box office's figures: on connect and after each change.

    Authenticate with the Authorization header or a first message {"auth": "<token>"}.
    Each push is {"type": "figures", "figures": <GET /api/v1/boxoffice>}, at most a few a
    second; the client sends nothing after authenticating.
    """
    rt = runtime_of(request)
    device = header_device(request, rt, _AUTH)  # a bad header is refused before the upgrade
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=4096)
    await ws.prepare(request)
    with open_socket(request, ws):  # closed at once when the agent shuts down
        await _serve(request, rt, ws, device)
    return ws


async def _serve(
    request: web.Request, rt: AgentRuntime, ws: web.WebSocketResponse, device: Device | None
) -> None:
    device = await authenticate(request, rt, ws, device, _AUTH)
    if device is None:
        return
    pusher = asyncio.create_task(_push_figures(rt, ws, device))
    rate = TokenBucket(1.0, 10.0, time.monotonic())
    try:
        async for msg in ws:  # drains pings and close frames; the client has nothing to say
            if msg.type is WSMsgType.ERROR:
                break
            if not rate.take(time.monotonic()):  # a client that talks when it should not
                await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"too many messages")
                break
    finally:
        pusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pusher


async def _push_figures(rt: AgentRuntime, ws: web.WebSocketResponse, device: Device) -> None:
    last: dict[str, Any] | None = None
    changes = rt.boxoffice.changes()
    try:
        while not ws.closed:
            if not still_allowed(rt, device):  # revoked while connected
                await close_revoked(ws)
                return
            figures = await rt.boxoffice.figures(device.device_id)
            if figures != last:
                await ws.send_json({"type": "figures", "figures": figures})
                last = figures
            await changes.wait(IDLE_CHECK_S)
            await asyncio.sleep(1.0 / MAX_PUSHES_PER_S)  # gather a burst into one push
    except (ConnectionResetError, RuntimeError) as exc:  # the client went away mid-send
        log.debug("box-office websocket closed while pushing: %s", exc)
    except asyncio.CancelledError:
        raise
    except Exception:  # the figures could not be read: say so rather than go quiet
        log.exception("box-office websocket: reading the figures failed")
        await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")
    finally:
        changes.close()
