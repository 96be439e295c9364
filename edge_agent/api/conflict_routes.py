"""``GET /api/v1/sync/conflicts``: the platform's cross-agent conflicts report, fetched
through the agent's own sync client (the TUI never talks to the platform itself)."""

from __future__ import annotations

from aiohttp import web

from edge_agent.api.auth import requires
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import runtime_of
from edge_agent.api.response_types import ConflictReport
from edge_agent.api.route_spec import spec
from edge_agent.api.views import iso_ms
from edge_agent.devices.roles import Role
from edge_agent.runtime import wall_clock_ms
from sync.errors import PlatformError, SyncError

conflict_routes = web.RouteTableDef()


@conflict_routes.get("/api/v1/sync/conflicts")
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
        "conflicts": [
            {
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
            for c in report
        ],
    }
    return web.json_response(answer)
