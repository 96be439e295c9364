"""JSON Schema (2020-12, as OpenAPI 3.1 uses it) from the API's declared types.

Why: the request dataclasses (``api/schema_types.py``) and the response TypedDicts
(``api/response_types.py``) are the contract; this turns them into the ``components``
of the OpenAPI document, so what the document says is what ``parse`` checks and what
mypy checks the views against. Each dataclass or TypedDict becomes one named component,
referenced with ``$ref``.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any, Literal, NotRequired, Required, is_typeddict

from edge_agent.api.schema.schema_types import NO_RULES, Rules, fields_of, is_schema, tag_of

JsonSchema = dict[str, Any]

_PRIMITIVES: dict[Any, JsonSchema] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    Any: {},
    object: {},
}


class SchemaSet:
    """Collects the named components while types are converted."""

    def __init__(self) -> None:
        self.components: dict[str, JsonSchema] = {}
        self._owners: dict[str, Any] = {}

    def ref(self, tp: Any) -> JsonSchema:
        name = tp.__name__
        owner = self._owners.get(name)
        if owner is not None and owner is not tp:  # same name, two modules: qualify it
            name = f"{tp.__module__.rsplit('.', 1)[-1]}.{name}"
            owner = self._owners.get(name)
        if owner is None:
            self._owners[name] = tp
            self.components[name] = {}  # placeholder: a recursive type refers to itself
            self.components[name] = self._object(tp)
        return {"$ref": f"#/components/schemas/{name}"}

    def schema(self, tp: Any, r: Rules = NO_RULES) -> JsonSchema:
        """The JSON Schema of ``tp`` (with limits ``r`` for a request field)."""
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin in (Required, NotRequired):
            return self.schema(args[0], r)
        if origin is typing.Union or origin is types.UnionType:
            return self._union(args, r)
        if origin is Literal:
            return _literal(args)
        if origin is list or origin is tuple:
            out: JsonSchema = {"type": "array", "items": self.schema(args[0], r.item or NO_RULES)}
            if r.max_items is not None:
                out["maxItems"] = r.max_items
            if r.min_items:
                out["minItems"] = r.min_items
            return out
        if origin is dict:
            return {"type": "object", "additionalProperties": self.schema(args[1])}
        if tp is dict or tp is list:
            return {"type": "object" if tp is dict else "array"}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return _literal(tuple(m.value for m in tp))
        if is_schema(tp) or is_typeddict(tp):
            return self.ref(tp)
        if tp in _PRIMITIVES:
            return {**_PRIMITIVES[tp], **_limits(tp, r)}
        raise TypeError(f"no JSON Schema for {tp!r}")

    def _union(self, args: tuple[Any, ...], r: Rules) -> JsonSchema:
        present = [a for a in args if a is not type(None)]
        nullable = len(present) < len(args)
        if len(present) > 1 and all(is_schema(a) for a in present):
            tag, by_value = tag_of(tuple(present))
            mapping = {value: self.ref(cls)["$ref"] for value, cls in by_value.items()}
            out: JsonSchema = {
                "oneOf": [self.ref(a) for a in present],
                "discriminator": {"propertyName": tag, "mapping": mapping},
            }
        else:
            options = [self.schema(a, r) for a in present]
            out = options[0] if len(options) == 1 else {"anyOf": options}
        if not nullable:
            return out
        if isinstance(out.get("type"), str) and "enum" not in out:
            return {**out, "type": [out["type"], "null"]}
        return {"anyOf": [out, {"type": "null"}]}

    def _object(self, tp: Any) -> JsonSchema:
        props: dict[str, JsonSchema] = {}
        required: list[str] = []
        if is_schema(tp):
            for s in fields_of(tp):
                props[s.name] = self.schema(s.type, s.rules)
                note = " ".join(
                    part
                    for part in (s.rules.description, "(printable text)" * s.rules.text)
                    if part
                )
                if note:
                    props[s.name]["description"] = note
                if s.required:
                    required.append(s.name)
                elif _plain_default(s.default):
                    props[s.name]["default"] = _plain_default(s.default)[0]
            extra = False
        else:
            hints = typing.get_type_hints(tp, include_extras=True)
            for name, hint in hints.items():
                props[name] = self.schema(hint)
                marker = typing.get_origin(hint)
                if marker is Required or (marker is not NotRequired and tp.__total__):
                    required.append(name)  # (``__required_keys__`` misses string annotations)
            extra = None  # answers may grow: clients ignore what they do not know
        out: JsonSchema = {"type": "object", "properties": props}
        if required:
            out["required"] = required
        if extra is False:
            out["additionalProperties"] = False
        doc = (tp.__doc__ or "").strip()
        if doc and not doc.startswith(f"{tp.__name__}("):  # dataclasses invent one
            out["description"] = " ".join(doc.split())
        return out


def _limits(tp: Any, r: Rules) -> JsonSchema:
    out: JsonSchema = {}
    if tp is str:
        if r.max_len is not None:
            out["maxLength"] = r.max_len
        if r.min_len:
            out["minLength"] = r.min_len
        if r.pattern is not None:
            out["pattern"] = f"^(?:{r.pattern})$"
    elif tp in (int, float):
        if r.minimum is not None:
            out["minimum"] = r.minimum
        if r.maximum is not None:
            out["maximum"] = r.maximum
    return out


def _literal(values: tuple[Any, ...]) -> JsonSchema:
    kinds = {type(v) for v in values}
    out: JsonSchema = {"enum": [v.value if isinstance(v, enum.Enum) else v for v in values]}
    if kinds <= {str} or all(isinstance(v, str) for v in values):
        out["type"] = "string"
    elif kinds <= {int}:
        out["type"] = "integer"
    return out


def _plain_default(value: Any) -> tuple[Any, ...]:
    """``(value,)`` for a default worth showing (JSON-able, not None), else ``()``."""
    if isinstance(value, enum.Enum):
        return (value.value,)
    if isinstance(value, str | int | float | bool) and value != "":
        return (value,)
    return ()
