"""Reading request bodies: size, gzip, PAN refusal, JSON, and typed fields.

Every handler goes through ``read_json_object`` and the ``field_*`` helpers, so each
bad input gets the same kind of answer: 422 ``invalid`` naming the field and what was
expected (400 for a body that is not JSON at all, 413 for one that is too large).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from edge_agent.domain.card_numbers import body_has_card_number
from edge_agent.domain.text_rules import has_non_text
from reference_platform.errors import BadRequest, Invalid, TooLarge

#: Bodies larger than this after decompression are refused (``docs/sync.md``).
MAX_BODY_BYTES = 8 * 1024 * 1024
U32_MAX = 0xFFFF_FFFF
MAX_NAME_LEN = 200
_INLINE_PARSE_BYTES = 64 * 1024
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object. aiohttp has already undone ``Content-Encoding: gzip``
    and enforces ``MAX_BODY_BYTES`` on the decompressed bytes as it reads."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise TooLarge(f"request body larger than {MAX_BODY_BYTES} bytes") from None
    if len(raw) > _INLINE_PARSE_BYTES:
        # An upload batch is ~0.5 MB: parse and check it off the event loop.
        return await asyncio.to_thread(parse_json_object, raw)
    return parse_json_object(raw)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """UTF-8, JSON, then the card-number refusal, before any field is looked at (error
    messages never quote the body, so a PAN in a malformed body goes nowhere either)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("request body is not UTF-8") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc.msg} at {exc.pos}") from None
    if body_has_card_number(text, doc):  # the agent's rule (docs/sync.md)
        # Say nothing about where or what: the number must not travel any further.
        raise Invalid(
            "the request contains what looks like a card number (PAN); it was not stored."
            " Send only the card brand, last 4 digits and 3-D Secure result",
            code="pan_refused",
        )
    if not isinstance(doc, dict):
        raise BadRequest("request body must be a JSON object")
    return doc


def field_int(
    doc: Mapping[str, Any],
    name: str,
    *,
    default: int | None = None,
    lo: int = 0,
    hi: int = 2**53,
) -> int:
    value = doc.get(name, default)
    if value is None:
        raise Invalid(f"{name} is required", field=name)
    if type(value) is not int or not lo <= value <= hi:
        raise Invalid(f"{name} must be an integer in {lo}..{hi}", field=name)
    return value


def field_text(
    doc: Mapping[str, Any],
    name: str,
    *,
    default: str | None = None,
    max_len: int = MAX_NAME_LEN,
    optional: bool = False,
) -> str:
    value = doc.get(name, default)
    if value is None and optional:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{name} must be a non-empty string", field=name)
    if len(value) > max_len or has_non_text(value):
        raise Invalid(
            f"{name} must be at most {max_len} characters, without control characters",
            field=name,
        )
    return value


def field_optional_text(
    doc: Mapping[str, Any], name: str, *, max_len: int = MAX_NAME_LEN
) -> str | None:
    if doc.get(name) is None:
        return None
    return field_text(doc, name, max_len=max_len)


def field_id(doc: Mapping[str, Any], name: str) -> str:
    """An identifier chosen by a client (agent ids, request ids): 1–64 characters of
    letters, digits and ``. _ : -``, starting with a letter or digit."""
    value = doc.get(name)
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise Invalid(f"{name} must be 1-64 characters of letters, digits and . _ : -", field=name)
    return value


def path_int(request: web.Request, name: str) -> int:
    text = request.match_info[name]
    if not text.isdigit() or int(text) > U32_MAX:
        raise BadRequest(f"{name} in the path must be an integer 0..{U32_MAX}")
    return int(text)


def query_int(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.query.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise BadRequest(f"query parameter {name} must be an integer {lo}..{hi}")
    return int(text)


#: Ticket flags a gate shows staff (``docs/gate.md``, "Attention and ID checks").
TICKET_FLAGS = ("attention", "id_check", "age_18", "accessibility")


def field_flags(doc: Mapping[str, Any], name: str = "flags") -> tuple[str, ...]:
    """An optional list of ticket flags (sorted, each once)."""
    value = doc.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or any(v not in TICKET_FLAGS for v in value):
        raise Invalid(f"{name} must be a list of {', '.join(TICKET_FLAGS)}", field=name)
    return tuple(sorted(set(value)))
