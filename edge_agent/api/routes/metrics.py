"""``GET /metrics``: Prometheus text format, for a scraper paired with role ``metrics``.

Never open: a token of its own role (``edge-agent pair --role metrics``), which reads
this and nothing else; Prometheus sends it with ``authorization: credentials_file``.
Outside ``/api/v1`` (where scrapers look for it), so not in the OpenAPI document.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from edge_agent.api.auth import requires
from edge_agent.api.keys import runtime_of
from edge_agent.devices.roles import Role
from edge_agent.metrics.collector import AgentCollector
from edge_agent.runtime import wall_clock_ms

routes = web.RouteTableDef()


@routes.get("/metrics")
@requires(Role.METRICS)
async def get_metrics(request: web.Request) -> web.Response:
    rt = runtime_of(request)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AgentCollector(rt, rt.metrics, wall_clock_ms))
    return web.Response(
        body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )
