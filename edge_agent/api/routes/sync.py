"""The platform link for supervisors: ``POST /api/v1/sync/now`` runs a sync round at once,
and ``GET /api/v1/sync/conflicts`` fetches the platform's cross-agent conflicts report
through the agent's own sync client (the TUI never talks to the platform itself); with
a pretix link it lists the rows pretix disagreed with, which the uploader recorded."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edge_agent.api.auth import requires
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import runtime_of
from edge_agent.api.schema.responses import Conflict, ConflictReport, SyncNow
from edge_agent.api.schema.route_spec import spec
from edge_agent.api.views import iso_ms, sync_json
from edge_agent.devices.roles import Role
from edge_agent.runtime import AgentRuntime, wall_clock_ms
from sync.errors import PlatformError, SyncError

routes = web.RouteTableDef()


@routes.get("/api/v1/sync/conflicts")
@requires(Role.SUPERVISOR)
@spec(
    response=ConflictReport,
    errors=[(409, "sync_disabled"), (502, "platform_error"), (502, "platform_unreachable")],
)
async def get_conflicts(request: web.Request) -> web.Response:
    """The platform's cross-agent conflicts report (tickets first admitted at two gates)."""
    rt = runtime_of(request)
    if rt.sync is None:
        raise ApiError(
            409, "sync_disabled", "sync is off on this agent (sync.platform_url is empty)"
        )
    try:
        report = await rt.sync.conflicts()
    except PlatformError as exc:
        raise ApiError(502, "platform_error", f"the platform refused: {exc}") from None
    except SyncError as exc:
        raise ApiError(502, "platform_unreachable", f"cannot get the report: {exc}") from None
    answer: ConflictReport = {
        "event_id": rt.config.event.event_id,
        "fetched_at": iso_ms(wall_clock_ms()),
        "conflicts": [_conflict(c) for c in report],
    }
    return web.json_response(answer)


def _conflict(c: dict[str, Any]) -> Conflict:
    out: Conflict = {
        "ticket_id": c.get("ticket_id"),
        "admissions": [
            {
                "agent_id": a.get("agent_id"),
                "scan_id": a.get("scan_id"),
                "seq": a.get("seq"),
                "at": iso_ms(a["at_ms"]) if isinstance(a.get("at_ms"), int) else None,
            }
            for a in c.get("admissions") or []
            if isinstance(a, dict)
        ],
    }
    for key in ("reason", "detail"):  # a pretix link says what pretix answered
        if isinstance(c.get(key), str):
            out[key] = c[key]
    return out


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
