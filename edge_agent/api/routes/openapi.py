"""``GET /api/v1/openapi.json``: the LAN API's contract, generated from the live router."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edge_agent.api.auth import public
from edge_agent.api.schema.openapi import API_PREFIX, openapi_document
from edge_agent.api.schema.route_spec import spec

routes = web.RouteTableDef()


@routes.get(f"{API_PREFIX}/openapi.json")
@public  # the contract holds no secrets; a client reads it before it is paired
@spec(response=dict[str, Any])
async def get_openapi(request: web.Request) -> web.Response:
    """This document: the LAN API in OpenAPI 3.1, generated from the routes' declarations."""
    return web.json_response(openapi_document(request.app))
