"""Declarative request schemas: a frozen dataclass per body, one ``parse`` for all of them.

Why: hand-written ``parse`` classmethods drift apart (one route strips, the next forgets
the printable-text rule) and cannot be read by the OpenAPI generator. Here a body is a
frozen dataclass whose field types say the shape and whose ``field(metadata=rules(…))``
say the limits; ``parse`` checks a JSON object against it with the API's stable errors
(``unknown_field`` naming the field and the known ones, ``invalid_request`` naming the
field and the problem), and ``api/json_schema.py`` turns the same class into JSON Schema.

READY TO USE. Supported field types: ``str``, ``int``, ``float``, ``bool``, ``StrEnum``
subclasses, ``Literal[…]``, ``X | None`` (null or absent → the default), nested
dataclasses, ``list[X]`` (``max_items``, per-item ``item=Rules(…)``) and unions of
dataclasses told apart by a one-value ``Literal`` field they all have (a tagged union,
such as a sale's ``payment`` by ``method``). Example::

    @dataclass(frozen=True, slots=True)
    class OpenSession:
        operator: str = field(metadata=rules(min_len=1, max_len=64, text=True, strip=True))
        float_cents: int = field(default=0, metadata=rules(minimum=0, maximum=10**7))

    body = parse(OpenSession, await read_json_object(request))  # or read_body(request, …)
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from edge_agent.api.errors import ApiError
from edge_agent.domain.text_rules import has_non_text

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rules:
    """Limits on one field's value (each ``None``/``False``/``0`` means no limit)."""

    max_len: int | None = None
    min_len: int = 0
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None  # the whole (stripped) string must match
    text: bool = False  # printable text: no control characters, no lone surrogates
    strip: bool = False  # surrounding whitespace removed before the length checks
    max_items: int | None = None
    min_items: int = 0
    item: Rules | None = None  # the rules of each item of a list
    description: str = ""  # shown in the OpenAPI document


def rules(
    *,
    max_len: int | None = None,
    min_len: int = 0,
    minimum: int | None = None,
    maximum: int | None = None,
    pattern: str | None = None,
    text: bool = False,
    strip: bool = False,
    max_items: int | None = None,
    min_items: int = 0,
    item: Rules | None = None,
    description: str = "",
) -> dict[str, Rules]:
    """The ``metadata`` of a dataclass ``field`` that carries limits."""
    return {"rules": Rules(**locals())}  # the parameters, exactly Rules' fields


NO_RULES = Rules()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: Any
    rules: Rules
    required: bool
    default: Any


def is_schema(tp: object) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def fields_of(cls: type) -> tuple[FieldSpec, ...]:
    """The fields of a schema dataclass with their resolved types and rules."""
    return _fields_of(cls)


@functools.cache
def _fields_of(cls: Any) -> tuple[FieldSpec, ...]:
    hints = typing.get_type_hints(cls)
    specs = []
    for f in dataclasses.fields(cls):
        has_default = f.default is not dataclasses.MISSING
        has_factory = f.default_factory is not dataclasses.MISSING
        default = f.default_factory() if has_factory else f.default  # type: ignore[operator]
        r = f.metadata.get("rules", NO_RULES)
        specs.append(FieldSpec(f.name, hints[f.name], r, not (has_default or has_factory), default))
    return tuple(specs)


def union_members(tp: Any) -> tuple[Any, ...] | None:
    """The members of ``A | B`` (or ``Optional``), or None when ``tp`` is no union."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(tp)
    return None


@functools.cache
def tag_of(members: tuple[type, ...]) -> tuple[str, dict[str, type]]:
    """The field telling a union's dataclasses apart, and which tag value means which."""
    common: set[str] | None = None
    for cls in members:
        names = {
            s.name
            for s in fields_of(cls)
            if typing.get_origin(s.type) is Literal and len(typing.get_args(s.type)) == 1
        }
        common = names if common is None else common & names
    if not common or len(common) != 1:
        raise TypeError(f"{members}: no single Literal field tells the members apart")
    tag = common.pop()
    by_value = {}
    for cls in members:
        (value,) = typing.get_args(next(s.type for s in fields_of(cls) if s.name == tag))
        by_value[str(value)] = cls
    return tag, by_value


def _fail(message: str) -> ApiError:
    return ApiError(422, "invalid_request", message)


