"""The venue mesh over the LAN: the member list devices fail over with, join codes and
removal (supervisor), the join itself (authenticated by the join code's proof), and the
conflicts found while the cluster was split. The control socket offers the same calls
to the venue tech on the box (``routes/control_mesh.py``); both use the functions here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from edge_agent.api.auth import public, requires
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import runtime_of
from edge_agent.api.schema.decoding import read_body
from edge_agent.api.schema.mesh import (
    ConflictList,
    ConflictView,
    JoinAnswer,
    JoinBody,
    JoinCode,
    MeshMembers,
    Removed,
)
from edge_agent.api.schema.route_spec import spec
from edge_agent.api.views import iso_ms
from edge_agent.devices.roles import ANY_ROLE, Role
from edge_agent.runtime import AgentRuntime, wall_clock_ms

routes = web.RouteTableDef()

if TYPE_CHECKING:  # the mesh is imported only by boxes that have one
    from edge_agent.mesh.service import MeshService


def mesh_of(rt: AgentRuntime) -> MeshService:
    if rt.mesh is None:
        raise ApiError(404, "mesh_not_enabled", "this box is not in a mesh ([mesh] enabled)")
    return rt.mesh


def members_json(rt: AgentRuntime) -> MeshMembers:
    mesh = mesh_of(rt)
    status = mesh.status()
    return {
        "self": mesh.me,
        "quorum": bool(status["quorum"]),
        "members": [
            {"name": m["name"], "gate": m["gate"], "api": m["api"], "up": m["up"]}
            for m in status["members"]
        ],
    }


def join_code_json(rt: AgentRuntime) -> JoinCode:
    mesh = mesh_of(rt)
    code, expires = mesh.codes.issue(wall_clock_ms())
    return {"code": code, "expires_at": iso_ms(expires), "via": mesh.api_url}


async def remove_member(rt: AgentRuntime, name: str) -> Removed:
    from edge_agent.mesh.errors import MeshError
    from edge_agent.mesh.membership import remove

    try:
        answer = await remove(mesh_of(rt), name)
    except MeshError as exc:
        raise ApiError(409, "mesh_refused", str(exc)) from None
    return {"removed": str(answer["removed"]), "members": list(answer["members"])}


async def conflicts_json(rt: AgentRuntime, limit: int = 100) -> ConflictList:
    from edge_agent.ledger.mesh_tables import conflicts

    mesh = mesh_of(rt)
    rows = await mesh.read(lambda c: conflicts(c, limit))

    def view(r: Any) -> ConflictView:
        return {
            "ticket_id": r.ticket_id,
            "agent_id": r.agent_id,
            "member": r.member,
            "gate_id": r.gate_id,
            "at": iso_ms(r.at_ms),
            "scan_id": r.scan_id,
            "winner_agent_id": r.winner_agent_id,
            "winner_member": r.winner_member,
            "winner_gate": r.winner_gate,
            "winner_at": iso_ms(r.winner_at_ms),
            "found_at": iso_ms(r.found_at_ms),
        }

    return {"conflicts": [view(r) for r in rows]}


@routes.get("/api/v1/mesh")
@requires(*ANY_ROLE)
@spec(response=MeshMembers, errors=[(404, "mesh_not_enabled")])
async def get_mesh(request: web.Request) -> web.Response:
    """The venue's boxes (name, gate, LAN API, up): where a device goes when its own box
    stops answering. A device paired at any member works at every member."""
    return web.json_response(members_json(runtime_of(request)))


@routes.post("/api/v1/mesh/join-codes")
@requires(Role.SUPERVISOR)
@spec(response=JoinCode, status=201, errors=[(404, "mesh_not_enabled")])
async def post_join_code(request: web.Request) -> web.Response:
    """A one-time code a new box joins the venue with (as ``edge-agent mesh code``)."""
    return web.json_response(join_code_json(runtime_of(request)), status=201)


@routes.delete("/api/v1/mesh/members/{name}")
@requires(Role.SUPERVISOR)
@spec(response=Removed, errors=[(404, "mesh_not_enabled"), (409, "mesh_refused")])
async def delete_member(request: web.Request) -> web.Response:
    """Remove a box from the venue: its certificate pin and NKEYs leave every member's
    config, so it can no longer connect. Only for a box that is gone for good."""
    name = request.match_info["name"]
    return web.json_response(await remove_member(runtime_of(request), name))


@routes.get("/api/v1/mesh/conflicts")
@requires(Role.SUPERVISOR, Role.BOX_OFFICE)
@spec(response=ConflictList, errors=[(404, "mesh_not_enabled")])
async def get_conflicts(request: web.Request) -> web.Response:
    """Tickets admitted at two gates while the venue's boxes could not see each other;
    both admissions are kept in the ledgers and reported to the platform."""
    return web.json_response(await conflicts_json(runtime_of(request)))


@routes.post("/api/v1/mesh/join")
@public  # the body proves the join code (an HMAC under a key only the code gives)
@spec(
    body=JoinBody,
    response=JoinAnswer,
    errors=[
        (403, "invalid_join_code"),
        (404, "mesh_not_enabled"),
        (409, "name_taken"),
        (422, "invalid_request"),
        (429, "too_many_attempts"),
        (503, "mesh_unavailable"),
    ],
)
async def post_join(request: web.Request) -> web.Response:
    """A box joins the venue with a one-time code; the answer is sealed with a key only
    that code gives (the roster, the venue CA and the new box's certificate)."""
    from edge_agent.mesh.errors import JoinRefused, MeshUnavailable
    from edge_agent.mesh.membership import admit

    body = await read_body(request, JoinBody)
    mesh = mesh_of(runtime_of(request))
    status = {"invalid_join_code": 403, "too_many_attempts": 429, "name_taken": 409}
    try:
        answer = await admit(mesh, {"request": body.request, "proof": body.proof})
    except JoinRefused as exc:
        raise ApiError(status.get(exc.code, 422), exc.code, exc.message) from None
    except MeshUnavailable as exc:
        raise ApiError(503, "mesh_unavailable", str(exc)) from None
    return web.json_response(answer)
