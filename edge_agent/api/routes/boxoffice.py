"""Box-office routes (``/api/v1/boxoffice``): figures, sessions, sales, voids, reprints,
leases. Thin: check the body (``schema/boxoffice.py``), call ``runtime.boxoffice``, shape
the answer. Each ``BoxOfficeError`` code maps to one HTTP status here, and only here.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from edge_agent.api.auth import requires
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import device_of, runtime_of
from edge_agent.api.schema.boxoffice import (
    CashBody,
    CloseAnswer,
    CloseSessionBody,
    CompBody,
    FiguresView,
    LeaseAnswer,
    LeaseBody,
    OpenSessionBody,
    PrintAnswer,
    PrintBody,
    ReceiptView,
    ReturnAnswer,
    SaleBody,
    SalesList,
    SalesQuery,
    SessionView,
    VoidBody,
)
from edge_agent.api.schema.decoding import read_body, read_query
from edge_agent.api.schema.route_spec import spec
from edge_agent.boxoffice.sale_request import SaleRequest, request_sha256
from edge_agent.boxoffice.service import BoxOffice
from edge_agent.devices.roles import Role
from edge_agent.domain.sale import (
    CashPayment,
    CompPayment,
    LineItem,
    Payment,
    TerminalPayment,
)
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.errors import BoxOfficeError

routes = web.RouteTableDef()

#: The HTTP status of each refusal (``docs/api.md``).
STATUS: dict[SaleCode, int] = {
    SaleCode.INVALID_REQUEST: 422,
    SaleCode.CARD_NUMBER_REFUSED: 422,
    SaleCode.INSUFFICIENT_TENDER: 422,
    SaleCode.UNKNOWN_TICKET_TYPE: 404,
    SaleCode.UNKNOWN_SALE: 404,
    SaleCode.UNKNOWN_TICKET: 404,
    SaleCode.UNKNOWN_LEASE: 404,
    SaleCode.COMP_NEEDS_SUPERVISOR: 403,
    SaleCode.NO_PRICE: 409,
    SaleCode.NOT_ENOUGH_LEASED: 409,
    SaleCode.LEASE_EXPIRED: 409,
    SaleCode.NO_SESSION: 409,
    SaleCode.SESSION_OPEN: 409,
    SaleCode.SESSION_CLOSED: 409,
    SaleCode.REQUEST_REUSED: 409,
    SaleCode.ALREADY_VOIDED: 409,
    SaleCode.LEASE_RETURNED: 409,
    SaleCode.SOLD_OUT: 409,
    SaleCode.BOX_OFFICE_DISABLED: 409,
    SaleCode.PLATFORM_REFUSED: 502,
    SaleCode.PLATFORM_UNREACHABLE: 503,
    SaleCode.PRINTER_UNAVAILABLE: 503,
    SaleCode.NOT_RECORDED: 503,
    SaleCode.CLOCK_UNKNOWN: 503,
}

_TILL = (Role.BOX_OFFICE, Role.SUPERVISOR)


def api_error(exc: BoxOfficeError) -> ApiError:
    extra = {k: v for k, v in exc.detail.items() if k in ("sellable", "ticket_type", "sale_id")}
    return ApiError(STATUS[exc.code], exc.code.value, exc.message, extra or None)


def _office(request: web.Request) -> BoxOffice:
    return runtime_of(request).boxoffice


def _json(doc: Any, status: int = 200) -> web.Response:
    return web.json_response(doc, status=status)


@routes.get("/api/v1/boxoffice")
@requires(*_TILL)
@spec(response=FiguresView)
async def get_figures(request: web.Request) -> web.Response:
    """What the counter shows: types, prices, sellable seats, sold and scanned, the till."""
    return _json(await _office(request).figures(device_of(request).device_id))


@routes.post("/api/v1/boxoffice/sessions")
@requires(*_TILL)
@spec(body=OpenSessionBody, response=SessionView, status=201, errors=[(409, "session_open")])
async def post_session(request: web.Request) -> web.Response:
    """Open this device's till with an operator name and a cash float."""
    body = await read_body(request, OpenSessionBody)
    try:
        session = await _office(request).open_session(
            device_of(request).device_id, body.operator, body.float_cents
        )
    except BoxOfficeError as exc:
        raise api_error(exc) from None
    return _json(session, 201)


@routes.post("/api/v1/boxoffice/sessions/current/close")
@requires(*_TILL)
@spec(body=CloseSessionBody, response=CloseAnswer, errors=[(409, "no_session")])
async def post_session_close(request: web.Request) -> web.Response:
    """Close this device's till with the counted cash; answers the difference."""
    body = await read_body(request, CloseSessionBody)
    try:
        answer = await _office(request).close_session(
            device_of(request).device_id, body.counted_cents
        )
    except BoxOfficeError as exc:
        raise api_error(exc) from None
    return _json(answer)


def _payment(body: SaleBody) -> Payment:
    p = body.payment
    if isinstance(p, CashBody):
        return CashPayment(p.tendered_cents)
    if isinstance(p, CompBody):
        return CompPayment(p.reason, p.supervisor)
    return TerminalPayment(p.brand, p.last4, p.auth_ref, p.terminal_id)


