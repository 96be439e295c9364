"""``GET /api/v1/openapi.json``: the LAN API's OpenAPI 3.1 document, made from the code.

Why generated: a hand-written document drifts. This walks the running app's router and
reads what each handler declares — roles (``@requires``/``@public``), request, query and
response types and error codes (``@spec``) — so a route is documented exactly as it is
served. The schemas are msgspec's own JSON Schema of the very structs it decodes with and
of the answers' TypedDicts (``msgspec.json.schema_components``), one named component
each. A route without ``@spec`` is left out, and a test fails for it. Public: it holds no
secrets, and a client needs it before pairing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import msgspec
from aiohttp import web

from edge_agent import __version__
from edge_agent.api.auth import is_public, roles_of
from edge_agent.api.card_guard import CODE as CARD_CODE
from edge_agent.api.schema.responses import ErrorBody
from edge_agent.api.schema.route_spec import Operation, operation_of
from edge_agent.devices.roles import Role

API_PREFIX = "/api/v1"
_REF = "#/components/schemas/{name}"

JsonSchema = dict[str, Any]


_BODY_ERRORS = (
    (400, "invalid_json"),
    (413, "body_too_large"),
    (415, "unsupported_media_type"),
    (422, "invalid_request"),
    (422, "unknown_field"),
)
_SUCCESS = {101: "Switching Protocols", 200: "OK", 201: "Created", 202: "Accepted", 302: "Found"}


def api_routes(app: web.Application) -> list[web.AbstractRoute]:
    """The app's ``/api/v1`` routes (aiohttp's automatic HEAD twins left out)."""
    return [
        r
        for r in app.router.routes()
        if r.method != "HEAD" and _path_of(r).startswith(f"{API_PREFIX}/")
    ]


def _path_of(route: web.AbstractRoute) -> str:
    resource = route.resource
    canonical = resource.canonical if resource is not None else ""
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", canonical)  # {name:regex} → {name}


class _Schemas:
    """Every type the document names, turned into JSON Schema by msgspec in one call."""

    def __init__(self, ops: list[Operation]) -> None:
        types: list[Any] = [ErrorBody]
        for op in ops:
            types += [t for t in (op.body, op.query, op.response) if t is not None]
        self.types = list(dict.fromkeys(types))  # each once, in order
        refs, self.components = msgspec.json.schema_components(
            self.types, schema_hook=_object_hook, ref_template=_REF
        )
        self.refs: dict[Any, JsonSchema] = dict(zip(self.types, refs, strict=True))
        self.queries = {op.query for op in ops if op.query is not None}

    def of(self, tp: Any) -> JsonSchema:
        return self.refs[tp]

    def query_parameters(self, query: type) -> list[dict[str, Any]]:
        """A query struct's fields as OpenAPI parameters (its component then goes)."""
        name = self.refs[query]["$ref"].rsplit("/", 1)[-1]
        component = self.components[name]
        required = set(component.get("required", ()))
        params = []
        for field, schema in component["properties"].items():
            param = {"name": field, "in": "query", "required": field in required}
            notes = [
                s["description"] for s in (schema, *schema.get("anyOf", ())) if "description" in s
            ]
            if notes:  # (of ``X | None``: on the X)
                param["description"] = notes[0]
            params.append({**param, "schema": schema})
        return params

    def named(self) -> dict[str, JsonSchema]:
        """The components a ``$ref`` points at: the query structs are parameters instead."""
        queries = {self.refs[q]["$ref"].rsplit("/", 1)[-1] for q in self.queries}
        return {n: s for n, s in sorted(self.components.items()) if n not in queries}


def _object_hook(tp: Any) -> JsonSchema:
    """``object`` in an answer (``dict[str, object]``): any JSON value (msgspec wants a
    non-empty schema back, so it says so)."""
    if tp is object:
        return {"description": "any JSON value"}
    raise NotImplementedError


def openapi_document(app: web.Application) -> dict[str, Any]:
    declared = [
        (route, op) for route in api_routes(app) if (op := operation_of(route.handler)) is not None
    ]
    schemas = _Schemas([op for _, op in declared])
    error_ref = schemas.of(ErrorBody)
    paths: dict[str, dict[str, Any]] = defaultdict(dict)
    ids: set[str] = set()
    for route, op in declared:
        path = _path_of(route)
        op_id = route.handler.__name__
        while op_id in ids:
            op_id += "_"
        ids.add(op_id)
        paths[path][route.method.lower()] = _operation(route, op, path, op_id, schemas, error_ref)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Gatehouse edge agent LAN API",
            "version": __version__,
            "description": 'Every error is {"error": {"code", "message"}} (docs/api.md). '
            "x-roles names the device roles an operation accepts.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas.named(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a paired device's token (POST /api/v1/pair)",
                }
            },
        },
        "security": [{"bearer": []}],
    }


def _operation(
    route: web.AbstractRoute,
    op: Operation,
    path: str,
    op_id: str,
    schemas: _Schemas,
    error_ref: JsonSchema,
) -> dict[str, Any]:
    public_route = is_public(route.handler)
    roles = op.checks_roles if public_route else roles_of(route.handler)
    out: dict[str, Any] = {"operationId": op_id, "summary": op.summary or op_id}
    if op.description:
        out["description"] = op.description
    out["x-roles"] = sorted(r.value for r in roles or ())
    if public_route:
        out["security"] = []  # no token needed (or, for a WebSocket, checked in-band)
    if op.websocket:
        out["x-websocket"] = True
    if op.scanned_code_fields:  # never refused as card numbers (docs/api.md)
        out["x-scanned-code-fields"] = sorted(op.scanned_code_fields)
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{(\w+)\}", path)
    ]
    if op.query is not None:
        params += schemas.query_parameters(op.query)
    if params:
        out["parameters"] = params
    errors = set(op.errors) | {(422, CARD_CODE)}
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.of(op.body)}},
        }
        errors |= set(_BODY_ERRORS)
    if op.query is not None:
        errors |= {(422, "invalid_request"), (422, "unknown_field")}
    if not public_route:
        errors.add((401, "unauthorized"))
        if roles != frozenset(Role):  # a route open to every role never answers forbidden
            errors.add((403, "forbidden"))
    success: dict[str, Any] = {"description": _SUCCESS.get(op.status, "success")}
    if op.redirect:
        success["headers"] = {"Location": {"schema": {"type": "string"}}}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": schemas.of(op.response)}}
    responses: dict[str, Any] = {str(op.status): success}
    for status in op.also:
        responses[str(status)] = {**success, "description": _SUCCESS.get(status, "success")}
    by_status: dict[int, list[str]] = defaultdict(list)
    for status, code in sorted(errors):
        by_status[status].append(code)
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = {
            "description": "error: " + ", ".join(codes),
            "content": {"application/json": {"schema": _error_schema(error_ref, codes)}},
        }
    out["responses"] = responses
    return out


def _error_schema(error_ref: JsonSchema, codes: list[str]) -> JsonSchema:
    return {
        "allOf": [
            error_ref,
            {"properties": {"error": {"properties": {"code": {"enum": codes}}}}},
        ]
    }
