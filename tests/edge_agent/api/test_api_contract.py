"""The LAN API's contract, checked against the real app: every ``/api/v1`` route is in the
OpenAPI document (and nothing else is), the document is valid OpenAPI 3.1, real answers
match its schemas, the public routes are exactly an allow-list, and every other route
answers 401 without a token and 403 to each role it does not accept (one case per route,
taken from the real router, on a real agent over loopback)."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from demo.event import DemoEvent
from edge_agent.api.app import create_app
from edge_agent.api.auth import is_public, roles_of
from edge_agent.api.schema.openapi import api_routes
from edge_agent.api.schema.route_spec import operation_of
from edge_agent.config.loading import load_config
from edge_agent.devices.roles import Role
from tests.helpers import pair
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]
ROOT = REPO_ROOT

#: Routes anyone on the LAN may call, and why. Anything else public is a test failure.
PUBLIC = {
    ("POST", "/api/v1/pair"): "the pairing exchange: a device has no token before it",
    ("GET", "/api/v1/pair"): "the pairing QR's link: redirects to the page, holds nothing",
    ("GET", "/api/v1/openapi.json"): "the contract itself: no secrets",
    ("GET", "/api/v1/scans/ws"): "WebSocket: checks the token itself (header or first message)",
    ("GET", "/api/v1/boxoffice/ws"): "WebSocket: checks the token itself (header or message)",
    ("GET", "/boxoffice"): "the iPad page: static files, no data",
    ("GET", "/boxoffice/{name}"): "the iPad page: static files, no data",
    ("POST", "/api/v1/mesh/join"): "a box joining the venue: the body proves the join code",
    ("GET", "/trust/"): "how to trust the venue CA: read before anything can be trusted",
    ("GET", "/trust/venue-ca.crt"): "the venue CA's public certificate",
    ("GET", "/trust/venue-ca.mobileconfig"): "the same, as an Apple profile",
}


def _path(route: web.AbstractRoute) -> str:
    canonical = route.resource.canonical if route.resource is not None else ""
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", canonical)


def _table() -> list[tuple[str, str, frozenset[Role] | None]]:
    """(method, path, roles) of every protected /api/v1 route of the real app's router."""
    app = create_app(load_config(ROOT / "config.example.toml"))  # not started: routes only
    return [
        (r.method, _path(r), roles_of(r.handler))
        for r in api_routes(app)
        if not is_public(r.handler)
    ]


TABLE = _table()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


async def _document(client: Client) -> dict[str, Any]:
    resp = await client.get("/api/v1/openapi.json")  # no token: the contract is public
    assert resp.status == 200
    doc: dict[str, Any] = await resp.json()
    return doc


async def test_the_document_is_valid_openapi_and_lists_exactly_the_routes(
    client: Client,
) -> None:
    doc = await _document(client)
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    # one name, one type: a name given to two types comes out module-qualified
    assert not [n for n in doc["components"]["schemas"] if "." in n]
    served = {(r.method, _path(r)) for r in api_routes(client.app)}
    undeclared = sorted(
        (r.method, _path(r)) for r in api_routes(client.app) if operation_of(r.handler) is None
    )
    assert not undeclared, f"routes without @spec (so missing from the document): {undeclared}"
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == served
    assert {(m, p) for m, p, _ in TABLE} <= served  # the parametrised table is the real one
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            route = next(
                r for r in api_routes(client.app) if (r.method, _path(r)) == (method.upper(), path)
            )
            if is_public(route.handler):
                assert op["security"] == []
            else:
                assert "security" not in op  # the document's default: bearer
                assert op["x-roles"] == sorted(r.value for r in roles_of(route.handler) or ())
                assert "401" in op["responses"]
                assert ("403" in op["responses"]) == (roles_of(route.handler) != set(Role))
            assert "card_number_refused" in op["responses"]["422"]["description"]
            exempt = op.get("x-scanned-code-fields", [])
            assert exempt == (["code"] if path.startswith("/api/v1/scans") else []), path
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_the_public_routes_are_exactly_the_allow_list(client: Client) -> None:
    public = {(r.method, _path(r)) for r in client.app.router.routes() if is_public(r.handler)}
    public = {(m, p) for m, p in public if m != "HEAD"}
    assert public == set(PUBLIC)


async def test_every_protected_route_has_roles() -> None:
    assert TABLE, "no routes found"
    for method, path, roles in TABLE:
        assert roles, f"{method} {path} declares no roles (it would refuse everyone)"


