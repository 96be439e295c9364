"""Strict parsing of one input's options table into its frozen options dataclass.

Each backend declares its keys once, as a frozen dataclass with defaults; this turns the
TOML table into it and refuses unknown keys and wrong types by name, the same promise the
agent's own config makes (a typo must never be silently ignored at a venue).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from scanner.errors import ScannerConfigError

T = TypeVar("T")


def parse_options(
    cls: type[T], input_id: str, raw: Mapping[str, Any], base_dir: Path | None = None
) -> T:
    """Build ``cls`` (a dataclass) from ``raw``; every mistake names the key.

    ``Path`` fields that are relative resolve against ``base_dir`` (the config file's
    folder), as every path in the agent's config does.
    """
    assert dataclasses.is_dataclass(cls)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in fields:
            known = ", ".join(sorted(fields)) or "none"
            raise ScannerConfigError(input_id, key, f"unknown key (known keys here: {known})")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ScannerConfigError(input_id, name, "missing required key")
            continue
        value = _coerce(hints[name], raw[name], input_id, name)
        if isinstance(value, Path) and not value.is_absolute() and base_dir is not None:
            value = (base_dir / value).resolve()
        values[name] = value
    try:
        return cls(**values)
    except ValueError as exc:  # __post_init__ checks of a backend
        raise ScannerConfigError(input_id, None, str(exc)) from None


def _coerce(tp: Any, value: Any, input_id: str, key: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != 1:
            raise ScannerConfigError(input_id, key, "internal: only `X | None` unions")
        return _coerce(args[0], value, input_id, key)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ScannerConfigError(input_id, key, f"expected true or false, got {_tname(value)}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ScannerConfigError(input_id, key, f"expected an integer, got {_tname(value)}")
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ScannerConfigError(input_id, key, f"expected a number, got {_tname(value)}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ScannerConfigError(input_id, key, f"expected a string, got {_tname(value)}")
    if tp is Path:
        if isinstance(value, str) and value:
            return Path(value)
        raise ScannerConfigError(input_id, key, f"expected a path string, got {_tname(value)}")
    if origin is tuple:
        item_tp = typing.get_args(tp)[0]
        if not isinstance(value, list):
            raise ScannerConfigError(input_id, key, f"expected a list, got {_tname(value)}")
        return tuple(_coerce(item_tp, v, input_id, f"{key}[{i}]") for i, v in enumerate(value))
    raise ScannerConfigError(input_id, key, f"internal: unsupported type {tp!r}")


def _tname(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
