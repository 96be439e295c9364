"""``create_app(config)``: the LAN API application, owning the agent runtime's life.

The runtime starts in a ``cleanup_ctx`` and stops there too, so whoever runs the app
(``edge-agent run``, the demo, the tests' ``aiohttp_client``) gets the same ordered
start-up checks and the same drain-on-shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from aiohttp import web

from edge_agent.api.auth import auth_middleware
from edge_agent.api.card_guard import card_number_middleware
from edge_agent.api.connections.budget import connection_limits, file_limit, open_files
from edge_agent.api.connections.guard import ConnectionGuard
from edge_agent.api.connections.middleware import (
    CONNECTIONS_KEY,
    body_deadline_middleware,
    connections_middleware,
)
from edge_agent.api.errors import error_middleware
from edge_agent.api.keys import LAN_URLS_KEY, RUNTIME_APP_KEY, RUNTIME_KEY
from edge_agent.api.open_sockets import close_sockets_on_shutdown
from edge_agent.api.routes import (
    boxoffice,
    boxoffice_ws,
    control,
    control_mesh,
    devices,
    gate_halt,
    mesh,
    metrics,
    openapi,
    pages,
    pairing,
    scans,
    scans_ws,
    status,
    sync,
    tickets,
    trust,
)
from edge_agent.config.sections import Config
from edge_agent.gate.claims import AdmissionClaimer
from edge_agent.runtime import AgentRuntime
from scanner.inputs.evdev_source import EvdevSource

#: Every route module of the LAN app (``control`` is the Unix socket's, below).
LAN_ROUTES = (
    scans,
    scans_ws,
    status,
    pairing,
    devices,
    tickets,
    gate_halt,
    sync,
    boxoffice,
    boxoffice_ws,
    pages,
    trust,
    openapi,
    metrics,
    mesh,
)


def create_app(
    config: Config,
    claimer: AdmissionClaimer | None = None,
    *,
    evdev_source: EvdevSource | None = None,
) -> web.Application:
    app = web.Application(
        middlewares=[
            connections_middleware,
            error_middleware,
            auth_middleware,
            body_deadline_middleware,
            card_number_middleware,
        ],
        client_max_size=config.api.max_body_bytes,
    )
    app[CONNECTIONS_KEY] = ConnectionGuard(
        connection_limits(config), open_files=open_files, file_limit=file_limit()
    )
    for module in LAN_ROUTES:
        app.add_routes(module.routes)
    close_sockets_on_shutdown(app)  # the WebSockets' (scans, box office)
    app.on_response_prepare.append(no_store)

    async def runtime_ctx(app: web.Application) -> AsyncIterator[None]:
        runtime = await AgentRuntime.start(config, claimer, evdev_source=evdev_source)
        app[RUNTIME_KEY] = runtime
        try:
            yield
        finally:
            await runtime.stop()

    app.cleanup_ctx.append(runtime_ctx)
    return app


async def no_store(request: web.Request, response: web.StreamResponse) -> None:
    """Every API answer is one device's business (tokens, pairing codes, tickets): no
    browser, proxy or disk cache may keep it. The iPad page's own files say otherwise."""
    if request.path.startswith(("/api/", "/control/")):
        response.headers.setdefault("Cache-Control", "no-store")


def create_control_app(
    runtime_app: web.Application, lan_urls: Sequence[str] = ()
) -> web.Application:
    """The operator's control API, served only on a 0600 Unix socket in the data dir.

    File permissions are its authentication: whoever can open the socket is the venue
    tech on the box (``edge-agent pair``). It never listens on a network interface.
    ``lan_urls`` are the addresses the LAN API is bound to (``GET /control/addresses``).
    """
    app = web.Application(
        middlewares=[error_middleware, card_number_middleware], client_max_size=16384
    )
    app[RUNTIME_APP_KEY] = runtime_app
    app[LAN_URLS_KEY] = list(lan_urls)
    app.on_response_prepare.append(no_store)
    app.add_routes(control.routes)
    app.add_routes(control_mesh.routes)
    return app
