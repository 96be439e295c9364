"""The strict TOML-to-dataclass machinery behind the agent's config.

Every section is a frozen dataclass; :func:`build_section` fills one from a parsed TOML
table and refuses unknown keys, missing required keys and wrong types with the file, the
dotted key and what was expected.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from edge_agent.errors import ConfigError

T = TypeVar("T")


def resolve(base: Path, p: Path) -> Path:
    return p if p.is_absolute() else (base / p).resolve()


def build_section(
    cls: type[T], doc: Any, file: str, prefix: str, skip: frozenset[str] | set[str] = frozenset()
) -> T:
    where = prefix.rstrip(".") or None
    if not isinstance(doc, dict):
        raise ConfigError(file, where, f"expected a table, got {type_name(doc)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in skip}  # type: ignore[arg-type]
    for key in doc:
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(file, f"{prefix}{key}", f"unknown key (known keys here: {known})")
    values: dict[str, Any] = {}
    for fname, f in fields.items():
        key = f"{prefix}{fname}"
        if fname not in doc:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(file, key, "missing required key")
            continue
        values[fname] = _coerce(hints[fname], doc[fname], file, key)
    return cls(**values)


def _coerce(tp: Any, value: Any, file: str, key: str) -> Any:
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return build_section(tp, value, file, prefix=f"{key}.")
    origin = typing.get_origin(tp)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(file, key, f"expected true or false, got {type_name(value)}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(file, key, f"expected an integer, got {type_name(value)}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ConfigError(file, key, f"expected a string, got {type_name(value)}")
    if tp is Path:
        if isinstance(value, str) and value:
            return Path(value)
        raise ConfigError(file, key, f"expected a path string, got {type_name(value)}")
    if origin is tuple:
        (item_tp, _ellipsis) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(file, key, f"expected a list, got {type_name(value)}")
        return tuple(_coerce(item_tp, v, file, f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(file, key, "internal: unions are not supported in config")
    raise ConfigError(file, key, f"internal: unsupported type {tp!r}")


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
