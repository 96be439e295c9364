"""msgspec's ``ValidationError`` → the API's 422, naming the field as the API always has.

Why: msgspec says what is wrong in its own words with a JSON path (``Expected `int` >= 1
- at `$.items[0].quantity```). Clients, the iPad page and the tests rely on the API's
stable codes and wording: ``unknown_field`` naming the field and the known ones,
``invalid_request`` naming the field and the problem (``field 'items[0].quantity' must be
at least 1``). This reads msgspec's message and path, finds the declared type at that
path (``msgspec.inspect``; a tagged union's member by the tag the body sent) and says it
the API's way. Only refusals come here: a valid body never pays for it. The messages
read here are pinned by tests (tests/edge_agent/api/test_schema_types.py), so a msgspec
release that rewords them fails there first.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import msgspec
from msgspec import inspect as mi

from edge_agent.api.errors import ApiError

_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_UNKNOWN = re.compile(r"Object contains unknown field `(.+)`")
_MISSING = re.compile(r"Object missing required field `(.+)`")
_RULE = re.compile(r"`(\w+)` (.+)")  # raised by a ``text()`` rule (``body_rules``)
_LENGTH = re.compile(r"Expected `(\w+)` of length (>=|<=) (\d+)")
_BOUND = re.compile(r"Expected `\w+` (>=|<=|>|<) (-?[\d.e+]+)")
_BOUND_WORDS = {">=": "at least", "<=": "at most", ">": "greater than", "<": "less than"}


class NotFinite:
    """What ``decoding`` reads JSON's non-standard ``NaN``/``Infinity`` as (msgspec refuses
    them; Python's ``json`` takes them): no field takes it, so each is named."""


_TYPE_WORDS: tuple[tuple[type, str], ...] = (
    (mi.StrType, "must be a string"),
    (mi.IntType, "must be an integer"),
    (mi.FloatType, "must be a number"),
    (mi.BoolType, "must be true or false"),
    (mi.ListType, "must be a list"),
    (mi.StructType, "must be a JSON object"),
    (mi.UnionType, "must be a JSON object"),  # bodies declare only tagged unions of structs
)


@dataclass(frozen=True, slots=True)
class _Tag:
    """The tag field of a tagged union (``payment.method``): one of these values."""

    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Target:
    type: Any  # a ``msgspec.inspect.Type`` or ``_Tag``
    required: bool
    in_list: bool


def api_error(
    exc: msgspec.ValidationError,
    cls: type,
    doc: object,
    *,
    noun: str = "field",
    not_object: str = "body must be a JSON object",
) -> ApiError:
    """The API's refusal for ``exc``, raised decoding ``doc`` (the parsed body) as ``cls``."""
    problem, at, path = str(exc).partition(" - at `$")
    path = path[:-1] if at else ""  # (the closing backtick)
    steps = [(name, int(i) if i else None) for name, i in _STEP.findall(path)]
    where = "".join(f".{name}" if i is None else f"[{i}]" for name, i in steps).lstrip(".")

    def full(field: str) -> str:
        return repr(f"{where}.{field}" if where else field)

    if hit := _UNKNOWN.fullmatch(problem):
        known = _known_fields(_resolve(_info(cls), steps, doc).type)
        message = f"unknown {noun} {full(hit[1])} (known: {', '.join(sorted(known))})"
        return ApiError(422, "unknown_field", message)
    if hit := _MISSING.fullmatch(problem):
        return _invalid(f"{noun} {full(hit[1])} is required")
    if hit := _RULE.fullmatch(problem):
        return _invalid(f"{noun} {full(hit[1])} {hit[2]}")
    if not steps:
        return _invalid(not_object)
    target = _resolve(_info(cls), steps, doc)
    return _invalid(f"{noun} {where!r} {_words(problem, target)}")


def _invalid(message: str) -> ApiError:
    return ApiError(422, "invalid_request", message)


@functools.cache
def _info(cls: type) -> mi.Type:
    return mi.type_info(cls)


