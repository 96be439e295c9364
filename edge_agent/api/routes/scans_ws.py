"""``GET /api/v1/scans/ws``: phones and browser scanners stream codes, get verdicts back.

A phone at a lane keeps one socket open instead of a request per ticket. Authentication is
the LAN API's: ``Authorization: Bearer <token>`` on the upgrade, or — for browsers, which
cannot set that header on a WebSocket — a first message ``{"auth": "<token>"}``. The role
must be allowed to scan (scanner, supervisor), as for ``POST /api/v1/scans``.

Each message ``{"code": "…"}`` (the same fields as POST's body) gets exactly one answer: the
verdict, in POST's shape, or POST's error body. When the lane named by ``?lane=ID``
(default: ``[gate] default_lane``) has a ``websocket`` input, the code goes through that
lane — debounced, with the lane's direction, shown on its lights — otherwise it is judged
exactly like a POST (the message may then name ``lane`` and ``direction``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import WSMsgType, web

from edge_agent.api.auth import public
from edge_agent.api.card_guard import refuse_card_number, scanned_code_fields
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import runtime_of
from edge_agent.api.language import language_of
from edge_agent.api.message_rate import TokenBucket
from edge_agent.api.open_sockets import open_socket
from edge_agent.api.routes.scans import request_reused
from edge_agent.api.schema.decoding import decode_json, read_query
from edge_agent.api.schema.requests import ScanMessage, ScanSocketQuery
from edge_agent.api.schema.route_spec import spec
from edge_agent.api.socket_auth import (
    SocketAuth,
    authenticate,
    close_revoked,
    header_device,
    still_allowed,
    ws_error,
)
from edge_agent.devices.registry import Device
from edge_agent.gate.lanes import SCANNING_ROLES
from edge_agent.gate.request_ids import RequestReused
from edge_agent.gate.verdict_json import answer_json
from edge_agent.runtime import AgentRuntime

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

LaneAnswer = Callable[[str, str, str | None], Awaitable[Mapping[str, object]]]

#: WebSocket close code for a lane with no room (4000-4999: application); an unknown or
#: revoked device is closed with ``socket_auth.CLOSE_UNAUTHORIZED``.
CLOSE_FULL = 4429
_AUTH = SocketAuth(
    roles=SCANNING_ROLES,
    refusal="unknown or revoked device token, or its role may not submit scans",
    name="scan",
)


@routes.get("/api/v1/scans/ws")
@public  # authenticates itself: the header, or a first message (see the module docstring)
@spec(
    query=ScanSocketQuery,
    websocket=True,
    checks_roles=SCANNING_ROLES,
    status=101,
    errors=[(401, "unauthorized")],
    scanned_code_fields=["code"],  # of each message, as for POST /api/v1/scans
)
async def scans_ws(request: web.Request) -> web.StreamResponse:
    """A WebSocket for phones and browser scanners: a code in, a verdict out, per message.

    Authenticate with the Authorization header or a first message {"auth": "<token>"};
    each message has POST /api/v1/scans's fields and is answered with its verdict or error.
    """
    rt = runtime_of(request)
    lane_id = read_query(request, ScanSocketQuery).lane or None  # before the upgrade
    device = header_device(request, rt, _AUTH)  # a bad header is refused before the upgrade
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=rt.config.api.ws_max_message_bytes)
    await ws.prepare(request)
    with open_socket(request, ws):  # closed at once when the agent shuts down
        language = language_of(request, lane_id or rt.config.gate.default_lane)
        await _session(request, rt, ws, device, lane_id, scanned_code_fields(request), language)
    return ws


async def _session(
    request: web.Request,
    rt: AgentRuntime,
    ws: web.WebSocketResponse,
    device: Device | None,
    lane_id: str | None,
    exempt: frozenset[str],
    language: str,
) -> None:
    device = await authenticate(request, rt, ws, device, _AUTH)
    if device is None:
        return
    lane = rt.lanes.lane(lane_id or rt.config.gate.default_lane)
    ws_input = lane.websocket() if lane is not None else None
    if ws_input is None:
        await _serve(rt, ws, device, lane_id, None, exempt, language)
        return
    with ws_input.attach() as admitted:
        if not admitted:
            await ws.send_json(ws_error("too_many_clients", "too many clients on this lane"))
            await ws.close(code=CLOSE_FULL, message=b"full")
            return
        await _serve(rt, ws, device, lane_id, ws_input.answer, exempt, language)


async def _serve(
    rt: AgentRuntime,
    ws: web.WebSocketResponse,
    device: Device,
    lane_id: str | None,
    through_lane: LaneAnswer | None,
    exempt: frozenset[str],
    language: str,
) -> None:
    per_s = rt.config.api.ws_messages_per_s
    rate = TokenBucket(per_s, 2 * per_s, time.monotonic())
    async for msg in ws:
        if not still_allowed(rt, device):  # revoked while connected
            await close_revoked(ws)
            return
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            continue
        if not rate.take(time.monotonic()):
            await ws.send_json(
                ws_error("too_many_messages", f"at most {per_s:g} messages a second; not judged")
            )
            continue
        if msg.type is WSMsgType.BINARY:
            await ws.send_json(ws_error("invalid_request", "send text frames of JSON"))
            continue
        try:
            answer = await _answer(rt, msg.data, device, lane_id, through_lane, exempt, language)
        except ApiError as exc:
            answer = {"error": {"code": exc.code, "message": exc.message}, **exc.extra}
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scan websocket: judging failed")
            answer = ws_error("internal_error", "internal error; see the agent's log")
        await ws.send_json(answer)


async def _answer(
    rt: AgentRuntime,
    data: str,
    device: Device,
    lane_id: str | None,
    through_lane: LaneAnswer | None,
    exempt: frozenset[str],
    language: str,
) -> Mapping[str, object]:
    refuse_card_number(data, exempt)  # before anything parses, judges or logs it
    body = decode_json(
        data,
        ScanMessage,
        not_json='send {"code": "…"} as JSON',
        not_object="each message must be a JSON object",
    )
    if through_lane is not None:
        answer: Mapping[str, object] = await through_lane(
            body.code, device.device_id, body.request_id
        )
        return answer
    try:
        result = await rt.pipeline.scan(
            body.code,
            lane=lane_id or body.lane or rt.config.gate.default_lane,
            device_id=device.device_id,
            device_kind=body.device_kind or "websocket",
            direction=body.direction,
            request_id=body.request_id,
        )
    except RequestReused as exc:
        raise request_reused(exc) from None
    return answer_json(result, language)
