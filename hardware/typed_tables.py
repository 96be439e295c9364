"""One strict TOML-table-to-dataclass builder for every config table Gatehouse reads.

The agent's own sections (``edge_agent/config/tables.py``), each scanner input's options
(``scanner/options.py``) and each output device's options (``hardware/options.py``) make
the same promise to a venue tech: an unknown key, a missing required key or a value of the
wrong type stops the agent with the key's name and what was expected — a typo is never
silently ignored. The rules live here once, in the bottom layer every package may import;
each caller turns :class:`TableProblem` into its own package's error (file name, device
id), so messages stay in the caller's words.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

T = TypeVar("T")


class TableProblem(Exception):
    """``key`` (dotted, ``None`` for the table itself) and what is wrong with it."""

    def __init__(self, key: str | None, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def build_dataclass(
    cls: type[T],
    raw: object,
    *,
    prefix: str = "",
    base_dir: Path | None = None,
    skip: Collection[str] = (),
) -> T:
    """Build the dataclass ``cls`` from a parsed TOML table, or raise ``TableProblem``.

    Field types understood: ``bool``, ``int``, ``float`` (integers accepted), ``str``,
    ``Path`` (relative ones resolved against ``base_dir`` when given), ``Literal[...]``,
    unions such as ``X | None``, ``tuple[X, ...]`` and nested dataclasses. Fields named in
    ``skip`` are not keys (the caller fills them). Keys are reported as ``prefix + name``.
    """
    if not isinstance(raw, Mapping):
        raise TableProblem(prefix.rstrip(".") or None, f"expected a table, got {type_name(raw)}")
    assert dataclasses.is_dataclass(cls)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and f.name not in skip}
    for key in raw:
        if key not in fields:
            known = ", ".join(sorted(fields)) or "none"
            raise TableProblem(f"{prefix}{key}", f"unknown key (known keys here: {known})")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        key = f"{prefix}{name}"
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise TableProblem(key, "missing required key")
            continue
        values[name] = coerce(hints[name], raw[name], key, base_dir)
    return cls(**values)


def coerce(tp: Any, value: Any, key: str, base_dir: Path | None = None) -> Any:
    """``value`` checked against the type ``tp`` (ints become floats for ``float``)."""
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return build_dataclass(tp, value, prefix=f"{key}.", base_dir=base_dir)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _coerce_union(tp, value, key, base_dir)
    if origin is Literal:
        choices = typing.get_args(tp)
        if value in choices and type(value) in {type(c) for c in choices}:
            return value
        listed = " | ".join(repr(c) for c in choices)
        raise TableProblem(key, f"expected one of {listed}, got {type_name(value)}")
    if origin is tuple:
        item_tp = typing.get_args(tp)[0]
        if not isinstance(value, list):
            raise TableProblem(key, f"expected a list, got {type_name(value)}")
        return tuple(coerce(item_tp, v, f"{key}[{i}]", base_dir) for i, v in enumerate(value))
    return _coerce_scalar(tp, value, key, base_dir)


def _coerce_union(tp: Any, value: Any, key: str, base_dir: Path | None) -> Any:
    args = typing.get_args(tp)
    if value is None and type(None) in args:
        return None
    others = [a for a in args if a is not type(None)]
    if len(others) == 1:  # ``X | None``: X's own message, with its exact key (``roi[1]``)
        return coerce(others[0], value, key, base_dir)
    for arg in others:
        if arg is type(None):
            continue
        try:
            return coerce(arg, value, key, base_dir)
        except TableProblem:
            continue
    raise TableProblem(key, f"expected {describe(tp)}, got {type_name(value)}")


def _coerce_scalar(tp: Any, value: Any, key: str, base_dir: Path | None) -> Any:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if tp is bool and isinstance(value, bool):
        return value
    if tp is int and is_int:
        return value
    if tp is float and (is_int or isinstance(value, float)):
        return float(value)
    if tp is str and isinstance(value, str):
        return value
    if tp is Path and isinstance(value, str) and value:
        path = Path(value)
        return (base_dir / path).resolve() if base_dir and not path.is_absolute() else path
    if tp not in (bool, int, float, str, Path):  # a table class declared a type not known here
        raise TypeError(f"unsupported field type {tp!r} for {key}")
    raise TableProblem(key, f"expected {describe(tp)}, got {type_name(value)}")


_NAMES = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
    Path: "a path string",
    type(None): "nothing (omit the key)",
}


def describe(tp: Any) -> str:
    """A type as a venue tech reads it: ``an integer or nothing (omit the key)``."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in typing.get_args(tp))
    return _NAMES.get(tp, getattr(tp, "__name__", str(tp)))


def type_name(value: Any) -> str:
    """What was found instead, with the value when it is short (``string 'x'``)."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value}" if isinstance(value, float) else f"integer {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
