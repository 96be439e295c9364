"""Strict parsing of a device's type-specific config keys into its frozen options class.

The agent's config loader knows only ``id`` and ``type``; everything else in a
``[[lanes.outputs]]`` (or printer) table belongs to the backend, which declares it as a
frozen dataclass with defaults. :func:`parse_options` turns the raw TOML mapping into that
dataclass, and refuses unknown keys and wrong types with a message naming the key, so a
typo like ``relay_puls_ms`` stops the agent at start instead of being silently ignored.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from hardware.errors import HardwareConfigError

T = TypeVar("T")


def parse_options(cls: type[T], device_id: str, raw: Mapping[str, object]) -> T:
    """Build ``cls`` (a frozen dataclass) from ``raw``; unknown or ill-typed keys are errors.

    If the class has a ``validate(device_id)`` method it is called last.
    Supported field types: ``bool``, ``int``, ``float`` (ints accepted), ``str``,
    ``Literal[...]`` of strings, and any of these ``| None``.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise HardwareConfigError(
            device_id, unknown[0], f"unknown key (known keys: {', '.join(sorted(known))})"
        )
    values: dict[str, Any] = {}
    for name, value in raw.items():
        values[name] = _check(device_id, name, hints[name], value)
    try:
        options = cls(**values)
    except TypeError as exc:  # a required key is missing
        raise HardwareConfigError(device_id, None, str(exc)) from exc
    validate = getattr(options, "validate", None)
    if callable(validate):  # cross-field checks (distinct pins, sane durations)
        validate(device_id)
    return options


def _check(device_id: str, key: str, hint: Any, value: object) -> object:
    """Return ``value`` if it fits ``hint`` (converting int → float), else raise."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _check(device_id, key, arg, value)
            except HardwareConfigError:
                continue
        raise HardwareConfigError(device_id, key, f"expected {_describe(hint)}, got {value!r}")
    if origin is Literal:
        if value in args:
            return value
        choices = " | ".join(repr(a) for a in args)
        raise HardwareConfigError(device_id, key, f"expected one of {choices}, got {value!r}")
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    else:  # pragma: no cover - a backend declared a type this parser does not know
        raise TypeError(f"unsupported option type {hint!r} for {key}")
    raise HardwareConfigError(device_id, key, f"expected {_describe(hint)}, got {value!r}")


def _describe(hint: Any) -> str:
    """Human name of a type hint for error messages (``int or none``)."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "nothing (omit the key)"
    return getattr(hint, "__name__", str(hint))