def _words(problem: str, target: _Target) -> str:
    """What is wrong with one value, in the API's words."""
    t = target.type
    if "got `null`" in problem:
        if target.in_list:
            return "must not be null"
        if target.required:
            return "is required"  # null and absent are the same to a client
    if hit := _LENGTH.match(problem):
        kind, op, n = hit[1], hit[2], int(hit[3])
        if kind == "array":
            return f"needs at least {n} item(s)" if op == ">=" else f"has more than {n} items"
        if op == "<=":
            return f"is longer than {n}"
        return "must not be empty" if n == 1 else f"is shorter than {n}"
    if hit := _BOUND.match(problem):
        return f"must be {_BOUND_WORDS[hit[1]]} {hit[2]}"
    if "matching regex" in problem:
        return "is not in the expected form"
    if "got `NotFinite`" in problem and isinstance(t, mi.FloatType):
        return "must be a finite number"
    if "out of range" in problem and isinstance(t, mi.IntType | mi.FloatType):
        return "is out of range"
    return _type_words(t, problem)


def _type_words(t: Any, problem: str) -> str:
    """The value is not of the declared type: say which type that is."""
    if isinstance(t, _Tag):
        return "must be one of: " + ", ".join(repr(v) for v in t.values)
    if isinstance(t, mi.EnumType):
        return "must be one of: " + ", ".join(repr(m.value) for m in t.cls)
    if isinstance(t, mi.LiteralType):
        return "must be one of: " + ", ".join(repr(v) for v in t.values)
    for kind, words in _TYPE_WORDS:
        if isinstance(t, kind):
            return words
    return problem[:1].lower() + problem[1:]  # a type no body declares yet: msgspec's words


def _resolve(t: mi.Type, steps: list[tuple[str, int | None]], doc: object) -> _Target:
    """The declared type at ``steps`` (and the part of ``doc`` there, to pick union members)."""
    target = _Target(t, True, False)
    for name, index in steps:
        t = _unwrap(target.type, doc)  # a tagged union: the member the body's tag names
        if index is not None:
            item = t.item_type if isinstance(t, mi.ListType) else mi.AnyType()
            doc = doc[index] if isinstance(doc, list) and index < len(doc) else None
            target = _Target(item, True, True)
            continue
        tags = _tags(_unwrap(target.type, None))  # all the union's tags, not the member's
        if tags is not None and name == tags[0]:
            return _Target(_Tag(tags[1]), True, False)
        fields = {f.name: f for f in t.fields} if isinstance(t, mi.StructType) else {}
        f = fields.get(name)
        doc = doc.get(name) if isinstance(doc, dict) else None
        target = _Target(f.type if f else mi.AnyType(), f.required if f else False, False)
    target_type = _unwrap(target.type, doc)
    return _Target(target_type, target.required, target.in_list)


def _unwrap(t: Any, doc: object) -> Any:
    """Through ``Meta``, ``X | None`` and — by the tag in ``doc`` — a tagged union."""
    while True:
        if isinstance(t, mi.Metadata):
            t = t.type
            continue
        if not isinstance(t, mi.UnionType):
            return t
        present = [m for m in t.types if not isinstance(m, mi.NoneType)]
        if len(present) == 1:
            t = present[0]
            continue
        tags = _tags(t)
        if tags is not None and isinstance(doc, dict):
            tag = doc.get(tags[0])
            chosen = [m for m in present if isinstance(m, mi.StructType) and m.tag == tag]
            if chosen:
                t = chosen[0]
                continue
        return t


def _tags(t: Any) -> tuple[str, tuple[str, ...]] | None:
    """A tagged union's (or member's) tag field and all its values, else None."""
    members = t.types if isinstance(t, mi.UnionType) else (t,)
    structs = [m for m in members if isinstance(m, mi.StructType) and m.tag_field]
    field = structs[0].tag_field if structs else None
    if field is None:
        return None
    return field, tuple(sorted(str(m.tag) for m in structs))


def _known_fields(t: Any) -> list[str]:
    """The field names of an object (a tagged union member's tag field included)."""
    if not isinstance(t, mi.StructType):
        return []
    return [f.name for f in t.fields] + ([t.tag_field] if t.tag_field else [])
