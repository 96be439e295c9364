"""Control-socket routes of the mesh: the venue tech on the box issues join codes, joins
this box to a venue, removes a member, leaves, and reads the mesh's status
(``edge-agent mesh …``)."""

from __future__ import annotations

from aiohttp import web

from edge_agent.api.errors import ApiError
from edge_agent.api.keys import RUNTIME_APP_KEY, RUNTIME_KEY
from edge_agent.api.routes.mesh import conflicts_json, join_code_json, mesh_of, remove_member
from edge_agent.api.schema.decoding import read_body
from edge_agent.api.schema.mesh import JoinAsk, LeaveAsk
from edge_agent.runtime import AgentRuntime

routes = web.RouteTableDef()


def _runtime(request: web.Request) -> AgentRuntime:
    return request.app[RUNTIME_APP_KEY][RUNTIME_KEY]


@routes.get("/control/mesh")
async def get_mesh(request: web.Request) -> web.Response:
    rt = _runtime(request)
    return web.json_response(mesh_of(rt).status() if rt.mesh is not None else None)


@routes.post("/control/mesh/join-codes")
async def post_join_code(request: web.Request) -> web.Response:
    return web.json_response(join_code_json(_runtime(request)), status=201)


@routes.post("/control/mesh/join")
async def post_join(request: web.Request) -> web.Response:
    from edge_agent.mesh.errors import JoinRefused, MeshError
    from edge_agent.mesh.membership import join

    body = await read_body(request, JoinAsk)
    try:
        answer = await join(mesh_of(_runtime(request)), body.via, body.code)
    except JoinRefused as exc:
        raise ApiError(409, exc.code, exc.message) from None
    except MeshError as exc:
        raise ApiError(409, "mesh_refused", str(exc)) from None
    return web.json_response(answer)


@routes.post("/control/mesh/members/{name}/remove")
async def post_remove(request: web.Request) -> web.Response:
    return web.json_response(await remove_member(_runtime(request), request.match_info["name"]))


@routes.post("/control/mesh/leave")
async def post_leave(request: web.Request) -> web.Response:
    from edge_agent.mesh.errors import MeshError
    from edge_agent.mesh.membership import leave

    body = await read_body(request, LeaveAsk)
    try:
        return web.json_response(await leave(mesh_of(_runtime(request)), force=body.force))
    except MeshError as exc:
        raise ApiError(409, "mesh_refused", str(exc)) from None


@routes.get("/control/mesh/conflicts")
async def get_conflicts(request: web.Request) -> web.Response:
    return web.json_response(await conflicts_json(_runtime(request)))
