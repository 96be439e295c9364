"""The operator's routes (``/admin/v1/``, admin token only): events, ticket types,
orders, revocations, enrolment, and the reports (stored rows, conflicts).

Used by the ``gatehouse-platform`` CLI, the demo and the tests; the table in
``docs/sync.md`` lists them.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from aiohttp import web

from edge_agent.domain.agent_certificate import PUBLIC_KEY_LEN, b64url_exact
from reference_platform.errors import Invalid, NotFound
from reference_platform.services import catalog, door_sales, orders
from reference_platform.services.enrolment import enrol_agent, event_keyring
from reference_platform.services.ingest import SALES, SCANS, Stream, conflicts, stored_rows
from reference_platform.services.leases import held_by_leases
from reference_platform.web.app_keys import CLOCK_KEY, DB_KEY
from reference_platform.web.validation import (
    U32_MAX,
    field_flags,
    field_id,
    field_int,
    field_optional_text,
    field_text,
    path_int,
    query_int,
    read_json_object,
)

admin_routes = web.RouteTableDef()

_TICKET_ID = re.compile(r"[0-9a-f]{32}")
_LAST4 = re.compile(r"[0-9]{4}")
_MAX_ROWS_PAGE = 10_000
_REVOKE_ACTIONS = {
    "refund": "refunded",
    "cancel": "cancelled",
    "chargeback": "charged_back",
    "suspend": "suspended",
}


def _now(request: web.Request) -> int:
    now: int = request.app[CLOCK_KEY]()
    return now


@admin_routes.post("/admin/v1/events")
async def post_event(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    event_id = field_int(body, "event_id", hi=U32_MAX)
    name = field_text(body, "name")
    venue = field_text(body, "venue")
    starts_at_ms = field_int(body, "starts_at_ms")
    now_ms = _now(request)
    event = await request.app[DB_KEY].write(
        lambda c: catalog.create_event(
            c, event_id=event_id, name=name, venue=venue, starts_at_ms=starts_at_ms, now_ms=now_ms
        )
    )
    return web.json_response({"event_id": event_id, **event.to_json()}, status=201)


@admin_routes.get("/admin/v1/events/{event_id}")
async def get_event(request: web.Request) -> web.Response:
    """The event, its ticket types with sold/leased counts, and its current keyring."""
    event_id = path_int(request, "event_id")
    now_ms = _now(request)

    def read(c: Any) -> dict[str, Any]:
        event = catalog.get_event(c, event_id)
        types = [
            {
                "ticket_type": t,
                "name": name,
                "capacity": capacity,
                "price_cents": price,
                "sold": sold,
                "leased": held_by_leases(c, event_id, t, now_ms),
            }
            for t, name, capacity, price, sold in c.execute(
                "SELECT ticket_type, name, capacity, price_cents, sold FROM ticket_types"
                " WHERE event_id = ? ORDER BY ticket_type",
                (event_id,),
            )
        ]
        return {
            "event_id": event_id,
            **event.to_json(),
            "ticket_types": types,
            "keyring": event_keyring(c, event_id),
        }

    return web.json_response(await request.app[DB_KEY].read(read))


@admin_routes.post("/admin/v1/events/{event_id}/ticket-types")
async def post_ticket_type(request: web.Request) -> web.Response:
    event_id = path_int(request, "event_id")
    body = await read_json_object(request)
    ticket_type = field_int(body, "ticket_type", hi=0xFFFF)
    name = field_text(body, "name")
    capacity = field_int(body, "capacity", hi=100_000_000)
    price_cents = field_int(body, "price_cents", default=0, hi=100_000_000)
    flags = field_flags(body)
    note = field_optional_text(body, "note") or ""
    result = await request.app[DB_KEY].write(
        lambda c: catalog.put_ticket_type(
            c,
            event_id=event_id,
            ticket_type=ticket_type,
            name=name,
            capacity=capacity,
            price_cents=price_cents,
            flags=flags,
            note=note,
        )
    )
    return web.json_response(result, status=201)


def _order_request(body: dict[str, Any], now_ms: int) -> orders.OrderRequest:
    payment = body.get("payment") or {}
    if not isinstance(payment, dict):
        raise Invalid("payment must be an object (brand, last4, three_ds)", field="payment")
    last4 = field_optional_text(payment, "last4", max_len=4)
    if last4 is not None and not _LAST4.fullmatch(last4):
        raise Invalid("payment.last4 must be exactly 4 digits", field="payment.last4")
    items = body.get("tickets")
    if not isinstance(items, list) or not 1 <= len(items) <= orders.MAX_TICKETS_PER_ORDER:
        raise Invalid(
            f"tickets must be a list of 1..{orders.MAX_TICKETS_PER_ORDER} tickets", field="tickets"
        )
    tickets = []
    for item in items:
        if not isinstance(item, dict):
            raise Invalid("each ticket must be an object", field="tickets")
        code = item.get("code", "gh1")
        if code not in catalog.CODE_KINDS:
            raise Invalid('ticket code must be "gh1" or "plain"', field="tickets.code")
        tickets.append(
            orders.TicketRequest(
                ticket_type=field_int(item, "ticket_type", hi=0xFFFF),
                code_kind=code,
                holder_name=field_optional_text(item, "holder_name"),
                flags=field_flags(item),
                note=field_optional_text(item, "note") or "",
                holder_email=field_optional_text(item, "holder_email"),
                valid_from=field_int(item, "valid_from", default=0, hi=U32_MAX),
                valid_until=field_int(item, "valid_until", default=0, hi=U32_MAX),
            )
        )
    return orders.OrderRequest(
        customer_name=field_text(body, "customer_name"),
        customer_email=field_text(body, "customer_email"),
        purchased_at_ms=field_int(body, "purchased_at_ms", default=now_ms),
        ip=field_optional_text(body, "ip", max_len=64),
        user_agent=field_optional_text(body, "user_agent", max_len=512),
        payment_brand=field_optional_text(payment, "brand", max_len=32),
        payment_last4=last4,
        three_ds_result=field_optional_text(payment, "three_ds", max_len=32),
        tickets=tuple(tickets),
    )


@admin_routes.post("/admin/v1/events/{event_id}/orders")
async def post_order(request: web.Request) -> web.Response:
    event_id = path_int(request, "event_id")
    body = await read_json_object(request)
    now_ms = _now(request)
    order = _order_request(body, now_ms)
    result = await request.app[DB_KEY].write(
        lambda c: orders.create_order(c, event_id, order, now_ms)
    )
    return web.json_response(result, status=201)


@admin_routes.get("/admin/v1/orders/{order_id}")
async def get_order(request: web.Request) -> web.Response:
    order_id = request.match_info["order_id"]
    return web.json_response(
        await request.app[DB_KEY].read(lambda c: orders.get_order(c, order_id))
    )


def _ticket_id(request: web.Request) -> str:
    ticket_id = request.match_info["ticket_id"]
    if not _TICKET_ID.fullmatch(ticket_id):
        raise NotFound(
            f"no ticket {ticket_id!r} (ticket ids are 32 hex digits)", code="unknown_ticket"
        )
    return ticket_id


async def _reason(request: web.Request) -> str:
    body = await read_json_object(request) if request.can_read_body else {}
    return field_text(body, "reason", default="operator", max_len=500)


@admin_routes.post("/admin/v1/tickets/{ticket_id}/{action:refund|cancel|chargeback|suspend}")
async def post_revoke(request: web.Request) -> web.Response:
    ticket_id = _ticket_id(request)
    kind = _REVOKE_ACTIONS[request.match_info["action"]]
    reason = await _reason(request)
    now_ms = _now(request)
    result = await request.app[DB_KEY].write(
        lambda c: orders.revoke_ticket(c, ticket_id, kind, reason, now_ms)
    )
    return web.json_response(result)


@admin_routes.post("/admin/v1/tickets/{ticket_id}/reissue")
async def post_reissue(request: web.Request) -> web.Response:
    ticket_id = _ticket_id(request)
    reason = await _reason(request)
    now_ms = _now(request)
    result = await request.app[DB_KEY].write(
        lambda c: orders.reissue_ticket(c, ticket_id, reason, now_ms)
    )
    return web.json_response(result)


@admin_routes.post("/admin/v1/tickets/{ticket_id}/unsuspend")
async def post_unsuspend(request: web.Request) -> web.Response:
    ticket_id = _ticket_id(request)
    now_ms = _now(request)
    result = await request.app[DB_KEY].write(lambda c: orders.lift_suspension(c, ticket_id, now_ms))
    return web.json_response(result)


@admin_routes.post("/admin/v1/events/{event_id}/postpone")
async def post_postpone(request: web.Request) -> web.Response:
    event_id = path_int(request, "event_id")
    body = await read_json_object(request)
    to = field_text(body, "to", max_len=10)
    try:
        datetime.date.fromisoformat(to)
    except ValueError:
        raise Invalid("to must be a date YYYY-MM-DD", field="to") from None
    event = await request.app[DB_KEY].write(
        lambda c: catalog.set_event_status(c, event_id, "postponed", to)
    )
    return web.json_response({"event_id": event_id, **event.to_json()})


@admin_routes.post("/admin/v1/events/{event_id}/cancel")
async def post_cancel_event(request: web.Request) -> web.Response:
    event_id = path_int(request, "event_id")
    event = await request.app[DB_KEY].write(
        lambda c: catalog.set_event_status(c, event_id, "cancelled")
    )
    return web.json_response({"event_id": event_id, **event.to_json()})


@admin_routes.post("/admin/v1/events/{event_id}/agents")
async def post_agent(request: web.Request) -> web.Response:
    event_id = path_int(request, "event_id")
    body = await read_json_object(request)
    agent_id = field_id(body, "agent_id")
    try:
        public_key = b64url_exact(body.get("public_key"), PUBLIC_KEY_LEN)
    except ValueError as exc:
        raise Invalid(f"public_key: {exc}", field="public_key") from None
    now_ms = _now(request)
    result = await request.app[DB_KEY].write(
        lambda c: enrol_agent(
            c, event_id=event_id, agent_id=agent_id, public_key=public_key, now_ms=now_ms
        )
    )
    return web.json_response(result, status=201)


async def _rows(request: web.Request, stream: Stream) -> web.Response:
    agent_id = request.match_info["agent_id"]
    after_seq = query_int(request, "after_seq", 0, 0, 2**62)
    limit = query_int(request, "limit", 1000, 1, _MAX_ROWS_PAGE)
    rows = await request.app[DB_KEY].read(
        lambda c: stored_rows(c, stream, agent_id, after_seq, limit)
    )
    return web.json_response({"agent_id": agent_id, "rows": rows})


@admin_routes.get("/admin/v1/agents/{agent_id}/scans")
async def get_scans(request: web.Request) -> web.Response:
    return await _rows(request, SCANS)


@admin_routes.get("/admin/v1/agents/{agent_id}/sales")
async def get_sales(request: web.Request) -> web.Response:
    return await _rows(request, SALES)


@admin_routes.get("/admin/v1/events/{event_id}/email-queue")
async def get_email_queue(request: web.Request) -> web.Response:
    """The e-mails the platform owes for an event (door sales delivered by e-mail)."""
    event_id = path_int(request, "event_id")

    def read(c: Any) -> list[dict[str, Any]]:
        catalog.get_event(c, event_id)
        return door_sales.email_queue(c, event_id)

    return web.json_response({"event_id": event_id, "emails": await request.app[DB_KEY].read(read)})


@admin_routes.get("/admin/v1/events/{event_id}/conflicts")
async def get_conflicts(request: web.Request) -> web.Response:
    event_id = path_int(request, "event_id")

    def read(c: Any) -> list[dict[str, Any]]:
        catalog.get_event(c, event_id)
        return conflicts(c, event_id)

    return web.json_response(
        {"event_id": event_id, "conflicts": await request.app[DB_KEY].read(read)}
    )
