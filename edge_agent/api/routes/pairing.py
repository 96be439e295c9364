"""Pairing a device: ``POST /api/v1/pair`` exchanges a one-time code for a token, and
``GET /api/v1/pair?code=…`` (the URL the TUI's pairing QR encodes) opens the iPad page
with the code in its fragment. Codes are issued by ``devices`` (and the control socket).
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

from aiohttp import web

from edge_agent.api.auth import public
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import runtime_of
from edge_agent.api.schema.body_rules import Body, text
from edge_agent.api.schema.decoding import read_body, read_query
from edge_agent.api.schema.requests import PairRequest
from edge_agent.api.schema.responses import PairAnswer
from edge_agent.api.schema.route_spec import spec
from edge_agent.devices.registry import Device
from edge_agent.devices.tokens import new_token, token_hash
from edge_agent.errors import LedgerError
from edge_agent.ids import uuid7
from edge_agent.ledger.device_store import insert_device
from edge_agent.runtime import wall_clock_ms

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


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


class PairLinkQuery(Body, frozen=True):
    """``GET /api/v1/pair?code=…``: the one-time code of the TUI's pairing QR."""

    code: Annotated[
        str,
        text(
            min_len=1,
            max_len=32,
            pattern=r"[A-Za-z0-9-]+",
            strip=True,
            description="a one-time pairing code (edge-agent pair, the TUI's Devices screen)",
        ),
    ]


@routes.get("/api/v1/pair")
@public  # the code is not redeemed here: the page does that with POST /api/v1/pair
@spec(query=PairLinkQuery, status=302, redirect=True, errors=[(422, "invalid_request")])
async def get_pair_link(request: web.Request) -> web.StreamResponse:
    """Open the iPad sales page with a pairing code (the URL the TUI's pairing QR encodes).

    Redirects to /boxoffice/#pair=CODE; the page exchanges the code with POST /api/v1/pair
    and keeps the token. The code moves into the fragment, which no server or log sees.
    """
    code = read_query(request, PairLinkQuery).code
    raise web.HTTPFound(f"/boxoffice/#pair={quote(code, safe='')}")
