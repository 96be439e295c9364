"""Bearer-token authentication and per-route roles.

Routes declare their roles with ``@requires(...)``; the middleware refuses any route that
declared none (a forgotten declaration fails closed, never open). Tokens are looked up
by their SHA-256, so the agent never holds them in clear after pairing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from edge_agent.api.connections.middleware import note_paired
from edge_agent.api.errors import ApiError, Handler
from edge_agent.api.keys import DEVICE_KEY, runtime_of
from edge_agent.devices.roles import Role
from edge_agent.devices.tokens import token_hash

_ROLES_ATTR = "__gatehouse_roles__"
_PUBLIC_ATTR = "__gatehouse_public__"

H = TypeVar("H", bound=Callable[..., object])


def requires(*roles: Role) -> Callable[[H], H]:
    def mark(handler: H) -> H:
        setattr(handler, _ROLES_ATTR, frozenset(roles))
        return handler

    return mark


def public(handler: H) -> H:
    """For the pairing exchange (the route a device uses before it has a token) and routes
    that check the token themselves: the WebSockets, whose browser clients cannot send
    the header and authenticate with a first message instead (``api/socket_auth.py``)."""
    setattr(handler, _PUBLIC_ATTR, True)
    return handler


def roles_of(handler: object) -> frozenset[Role] | None:
    roles = getattr(handler, _ROLES_ATTR, None)
    return roles if isinstance(roles, frozenset) else None


def is_public(handler: object) -> bool:
    return getattr(handler, _PUBLIC_ATTR, False) is True


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    route_handler = request.match_info.route.handler
    if is_public(route_handler) or request.match_info.http_exception is not None:
        return await handler(request)
    roles = roles_of(route_handler)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "pair this device first: Authorization: Bearer <token>")
    device = runtime_of(request).devices.by_token_hash(token_hash(token.strip()))
    if device is None:
        raise ApiError(401, "unauthorized", "unknown or revoked device token")
    if roles is None or device.role not in roles:
        raise ApiError(403, "forbidden", f"role {device.role.value!r} may not use this route")
    request[DEVICE_KEY] = device
    note_paired(request)  # this connection is a paired device's, not a stranger's
    return await handler(request)
