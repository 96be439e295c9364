"""Request bodies checked at the boundary: typed fields, unknown keys refused by name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from edge_agent.api.errors import ApiError
from edge_agent.domain.reasons import Direction
from edge_agent.domain.text_rules import has_non_text

#: Longest scanned text the gate will judge; longer input is refused as a bad request.
MAX_CODE_CHARS = 4096
MAX_NAME_CHARS = 64


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


def _check_keys(doc: dict[str, Any], allowed: set[str]) -> None:
    for key in doc:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise ApiError(422, "unknown_field", f"unknown field {key!r} (known: {known})")


def _name(doc: dict[str, Any], key: str) -> str | None:
    value = _string(doc, key, required=False, max_len=MAX_NAME_CHARS)
    if value is not None and has_non_text(value):
        raise ApiError(422, "invalid_request", f"field {key!r} must be printable text")
    return value


def _string(doc: dict[str, Any], key: str, *, required: bool, max_len: int) -> str | None:
    value = doc.get(key)
    if value is None:
        if required:
            raise ApiError(422, "invalid_request", f"field {key!r} is required")
        return None
    if not isinstance(value, str):
        raise ApiError(422, "invalid_request", f"field {key!r} must be a string")
    if len(value) > max_len:
        raise ApiError(422, "invalid_request", f"field {key!r} is longer than {max_len}")
    return value


@dataclass(frozen=True, slots=True)
class ScanRequest:
    code: str
    lane: str | None
    direction: Direction
    device_kind: str

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> ScanRequest:
        _check_keys(doc, {"code", "lane", "direction", "device_kind"})
        code = _string(doc, "code", required=True, max_len=MAX_CODE_CHARS)
        assert code is not None
        lane = _name(doc, "lane")
        direction_text = _string(doc, "direction", required=False, max_len=8) or "in"
        try:
            direction = Direction(direction_text)
        except ValueError:
            raise ApiError(422, "invalid_request", "direction must be 'in' or 'out'") from None
        kind = _name(doc, "device_kind") or "network"
        return cls(code, lane, direction, kind)


@dataclass(frozen=True, slots=True)
class PairRequest:
    code: str
    name: str | None

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> PairRequest:
        _check_keys(doc, {"code", "name"})
        code = _string(doc, "code", required=True, max_len=32)
        assert code is not None
        return cls(code, _name(doc, "name"))


@dataclass(frozen=True, slots=True)
class PairingCodeRequest:
    role: str
    name: str

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> PairingCodeRequest:
        _check_keys(doc, {"role", "name"})
        role = _string(doc, "role", required=True, max_len=32)
        name = _name(doc, "name") or ""
        assert role is not None
        return cls(role, name)


#: Longest free-text override reason (it is stored in the ledger row and uploaded).
MAX_REASON_CHARS = 200


@dataclass(frozen=True, slots=True)
class OverrideRequest:
    """A supervisor's manual check-in (``in``) or check-out (``out``), with a reason."""

    direction: Direction
    reason: str

    @classmethod
    def parse(cls, doc: dict[str, Any]) -> OverrideRequest:
        _check_keys(doc, {"direction", "reason"})
        direction_text = _string(doc, "direction", required=True, max_len=8)
        try:
            direction = Direction(direction_text or "")
        except ValueError:
            raise ApiError(422, "invalid_request", "direction must be 'in' or 'out'") from None
        reason = (_string(doc, "reason", required=True, max_len=MAX_REASON_CHARS) or "").strip()
        if not reason:
            raise ApiError(422, "invalid_request", "field 'reason' must say why (not empty)")
        if has_non_text(reason):
            raise ApiError(422, "invalid_request", "field 'reason' must be printable text")
        return cls(direction, reason)


def ticket_query(text: str | None) -> str:
    """The ``q`` of a ticket search: 1..200 printable characters once stripped."""
    q = (text or "").strip()
    if not q:
        raise ApiError(422, "invalid_request", "query parameter 'q' is required")
    if len(q) > 200 or has_non_text(q):
        raise ApiError(422, "invalid_request", "'q' must be at most 200 printable characters")
    return q
