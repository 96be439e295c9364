"""``create_app(config)``: the LAN API application, owning the agent runtime's life.

The runtime starts in a ``cleanup_ctx`` and stops there too, so whoever runs the app
(``edge-agent run``, the demo, the tests' ``aiohttp_client``) gets the same ordered
start-up checks and the same drain-on-shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from edge_agent.api.auth import auth_middleware
from edge_agent.api.boxoffice_routes import boxoffice_routes
from edge_agent.api.boxoffice_ws import boxoffice_ws_routes
from edge_agent.api.card_guard import card_number_middleware
from edge_agent.api.conflict_routes import conflict_routes
from edge_agent.api.device_routes import device_routes
from edge_agent.api.errors import error_middleware
from edge_agent.api.keys import RUNTIME_APP_KEY, RUNTIME_KEY
from edge_agent.api.open_sockets import close_sockets_on_shutdown
from edge_agent.api.openapi import openapi_routes
from edge_agent.api.page_routes import page_routes
from edge_agent.api.routes import routes
from edge_agent.api.scan_ws import ws_routes
from edge_agent.api.tickets import ticket_routes
from edge_agent.config.sections import Config
from edge_agent.gate.claims import AdmissionClaimer
from edge_agent.runtime import AgentRuntime
from scanner.inputs.evdev_source import EvdevSource


def create_app(
    config: Config,
    claimer: AdmissionClaimer | None = None,
    *,
    evdev_source: EvdevSource | None = None,
) -> web.Application:
    app = web.Application(
        middlewares=[error_middleware, auth_middleware, card_number_middleware],
        client_max_size=config.api.max_body_bytes,
    )
    app.add_routes(routes)
    app.add_routes(ws_routes)
    app.add_routes(ticket_routes)
    app.add_routes(device_routes)
    app.add_routes(conflict_routes)
    app.add_routes(openapi_routes)
    app.add_routes(boxoffice_routes)
    app.add_routes(boxoffice_ws_routes)
    app.add_routes(page_routes)
    close_sockets_on_shutdown(app)  # the WebSockets' (scans, box office)

    async def runtime_ctx(app: web.Application) -> AsyncIterator[None]:
        runtime = await AgentRuntime.start(config, claimer, evdev_source=evdev_source)
        app[RUNTIME_KEY] = runtime
        try:
            yield
        finally:
            await runtime.stop()

    app.cleanup_ctx.append(runtime_ctx)
    return app


def create_control_app(runtime_app: web.Application) -> web.Application:
    """The operator's control API, served only on a 0600 Unix socket in the data dir.

    File permissions are its authentication: whoever can open the socket is the venue
    tech on the box (``edge-agent pair``). It never listens on a network interface.
    """
    from edge_agent.api.control import control_routes

    control = web.Application(
        middlewares=[error_middleware, card_number_middleware], client_max_size=16384
    )
    control[RUNTIME_APP_KEY] = runtime_app
    control.add_routes(control_routes)
    return control
