"""``POST /api/v1/scans``: judge one scanned code (the WebSocket stream: ``scans_ws``)."""

from __future__ import annotations

from aiohttp import web

from edge_agent.api.auth import requires
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import device_of, runtime_of
from edge_agent.api.language import language_of
from edge_agent.api.schema.decoding import read_body
from edge_agent.api.schema.requests import ScanRequest
from edge_agent.api.schema.responses import Verdict
from edge_agent.api.schema.route_spec import spec
from edge_agent.api.views import verdict_json
from edge_agent.devices.roles import Role

routes = web.RouteTableDef()


@routes.post("/api/v1/scans")
@requires(Role.SCANNER, Role.SUPERVISOR)
@spec(
    body=ScanRequest,
    response=Verdict,
    errors=[(503, "not_recorded")],
    scanned_code_fields=["code"],  # a numeric barcode may pass Luhn; stored hashed only
)
async def post_scan(request: web.Request) -> web.Response:
    """Judge one scanned code; answers only once the verdict is durable in the ledger."""
    rt = runtime_of(request)
    device = device_of(request)
    body = await read_body(request, ScanRequest)
    lane = body.lane or rt.config.gate.default_lane
    result = await rt.pipeline.scan(
        body.code,
        lane=lane,
        device_id=device.device_id,
        device_kind=body.device_kind or "network",
        direction=body.direction,
    )
    verdict = verdict_json(result, language_of(request, lane))
    if not result.recorded:
        raise ApiError(
            503,
            "not_recorded",
            "the ledger could not store this scan; scan again",
            {"verdict": verdict},
        )
    return web.json_response(verdict)
