"""Request bodies of the LAN API, declared as schemas (``api/schema_types.py``).

Each body is a frozen dataclass; ``read_body(request, Cls)`` reads the JSON object and
checks it (unknown keys refused by name, each field's type and limits), so handlers get
typed values and the OpenAPI document is generated from the same declarations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from edge_agent.api.errors import ApiError
from edge_agent.api.schema.schema_types import parse, parse_query, rules
from edge_agent.domain.reasons import Direction

T = TypeVar("T")

#: Longest scanned text the gate will judge; longer input is refused as a bad request.
MAX_CODE_CHARS = 4096
MAX_NAME_CHARS = 64
#: Longest free-text override reason (it is stored in the ledger row and uploaded).
MAX_REASON_CHARS = 200


async def read_json_object(request: web.Request) -> dict[str, Any]:
    ctype = request.content_type
    if ctype not in ("application/json", "text/plain", "application/octet-stream", ""):
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    raw = await request.read()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "body is not UTF-8") from None
    except (json.JSONDecodeError, RecursionError):
        raise ApiError(400, "invalid_json", "body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise ApiError(422, "invalid_request", "body must be a JSON object")
    return doc


async def read_body(request: web.Request, cls: type[T]) -> T:
    """The request's JSON body checked against the schema ``cls``."""
    return parse(cls, await read_json_object(request))


def read_query(request: web.Request, cls: type[T]) -> T:
    """The request's query parameters checked against the schema ``cls``."""
    return parse_query(cls, request.query)


def _name_rules(description: str) -> dict[str, Any]:
    return rules(max_len=MAX_NAME_CHARS, text=True, description=description)


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """One scanned code to judge (``POST /api/v1/scans``, each scan WebSocket message)."""

    code: str = field(
        metadata=rules(
            max_len=MAX_CODE_CHARS,
            description="the scanned text, judged as is; stored only as its SHA-256",
        )
    )
    lane: str | None = field(
        default=None, metadata=_name_rules("lane id; default [gate] default_lane")
    )
    direction: Direction = Direction.IN
    device_kind: str = field(default="network", metadata=_name_rules("e.g. wifi, phone"))


@dataclass(frozen=True, slots=True)
class PairRequest:
    """A one-time pairing code exchanged for a device token."""

    code: str = field(metadata=rules(max_len=32, description="as shown by edge-agent pair"))
    name: str | None = field(default=None, metadata=_name_rules("the device's name"))


@dataclass(frozen=True, slots=True)
class PairingCodeRequest:
    """A supervisor asking for a pairing code for a new device."""

    role: str = field(metadata=rules(max_len=32, description="scanner, box_office, ..."))
    name: str = field(default="", metadata=_name_rules("the new device's name"))


@dataclass(frozen=True, slots=True)
class OverrideRequest:
    """A supervisor's manual check-in (``in``) or check-out (``out``), with a reason."""

    direction: Direction
    reason: str = field(metadata=rules(min_len=1, max_len=MAX_REASON_CHARS, text=True, strip=True))


@dataclass(frozen=True, slots=True)
class ScanSocketQuery:
    """``GET /api/v1/scans/ws?lane=ID``: the lane whose WebSocket input codes go through."""

    lane: str | None = field(
        default=None, metadata=_name_rules("lane id; default [gate] default_lane")
    )


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """``GET /api/v1/tickets?q=…``: a ticket id, an e-mail, an order id or a name prefix."""

    q: str = field(metadata=rules(min_len=1, max_len=200, text=True, strip=True))