@routes.post("/api/v1/boxoffice/sales")
@requires(*_TILL)
@spec(
    body=SaleBody,
    response=ReceiptView,
    status=201,
    errors=[
        (403, "comp_needs_supervisor"),
        (404, "unknown_ticket_type"),
        (409, "no_session"),
        (409, "not_enough_leased"),
        (409, "lease_expired"),
        (409, "no_price"),
        (409, "request_reused"),
        (422, "insufficient_tender"),
        (422, "card_number_refused"),
        (503, "not_recorded"),
        (503, "clock_unknown"),
    ],
)
async def post_sale(request: web.Request) -> web.Response:
    """Sell tickets; 201 only once the sale is durable (200: a repeated request_id).

    The tickets are GH1 codes signed with the agent's certified key, taken from this
    agent's leases; a print failure is a warning, never a failed sale."""
    body = await read_body(request, SaleBody)
    doc = json.loads(await request.read())  # valid JSON: msgspec has just read it
    device = device_of(request)
    if isinstance(body.payment, CompBody) and device.role is not Role.SUPERVISOR:
        raise ApiError(403, "comp_needs_supervisor", "a comp needs a supervisor's device")
    customer = body.customer
    sale = SaleRequest(
        request_id=body.request_id,
        request_sha256=request_sha256(doc),
        items=tuple(LineItem(i.ticket_type, i.quantity) for i in body.items),
        payment=_payment(body),
        customer_name=(customer.name or None) if customer else None,
        customer_email=customer.email if customer else None,
        delivery=body.delivery,
    )
    try:
        receipt, created = await _office(request).sell(device.device_id, sale)
    except BoxOfficeError as exc:
        raise api_error(exc) from None
    return _json(receipt, 201 if created else 200)


@routes.get("/api/v1/boxoffice/sales")
@requires(*_TILL)
@spec(query=SalesQuery, response=SalesList)
async def get_sales(request: web.Request) -> web.Response:
    """Recent sales: this device's open session first, newest first."""
    query = read_query(request, SalesQuery)
    office = _office(request)
    return _json({"sales": office.receipts(device_of(request).device_id, query.limit)})


@routes.get("/api/v1/boxoffice/sales/{sale_id}")
@requires(*_TILL)
@spec(response=ReceiptView, errors=[(404, "unknown_sale")])
async def get_sale(request: web.Request) -> web.Response:
    """One sale's receipt, with its tickets' codes and QR images."""
    try:
        return _json(_office(request).receipt(request.match_info["sale_id"]))
    except BoxOfficeError as exc:
        raise api_error(exc) from None


@routes.post("/api/v1/boxoffice/sales/{sale_id}/void")
@requires(*_TILL)
@spec(
    body=VoidBody,
    response=ReceiptView,
    errors=[(404, "unknown_sale"), (409, "already_voided"), (409, "session_closed")],
)
async def post_void(request: web.Request) -> web.Response:
    """Void a sale of an open session: its tickets are refused at this agent's gates at
    once (and on the platform after upload); its seats go back to the lease."""
    body = await read_body(request, VoidBody)
    try:
        receipt = await _office(request).void(
            device_of(request).device_id, request.match_info["sale_id"], body.reason
        )
    except BoxOfficeError as exc:
        raise api_error(exc) from None
    return _json(receipt)


@routes.post("/api/v1/boxoffice/sales/{sale_id}/print")
@requires(*_TILL)
@spec(
    body=PrintBody,
    response=PrintAnswer,
    errors=[(404, "unknown_sale"), (404, "unknown_ticket"), (503, "printer_unavailable")],
)
async def post_print(request: web.Request) -> web.Response:
    """Print (again) a sale's tickets: the same codes, never new tickets."""
    raw = await request.read()
    body = await read_body(request, PrintBody) if raw.strip() else PrintBody()
    try:
        printed = await _office(request).reprint(request.match_info["sale_id"], body.ticket_id)
    except BoxOfficeError as exc:
        raise api_error(exc) from None
    return _json({"printed": printed})


@routes.post("/api/v1/boxoffice/leases")
@requires(Role.SUPERVISOR)
@spec(
    body=LeaseBody,
    response=LeaseAnswer,
    status=201,
    errors=[(409, "sold_out"), (502, "platform_refused"), (503, "platform_unreachable")],
)
async def post_lease(request: web.Request) -> web.Response:
    """Take seats of a ticket type from the platform (the platform may grant fewer)."""
    body = await read_body(request, LeaseBody)
    try:
        lease = await _office(request).take_lease(body.ticket_type, body.count)
    except BoxOfficeError as exc:
        raise api_error(exc) from None
    return _json(lease, 201)


@routes.post("/api/v1/boxoffice/leases/{lease_id}/return")
@requires(Role.SUPERVISOR)
@spec(response=ReturnAnswer, errors=[(404, "unknown_lease"), (503, "platform_unreachable")])
async def post_lease_return(request: web.Request) -> web.Response:
    """Stop selling on a lease and give its unsold seats back to the platform."""
    try:
        answer = await _office(request).return_lease(request.match_info["lease_id"])
    except BoxOfficeError as exc:
        raise api_error(exc) from None
    return _json(answer)
