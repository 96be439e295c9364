"""A request's JSON body or query parameters into its declared ``Body`` struct.

Why one place: every route reads its input the same way, so the same fault gets the same
answer everywhere: 415 ``unsupported_media_type``; 400 ``invalid_json`` (not UTF-8, not
JSON, nested absurdly deep); 422 ``unknown_field`` / ``invalid_request`` naming the field
(``validation_errors``).

Only ``application/json`` bodies are read. A page on any web site can make a visitor's
browser post ``text/plain`` (or a form) to the agent without a CORS preflight; it cannot
send ``application/json`` cross-origin without one, which the agent never grants. So a
body of any other type is refused before a byte of it is parsed — on the public pairing
route above all, where such posts would be guesses from every guest phone on the Wi-Fi.

Fast path: msgspec decodes and validates the bytes in one pass (one typed decoder per
class, made once). Only a refusal takes the slow path, which keeps the API's precedence —
a body that is not JSON is a 400 even where msgspec stopped earlier at a type error — and
reads what msgspec refuses but Python's ``json`` takes (``NaN``, an escaped lone
surrogate), so those stay 422s naming the field, as before.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
from collections.abc import Mapping
from typing import Any, TypeVar, cast

import msgspec
from aiohttp import web
from msgspec import inspect as mi

from edge_agent.api.errors import ApiError
from edge_agent.api.schema.body_rules import Body
from edge_agent.api.schema.validation_errors import NotFinite, api_error

B = TypeVar("B", bound=Body)

_JSON_TYPE = "application/json"
_DECIMAL = re.compile(r"-?[0-9]{1,18}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DECODERS: dict[type, msgspec.json.Decoder[Any]] = {}


async def read_body(request: web.Request, cls: type[B]) -> B:
    """The request's JSON body checked against ``cls``; only ``application/json``."""
    refuse_non_json(request)
    return decode_json(await request.read(), cls)


def refuse_non_json(request: web.Request) -> None:
    """415 unless the body is ``application/json`` (a request with no body at all needs
    no type: it is read as empty, which the body's own rules then judge)."""
    if request.content_type != _JSON_TYPE and (
        request.body_exists or "Content-Type" in request.headers
    ):
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")


def read_query(request: web.Request, cls: type[B]) -> B:
    """The request's query parameters checked against ``cls``."""
    return decode_query(request.query, cls)


def decode_json(
    raw: bytes | str,
    cls: type[B],
    *,
    not_json: str = "body is not valid JSON",
    not_object: str = "body must be a JSON object",
) -> B:
    """``raw`` JSON checked against ``cls``; raises ``ApiError`` 400 or 422."""
    decoder = _DECODERS.get(cls)
    if decoder is None:
        decoder = _DECODERS[cls] = msgspec.json.Decoder(cls)
    try:
        return cast(B, decoder.decode(raw))
    except msgspec.ValidationError as exc:
        doc = _loads(raw, not_json)  # not JSON at all: that is said first, as always
        refusal = exc
    except (msgspec.DecodeError, UnicodeEncodeError):  # (a str holding a lone surrogate)
        doc = _loads(raw, not_json)
        try:
            return _convert(doc, cls)
        except msgspec.ValidationError as exc:
            refusal = exc
    raise api_error(refusal, cls, doc, not_object=not_object) from None


def decode_query(query: Mapping[str, str], cls: type[B]) -> B:
    """Query parameters against ``cls``: text as given, ``int`` fields from decimal text."""
    doc: dict[str, object] = dict(query)
    for name in _int_fields(cls):
        text = doc.get(name)
        if isinstance(text, str):
            if not _DECIMAL.fullmatch(text.strip()):
                raise ApiError(
                    422, "invalid_request", f"query parameter {name!r} must be an integer"
                )
            doc[name] = int(text)
    try:
        return _convert(doc, cls)
    except msgspec.ValidationError as exc:
        raise api_error(exc, cls, doc, noun="query parameter") from None


def _loads(raw: bytes | str, not_json: str) -> object:
    """Python's reading of the body (slow path only); 400 when it is not JSON at all."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "body is not UTF-8") from None
    try:
        return _PYTHON_JSON.decode(text)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", not_json) from None


def _convert(doc: object, cls: type[B]) -> B:
    """``msgspec.convert`` of a body that msgspec's JSON reader refused but Python's read."""
    try:
        return msgspec.convert(doc, cls)
    except UnicodeEncodeError:
        pass  # a lone surrogate where msgspec matches text: a key, an enum or a tag value
    with contextlib.suppress(RecursionError):  # (nested past Python's recursion limit)
        # the same body with U+FFFD there fails at the same place: that names it
        msgspec.convert(_without_surrogates(doc), cls)
    raise ApiError(422, "invalid_request", "body must be printable text")


def _without_surrogates(value: object) -> object:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    return value


def _int(digits: str) -> int | float:
    """A JSON integer; past Python's digit limit (4,300) an infinite float, which no
    declared field takes, instead of the ValueError that once answered 500."""
    try:
        return int(digits)
    except ValueError:
        return math.inf


_PYTHON_JSON = json.JSONDecoder(parse_int=_int, parse_constant=lambda _: NotFinite())


@functools.cache
def _int_fields(cls: type[Body]) -> tuple[str, ...]:
    """The fields of ``cls`` that take an integer (``int`` or ``int | None``)."""
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    names = []
    for f in info.fields:
        t = f.type.type if isinstance(f.type, mi.Metadata) else f.type
        options = t.types if isinstance(t, mi.UnionType) else (t,)
        if any(
            isinstance(o.type if isinstance(o, mi.Metadata) else o, mi.IntType) for o in options
        ):
            names.append(f.name)
    return tuple(names)