@pytest.mark.parametrize(("method", "path", "roles"), TABLE, ids=[f"{m} {p}" for m, p, _ in TABLE])
async def test_a_route_refuses_no_token_and_each_role_it_does_not_accept(
    client: Client, method: str, path: str, roles: frozenset[Role] | None
) -> None:
    url = _concrete(path)
    for headers in ({}, {"Authorization": "Bearer gh_forged"}):
        resp = await client.request(method, url, headers=headers, json={})
        assert resp.status == 401, (method, path, headers, await resp.text())
        assert (await resp.json())["error"]["code"] == "unauthorized"
    for role in sorted(set(Role) - set(roles or ())):
        headers = await pair(client, role)
        resp = await client.request(method, url, headers=headers, json={})
        assert resp.status == 403, (method, path, role, await resp.text())
        body = await resp.json()
        assert body["error"]["code"] == "forbidden"
        assert role.value in body["error"]["message"]


def _validator(doc: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return jsonschema.Draft202012Validator(schema)


async def test_real_answers_match_their_documented_schemas(
    client: Client, event: DemoEvent
) -> None:
    doc = await _document(client)
    sup = await pair(client, Role.SUPERVISOR, "Sam")
    resp = await client.post("/api/v1/scans", json={"code": event.valid[0]}, headers=sup)
    verdict = await resp.json()
    answers: list[tuple[str, Any]] = [("Verdict", verdict)]
    for path, name in [
        ("/api/v1/status", "Status"),
        ("/api/v1/devices", "DeviceList"),
        (f"/api/v1/tickets/{verdict['ticket_id']}", "TicketDetail"),
        ("/api/v1/tickets?q=a", "TicketSearch"),
    ]:
        resp = await client.get(path, headers=sup)
        assert resp.status == 200, path
        answers.append((name, await resp.json()))
    resp = await client.post(
        "/api/v1/pairing-codes", json={"role": "scanner", "name": "x"}, headers=sup
    )
    answers.append(("PairingCode", await resp.json()))
    resp = await client.post(
        f"/api/v1/tickets/{verdict['ticket_id']}/override",
        json={"direction": "out", "reason": "left by the side door"},
        headers=sup,
    )
    answers.append(("OverrideVerdict", await resp.json()))
    resp = await client.post("/api/v1/scans", json={"code": 5}, headers=sup)
    answers.append(("ErrorBody", await resp.json()))
    for name, answer in answers:
        errors = [e.message for e in _validator(doc, name).iter_errors(answer)]
        assert not errors, (name, errors[:3])
    # and the check can fail: a verdict without its outcome is not a Verdict
    broken = {k: v for k, v in verdict.items() if k != "outcome"}
    assert list(_validator(doc, "Verdict").iter_errors(broken))


async def test_request_schemas_carry_their_limits(client: Client) -> None:
    doc = await _document(client)
    schemas = doc["components"]["schemas"]

    def deref(schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        return schemas[ref.rsplit("/", 1)[-1]] if ref else schema

    scan = schemas["ScanRequest"]
    assert scan["required"] == ["code"] and scan["additionalProperties"] is False
    assert scan["properties"]["code"]["maxLength"] == 4096
    direction = scan["properties"]["direction"]
    assert direction["default"] == "in"
    assert deref(direction)["enum"] == ["in", "out"]
    assert "null" not in str(direction)  # a default, but not nullable
    lane = scan["properties"]["lane"]["anyOf"]
    assert {"type": "null"} in lane and lane[0]["maxLength"] == 64
    assert "printable text" in lane[0]["description"]
    # stripped text: the limits apply after the strip, and the document still shows them
    reason = schemas["OverrideRequest"]["properties"]["reason"]
    assert (reason["minLength"], reason["maxLength"]) == (1, 200)
    # a sale's payment: a tagged union told apart by "method"
    payment = schemas["SaleBody"]["properties"]["payment"]
    assert payment["discriminator"]["propertyName"] == "method"
    assert set(payment["discriminator"]["mapping"]) == {"cash", "terminal", "comp"}
    assert schemas["TerminalBody"]["properties"]["last4"]["pattern"] == "^(?:[0-9]{4})$"
    # query structs are parameters, with their limits, not components
    assert "SalesQuery" not in schemas
    (limit,) = doc["paths"]["/api/v1/boxoffice/sales"]["get"]["parameters"]
    assert (limit["name"], limit["in"], limit["required"]) == ("limit", "query", False)
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)
    # answers: a NotRequired key is documented as optional
    assert "closed_at_ms" not in schemas["SessionView"]["required"]
    assert "session_id" in schemas["SessionView"]["required"]
