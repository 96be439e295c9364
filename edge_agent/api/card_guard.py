"""Refuse any request holding a card number before a handler reads, logs or stores it.

Why here, as a middleware: one check in front of every route of the LAN app and of the
control socket (and, through ``refuse_card_number``, every WebSocket message) instead of
one per schema, so a new route cannot forget it. The rule is ``domain/card_numbers.py``.
The body, the query and the path are checked (a path or query is what an access log
would show); the refusal names neither the value nor the field, so the number appears
in no answer and no log.

One exception, declared by the route itself (``@spec(scanned_code_fields=…)``, read here
from the matched handler, never from the path): the text of a field holding a scanned
ticket code. A numeric ticket barcode passes the card-number test one time in ten, and
the gate must never refuse a real ticket; the code is only ever stored as its SHA-256
and never logged. The other fields of the same body are checked as usual.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from aiohttp import web

from edge_agent.api.errors import ApiError, Handler
from edge_agent.api.schema.route_spec import operation_of
from edge_agent.domain.card_numbers import holds_card_number, text_has_card_number

CODE = "card_number_refused"
MESSAGE = (
    "this request holds what looks like a card number; it was not read, stored or logged."
    " Never send card numbers: for a card payment send only the brand and last 4 digits"
)


def card_number_error() -> ApiError:
    return ApiError(422, CODE, MESSAGE)


def text_holds_card_number(text: str, exempt: Collection[str] = ()) -> bool:
    """A request or message text: its parsed JSON's keys and values, else the raw text.

    ``exempt``: the route's scanned-code fields (``scanned_code_fields`` of its ``@spec``).
    """
    try:
        doc: Any = json.loads(text)
    except (ValueError, RecursionError):
        return text_has_card_number(text)
    return holds_card_number(doc, exempt=exempt)


def scanned_code_fields(request: web.Request) -> frozenset[str]:
    """The fields the matched route declares to hold a scanned ticket code (none if the
    route has no spec: not found, the control socket's routes)."""
    op = operation_of(request.match_info.handler)
    return op.scanned_code_fields if op is not None else frozenset()


def refuse_card_number(text: str | bytes, exempt: Collection[str] = ()) -> None:
    """For WebSocket handlers: call on each message before parsing or logging it, with
    ``exempt=scanned_code_fields(request)``.

    Raises ``ApiError`` 422 ``card_number_refused``; send its error body and go on.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if text_holds_card_number(text, exempt):
        raise card_number_error()


def _query_holds(query: Mapping[str, str]) -> bool:
    return any(text_has_card_number(k) or text_has_card_number(v) for k, v in query.items())


@web.middleware
async def card_number_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if text_has_card_number(request.path) or _query_holds(request.query):
        raise card_number_error()
    if request.body_exists:
        raw = await request.read()  # aiohttp keeps it: the handler reads the same bytes
        refuse_card_number(raw, scanned_code_fields(request))
    return await handler(request)
