"""LAN API routes (``/api/v1``): scans, status, and the pairing exchange."""

from __future__ import annotations

import logging

from aiohttp import web

from edge_agent.api.auth import public, requires
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import device_of, runtime_of
from edge_agent.api.response_types import PairAnswer, Status, SyncNow, Verdict
from edge_agent.api.route_spec import spec
from edge_agent.api.schemas import PairRequest, ScanRequest, read_body
from edge_agent.api.views import status_json, sync_json, verdict_json
from edge_agent.devices.registry import Device
from edge_agent.devices.roles import ANY_ROLE, Role
from edge_agent.devices.tokens import new_token, token_hash
from edge_agent.errors import LedgerError
from edge_agent.ids import uuid7
from edge_agent.ledger.device_store import insert_device
from edge_agent.runtime import AgentRuntime, wall_clock_ms

log = logging.getLogger(__name__)

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
    result = await rt.pipeline.scan(
        body.code,
        lane=body.lane or rt.config.gate.default_lane,
        device_id=device.device_id,
        device_kind=body.device_kind or "network",
        direction=body.direction,
    )
    verdict = verdict_json(result)
    if not result.recorded:
        raise ApiError(
            503,
            "not_recorded",
            "the ledger could not store this scan; scan again",
            {"verdict": verdict},
        )
    return web.json_response(verdict)


@routes.get("/api/v1/status")
@requires(*ANY_ROLE)
@spec(response=Status)
async def get_status(request: web.Request) -> web.Response:
    """The agent at a glance: ledger, verdict counts, manifest, sync, lanes, printer."""
    return web.json_response(status_json(runtime_of(request)))


@routes.post("/api/v1/sync/now")
@requires(Role.SUPERVISOR)
@spec(response=SyncNow, also=[202], errors=[(409, "sync_disabled")])
async def post_sync_now(request: web.Request) -> web.Response:
    """Run a sync round at once (manifest + uploads, skipping any backoff wait)."""
    return await sync_now_response(runtime_of(request))


#: How long ``sync now`` waits for the round before answering 202 (it keeps running).
SYNC_NOW_WAIT_S = 10.0


async def sync_now_response(rt: AgentRuntime) -> web.Response:
    """Shared by the LAN route and the control socket."""
    if rt.sync is None:
        raise ApiError(
            409, "sync_disabled", "sync is off on this agent (sync.platform_url is empty)"
        )
    completed = await rt.sync.worker.sync_now(SYNC_NOW_WAIT_S)
    body: SyncNow = {"completed": completed, "sync": sync_json(rt, wall_clock_ms())}
    return web.json_response(body, status=200 if completed else 202)


@routes.post("/api/v1/pair")
@public
@spec(
    body=PairRequest,
    response=PairAnswer,
    status=201,
    errors=[(403, "invalid_pairing_code"), (429, "too_many_attempts"), (503, "not_recorded")],
)
async def post_pair(request: web.Request) -> web.Response:
    """Exchange a one-time code (shown by ``edge-agent pair``) for a device token."""
    rt = runtime_of(request)
    now = wall_clock_ms()
    client = request.remote or "unknown"
    if rt.pairing_limiter.blocked(client, now):
        raise ApiError(429, "too_many_attempts", "too many wrong pairing codes; wait a minute")
    body = await read_body(request, PairRequest)
    pending = rt.pairing.redeem(body.code, now)
    if pending is None:
        rt.pairing_limiter.fail(client, now)
        raise ApiError(403, "invalid_pairing_code", "unknown, used or expired pairing code")
    name = body.name or pending.name or f"{pending.role.value} device"
    device = Device(uuid7(now), name, pending.role, now)
    token = new_token()
    try:
        await persist_device(request, device, token)
    except LedgerError:
        raise ApiError(
            503, "not_recorded", "the agent could not store the pairing; ask for a new code"
        ) from None
    answer: PairAnswer = {
        "device_id": device.device_id,
        "role": device.role.value,
        "name": device.name,
        "token": token,
    }
    return web.json_response(answer, status=201)


async def persist_device(request: web.Request, device: Device, token: str) -> None:
    rt = runtime_of(request)
    digest = token_hash(token)
    await rt.writer.execute(
        lambda conn: insert_device(
            conn, device.device_id, device.name, device.role.value, digest, device.created_at_ms
        )
    )
    rt.devices.add(device, digest)
    log.info("device paired", extra={"device_id": device.device_id, "role": device.role.value})
