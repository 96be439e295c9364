"""What requests tell the connection guard, and the deadline on a request's body.

``connections_middleware`` runs first on every request: its headers have arrived, so the
connection's header deadline is met. ``note_paired`` is called where a paired device is
recognised (the auth middleware, a WebSocket's auth message): that connection is no
longer a stranger. ``body_deadline_middleware`` reads a request's body within
``api.body_timeout_s`` of its headers (408 ``request_timeout``), so a client that sends
headers and then a byte a minute cannot hold a connection and a handler.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from edge_agent.api.connections.guard import ConnectionGuard
from edge_agent.api.errors import ApiError, Handler
from edge_agent.api.keys import runtime_of

CONNECTIONS_KEY = web.AppKey("connections", ConnectionGuard)


@web.middleware
async def connections_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    guard = request.app.get(CONNECTIONS_KEY)
    if guard is not None:
        guard.note_request(request.transport)
    return await handler(request)


def note_paired(request: web.Request) -> None:
    """The request's connection carries a paired device (see ``guard.py``)."""
    guard = request.app.get(CONNECTIONS_KEY)
    if guard is not None:
        guard.note_paired(request.transport)


@web.middleware
async def body_deadline_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.body_exists:
        try:
            async with asyncio.timeout(runtime_of(request).config.api.body_timeout_s):
                await request.read()  # aiohttp keeps it: handlers read the same bytes
        except TimeoutError:
            raise ApiError(
                408, "request_timeout", "the request body did not arrive in time"
            ) from None
    return await handler(request)
