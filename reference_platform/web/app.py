"""``create_app(data_dir)``: the platform's aiohttp application.

Middlewares, outermost first: errors (every failure leaves as
``{"error": {"code", "message", …}}``), then authentication (``/admin/v1/`` needs the
admin token; ``/v1/`` needs an agent token, and the agent it belongs to is put on the
request for the handlers' own-agent checks). Every response, errors included, carries
``X-Platform-Time-Ms`` for the agents' clock-offset measurement.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web

from reference_platform.data_dir import db_path, read_admin_token, wall_ms
from reference_platform.errors import Forbidden, PlatformError, Unauthorized
from reference_platform.services.enrolment import agent_for_token, token_sha256
from reference_platform.store.database import Database
from reference_platform.support.routes import support_routes
from reference_platform.web.admin_routes import admin_routes
from reference_platform.web.agent_routes import agent_routes
from reference_platform.web.app_keys import (
    ADMIN_SHA_KEY,
    CLOCK_KEY,
    DB_KEY,
    PRINCIPAL,
    Clock,
    Principal,
)
from reference_platform.web.evidence_routes import evidence_routes
from reference_platform.web.live_ticket import live_routes
from reference_platform.web.validation import MAX_BODY_BYTES

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


def error_json(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except PlatformError as exc:
        return web.json_response(exc.body(), status=exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.reason
        if exc.status == 413:
            message = f"request body larger than {MAX_BODY_BYTES} bytes"
        return error_json(exc.status, _HTTP_CODES.get(exc.status, "http_error"), message)
    except Exception:
        # Never the body or headers: they may hold tokens or customer data.
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_json(500, "internal_error", "internal error; see the platform's log")


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token")
    return token.strip()


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    is_admin_route = path.startswith("/admin/")
    if not (is_admin_route or path.startswith("/v1/")):
        return await handler(request)
    token = _bearer(request)
    if hmac.compare_digest(token_sha256(token), request.app[ADMIN_SHA_KEY]):
        if not is_admin_route:
            raise Forbidden("the admin token does not open agent routes; use an agent token")
        request[PRINCIPAL] = Principal(admin=True)
        return await handler(request)
    agent_id = await request.app[DB_KEY].read(lambda conn: agent_for_token(conn, token))
    if agent_id is None:
        raise Unauthorized("unknown or revoked token")
    if is_admin_route:
        raise Forbidden("agent tokens do not open admin routes")
    request[PRINCIPAL] = Principal(admin=False, agent_id=agent_id)
    return await handler(request)


async def _stamp_time(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["X-Platform-Time-Ms"] = str(request.app[CLOCK_KEY]())


def create_app(data_dir: Path, *, clock: Clock = wall_ms) -> web.Application:
    """The platform on an initialised data dir; ``clock`` (Unix ms) is injectable so
    tests can move time for lease expiry."""
    app = web.Application(
        middlewares=[error_middleware, auth_middleware], client_max_size=MAX_BODY_BYTES
    )
    app[CLOCK_KEY] = clock
    app[ADMIN_SHA_KEY] = token_sha256(read_admin_token(data_dir))
    app.add_routes(agent_routes)
    app.add_routes(admin_routes)
    app.add_routes(evidence_routes)
    app.add_routes(support_routes)  # its own login (docs/support.md)
    app.add_routes(live_routes)
    app.on_response_prepare.append(_stamp_time)

    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        db = Database(db_path(data_dir))
        await db.open()
        app[DB_KEY] = db
        try:
            yield
        finally:
            await db.close()

    app.cleanup_ctx.append(database_ctx)
    return app
