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
from edge_agent.gate.request_ids import RequestReused

routes = web.RouteTableDef()


@routes.post("/api/v1/scans")
@requires(Role.SCANNER, Role.SUPERVISOR)
@spec(
    body=ScanRequest,
    response=Verdict,
    errors=[(409, "request_reused"), (503, "not_recorded")],
    scanned_code_fields=["code"],  # a numeric barcode may pass Luhn; stored hashed only
)
async def post_scan(request: web.Request) -> web.Response:
    """Judge one scanned code; answers only once the verdict is durable in the ledger.

    With a request_id, a retry of the same scan gets the first verdict back (same scan_id
    and seq, "replayed": true); the same id with another code, lane or direction is 409.
    """
    rt = runtime_of(request)
    device = device_of(request)
    body = await read_body(request, ScanRequest)
    lane = body.lane or rt.config.gate.default_lane
    try:
        result = await rt.pipeline.scan(
            body.code,
            lane=lane,
            device_id=device.device_id,
            device_kind=body.device_kind or "network",
            direction=body.direction,
            request_id=body.request_id,
        )
    except RequestReused as exc:
        raise request_reused(exc) from None
    verdict = verdict_json(result, language_of(request, lane))
    if not result.recorded:
        raise ApiError(
            503,
            "not_recorded",
            "the ledger could not store this scan; scan again",
            {"verdict": verdict},
        )
    return web.json_response(verdict)


def request_reused(exc: RequestReused) -> ApiError:
    """409 for a request_id sent again with a different body (a client bug)."""
    return ApiError(409, "request_reused", str(exc))
