"""What each ``/api/v1`` route takes and answers, recorded on its handler.

Why: the OpenAPI document (``schema/openapi.py``) is generated from the running app's router,
so the contract cannot drift from the code. Each handler carries, in one stack of
decorators, its roles (``@requires``/``@public`` in ``api/auth.py``) and ``@spec(…)``:
request schema, query schema, response type, success status and the error codes it may
answer with (beyond the ones every route can answer). A test walks the router and fails
for a route without a spec. Example::

    @routes.post("/api/v1/boxoffice/sessions")
    @requires(Role.BOX_OFFICE, Role.SUPERVISOR)
    @spec(body=OpenSession, response=SessionView, status=201, errors=[(409, "session_open")])
    async def post_session(request: web.Request) -> web.Response: ...
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from edge_agent.devices.roles import Role

_SPEC_ATTR = "__gatehouse_spec__"

H = TypeVar("H", bound=Callable[..., object])


@dataclass(frozen=True, slots=True)
class Operation:
    summary: str
    description: str
    body: type | None  # a ``Body`` struct (``body_rules.py``)
    query: type | None  # a ``Body`` struct whose fields are the query parameters
    response: Any  # a TypedDict (``responses.py``); None for no JSON body
    status: int
    #: Other success statuses with the same body (``sync/now``: 202 when still running).
    also: tuple[int, ...]
    errors: tuple[tuple[int, str], ...]
    websocket: bool
    #: Roles a public route checks itself (the WebSockets authenticate in-band).
    checks_roles: frozenset[Role] | None
    redirect: bool
    #: Top-level fields of the body (of each message, for a WebSocket) that hold a scanned
    #: ticket code: their text is never refused as a card number (``api/card_guard.py``).
    scanned_code_fields: frozenset[str]


def spec(
    *,
    body: type | None = None,
    query: type | None = None,
    response: Any = None,
    status: int = 200,
    also: Iterable[int] = (),
    errors: Iterable[tuple[int, str]] = (),
    websocket: bool = False,
    checks_roles: Iterable[Role] | None = None,
    redirect: bool = False,
    scanned_code_fields: Iterable[str] = (),
) -> Callable[[H], H]:
    """Record a route's contract on its handler (summary and description: its docstring).

    ``scanned_code_fields``: only for a field whose text is a scanned ticket code, which
    is judged, stored as its SHA-256 and never logged. A numeric ticket barcode (EAN-13,
    a partner's 16–19 digits) passes the card-number test one time in ten, and a gate
    must never refuse a real ticket as a card; every other field is still checked.
    """
    exempt = frozenset(scanned_code_fields)
    known = None
    if isinstance(body, type) and issubclass(body, msgspec.Struct):
        known = {f.name for f in msgspec.structs.fields(body)}
    if known is not None and not exempt <= known:
        raise TypeError(f"scanned_code_fields {sorted(exempt - known)} are not fields of {body}")

    def mark(handler: H) -> H:
        doc = inspect.getdoc(handler) or ""
        summary, _, rest = doc.partition("\n")
        op = Operation(
            summary=summary.strip(),
            description=" ".join(rest.split()),
            body=body,
            query=query,
            response=response,
            status=status,
            also=tuple(also),
            errors=tuple(sorted(set(errors))),
            websocket=websocket,
            checks_roles=frozenset(checks_roles) if checks_roles is not None else None,
            redirect=redirect,
            scanned_code_fields=exempt,
        )
        setattr(handler, _SPEC_ATTR, op)
        return handler

    return mark


def operation_of(handler: object) -> Operation | None:
    op = getattr(handler, _SPEC_ATTR, None)
    return op if isinstance(op, Operation) else None