def _choices(values: list[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _name(path: str, noun: str) -> str:
    return f"{noun} {path!r}"


def parse(cls: type[T], doc: object, *, noun: str = "field", _path: str = "") -> T:
    """Check a parsed JSON object against the schema ``cls``; answer an instance of it.

    Raises ``ApiError`` 422: ``unknown_field`` for a key the schema does not have (named,
    with the known ones), ``invalid_request`` naming the field and what is wrong.
    """
    if not isinstance(doc, dict):
        where = f"{_name(_path, noun)} must be" if _path else "body must be"
        raise _fail(f"{where} a JSON object")
    specs = fields_of(cls)
    known = {s.name for s in specs}
    for key in doc:
        if key not in known:
            full = f"{_path}.{key}" if _path else key
            raise ApiError(
                422,
                "unknown_field",
                f"unknown {noun} {full!r} (known: {', '.join(sorted(known))})",
            )
    values: dict[str, Any] = {}
    for s in specs:
        path = f"{_path}.{s.name}" if _path else s.name
        raw = doc.get(s.name)
        if raw is None:  # absent and null are the same: the default, or "required"
            if s.required:
                raise _fail(f"{_name(path, noun)} is required")
            values[s.name] = s.default
            continue
        values[s.name] = check_value(s.type, raw, s.rules, path, noun)
    return cls(**values)


def check_value(tp: Any, value: Any, r: Rules, path: str, noun: str) -> Any:
    """One value of type ``tp`` under rules ``r`` (``path`` names it in errors)."""
    name = _name(path, noun)
    members = union_members(tp)
    if members is not None:
        present = tuple(m for m in members if m is not type(None))
        if len(present) == 1:
            return check_value(present[0], value, r, path, noun)
        if all(is_schema(m) for m in present):
            return _tagged(present, value, path, noun)
        raise TypeError(f"unsupported union {tp!r} for {path}")
    origin = typing.get_origin(tp)
    if origin is Literal:
        allowed = typing.get_args(tp)
        if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
            raise _fail(f"{name} must be one of: {_choices([str(a) for a in allowed])}")
        return value
    if origin is list:
        return _list(typing.get_args(tp)[0], value, r, path, noun)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            raise _fail(f"{name} must be one of: {_choices([m.value for m in tp])}") from None
    if is_schema(tp):
        return parse(tp, value, noun=noun, _path=path)
    if tp is bool:
        if not isinstance(value, bool):
            raise _fail(f"{name} must be true or false")
        return value
    if tp is int or tp is float:
        return _number(tp, value, r, name)
    if tp is str:
        return _string(value, r, name)
    raise TypeError(f"unsupported field type {tp!r} for {path}")


def _tagged(members: tuple[Any, ...], value: Any, path: str, noun: str) -> Any:
    tag, by_value = tag_of(members)
    if not isinstance(value, dict):
        raise _fail(f"{_name(path, noun)} must be a JSON object")
    kind = value.get(tag)
    if kind is None:
        raise _fail(f"{_name(f'{path}.{tag}', noun)} is required")
    cls = by_value.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise _fail(f"{_name(f'{path}.{tag}', noun)} must be one of: {_choices(sorted(by_value))}")
    return parse(cls, value, noun=noun, _path=path)


def _list(item_tp: Any, value: Any, r: Rules, path: str, noun: str) -> list[Any]:
    name = _name(path, noun)
    if not isinstance(value, list):
        raise _fail(f"{name} must be a list")
    if r.max_items is not None and len(value) > r.max_items:
        raise _fail(f"{name} has more than {r.max_items} items")
    if len(value) < r.min_items:
        raise _fail(f"{name} needs at least {r.min_items} item(s)")
    item_rules = r.item or NO_RULES
    out = []
    for i, item in enumerate(value):
        if item is None:
            raise _fail(f"{_name(f'{path}[{i}]', noun)} must not be null")
        out.append(check_value(item_tp, item, item_rules, f"{path}[{i}]", noun))
    return out


def _number(tp: type, value: Any, r: Rules, name: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"{name} must be {'an integer' if tp is int else 'a number'}")
    if tp is int and not isinstance(value, int):
        raise _fail(f"{name} must be an integer")
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(f"{name} must be a finite number")
    if r.minimum is not None and value < r.minimum:
        raise _fail(f"{name} must be at least {r.minimum}")
    if r.maximum is not None and value > r.maximum:
        raise _fail(f"{name} must be at most {r.maximum}")
    return value


def _string(value: Any, r: Rules, name: str) -> str:
    if not isinstance(value, str):
        raise _fail(f"{name} must be a string")
    if r.strip:
        value = value.strip()
    if r.max_len is not None and len(value) > r.max_len:
        raise _fail(f"{name} is longer than {r.max_len}")
    if len(value) < r.min_len:
        too_short = "must not be empty" if r.min_len == 1 else f"is shorter than {r.min_len}"
        raise _fail(f"{name} {too_short}")
    if r.text and has_non_text(value):
        raise _fail(f"{name} must be printable text")
    if r.pattern is not None and re.fullmatch(r.pattern, value) is None:
        raise _fail(f"{name} is not in the expected form")
    return str(value)


def parse_query(cls: type[T], query: Mapping[str, str]) -> T:
    """Query parameters against a schema: text as given, ``int`` fields from decimal text."""
    doc: dict[str, Any] = dict(query)
    for s in fields_of(cls):
        text = doc.get(s.name)
        members = union_members(s.type) or (s.type,)
        if isinstance(text, str) and int in members:
            if not re.fullmatch(r"-?[0-9]{1,18}", text.strip()):
                raise _fail(f"query parameter {s.name!r} must be an integer")
            doc[s.name] = int(text)
    return parse(cls, doc, noun="query parameter")
