"""Pairing a device: ``POST /api/v1/pair`` exchanges a one-time code for a token, and
``GET /api/v1/pair?code=…`` (the URL the TUI's pairing QR encodes) opens the iPad page
with the code in its fragment. Codes are issued by ``devices`` (and the control socket).

Wrong codes are limited per address and in total (``devices/pairing_guard.py``); a
supervisor sees the lockout here (``/api/v1/pairing/lockout``) and in status, and lifts
it. A failed attempt is logged with its address, never with the code it tried.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

from aiohttp import web

from edge_agent.api.auth import public, requires
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import device_of, runtime_of
from edge_agent.api.schema.body_rules import Body, text
from edge_agent.api.schema.decoding import read_body, read_query
from edge_agent.api.schema.requests import PairRequest
from edge_agent.api.schema.responses import PairAnswer, PairingLockout
from edge_agent.api.schema.route_spec import spec
from edge_agent.api.views import lockout_json
from edge_agent.devices.pairing_guard import PairingRefusal
from edge_agent.devices.registry import Device
from edge_agent.devices.roles import Role
from edge_agent.devices.tokens import new_token, token_hash
from edge_agent.errors import LedgerError
from edge_agent.gate.verdict_json import iso_ms
from edge_agent.ids import uuid7
from edge_agent.ledger.device_store import insert_device
from edge_agent.runtime import AgentRuntime, wall_clock_ms

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


@routes.post("/api/v1/pair")
@public
@spec(
    body=PairRequest,
    response=PairAnswer,
    status=201,
    errors=[
        (403, "invalid_pairing_code"),
        (429, "too_many_attempts"),
        (429, "pairing_locked"),
        (503, "not_recorded"),
    ],
)
async def post_pair(request: web.Request) -> web.Response:
    """Exchange a one-time code (shown by ``edge-agent pair``) for a device token.

    The answer holds the token once and is sent with Cache-Control: no-store.
    """
    rt = runtime_of(request)
    body = await read_body(request, PairRequest)
    # From here to the failure count nothing awaits: concurrent guesses from one address
    # cannot all pass the check before the first of them is counted.
    now = wall_clock_ms()
    client = request.remote or "unknown"
    refusal = rt.pairing_guard.refusal(client, now)
    if refusal is PairingRefusal.LOCKED:
        raise ApiError(
            429,
            refusal.value,
            "pairing is locked after too many wrong codes; a supervisor can lift the lock",
        )
    if refusal is PairingRefusal.ADDRESS:
        raise ApiError(429, refusal.value, "too many wrong pairing codes; wait a minute")
    pending = rt.pairing.redeem(body.code, now)
    if pending is None:
        locked = rt.pairing_guard.fail(client, now)
        view = rt.pairing_guard.view(now)
        log.warning(  # the address and counts, never the code that was tried
            "wrong pairing code",
            extra={"client": client, "failures_last_minute": view.failures_last_minute},
        )
        if locked:
            log.error(
                "pairing locked: too many wrong codes from the network",
                extra={"locked_until": iso_ms(view.locked_until_ms or now)},
            )
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


def lift_lockout(rt: AgentRuntime, by: str) -> PairingLockout:
    rt.pairing_guard.lift()
    log.warning("pairing lockout lifted", extra={"by": by})
    return lockout_json(rt)


@routes.get("/api/v1/pairing/lockout")
@requires(Role.SUPERVISOR)
@spec(response=PairingLockout)
async def get_lockout(request: web.Request) -> web.Response:
    """Whether pairing is locked after too many wrong codes, and which addresses wait."""
    return web.json_response(lockout_json(runtime_of(request)))


@routes.post("/api/v1/pairing/lockout/lift")
@requires(Role.SUPERVISOR)
@spec(response=PairingLockout)
async def post_lift_lockout(request: web.Request) -> web.Response:
    """Open pairing again at once and forgive every address's wrong codes."""
    device = device_of(request)
    return web.json_response(lift_lockout(runtime_of(request), device.name))
