"""Refuse any request holding a card number before a handler reads, logs or stores it.

Why here, as a middleware: one check in front of every route of the LAN app and of the
control socket (and, through ``refuse_card_number``, every WebSocket message) instead of
one per schema, so a new route cannot forget it. The rule is ``domain/card_numbers.py``.
The body, the query and the path are checked (a path or query is what an access log
would show); the refusal names neither the value nor the field, so the number appears
in no answer and no log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from edge_agent.api.errors import ApiError, Handler
from edge_agent.domain.card_numbers import holds_card_number, text_has_card_number

CODE = "card_number_refused"
MESSAGE = (
    "this request holds what looks like a card number; it was not read, stored or logged."
    " Never send card numbers: for a card payment send only the brand and last 4 digits"
)


def card_number_error() -> ApiError:
    return ApiError(422, CODE, MESSAGE)


def text_holds_card_number(text: str) -> bool:
    """A request or message text: its parsed JSON's keys and values, else the raw text."""
    try:
        doc: Any = json.loads(text)
    except (ValueError, RecursionError):
        return text_has_card_number(text)
    return holds_card_number(doc)


def refuse_card_number(text: str | bytes) -> None:
    """For WebSocket handlers: call on each message before parsing or logging it.

    Raises ``ApiError`` 422 ``card_number_refused``; send its error body and go on.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if text_holds_card_number(text):
        raise card_number_error()


def _query_holds(query: Mapping[str, str]) -> bool:
    return any(text_has_card_number(k) or text_has_card_number(v) for k, v in query.items())


@web.middleware
async def card_number_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if text_has_card_number(request.path) or _query_holds(request.query):
        raise card_number_error()
    if request.body_exists:
        raw = await request.read()  # aiohttp keeps it: the handler reads the same bytes
        refuse_card_number(raw)
    return await handler(request)
