"""Strict parsing of a device's type-specific config keys into its frozen options class.

The agent's config loader knows only ``id`` and ``type``; everything else in a
``[[lanes.outputs]]`` (or printer) table belongs to the backend, which declares it as a
frozen dataclass with defaults. :func:`parse_options` turns the raw TOML mapping into that
dataclass (the rules: ``hardware/typed_tables.py``), and refuses unknown keys and wrong
types with a message naming the key, so a typo like ``relay_puls_ms`` stops the agent at
start instead of being silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from hardware.errors import HardwareConfigError
from hardware.typed_tables import TableProblem, build_dataclass

T = TypeVar("T")


def parse_options(cls: type[T], device_id: str, raw: Mapping[str, object]) -> T:
    """Build ``cls`` (a frozen dataclass) from ``raw``; unknown or ill-typed keys are errors.

    If the class has a ``validate(device_id)`` method it is called last (cross-field
    checks: distinct pins, sane durations).
    """
    try:
        options = build_dataclass(cls, raw)
    except TableProblem as exc:
        raise HardwareConfigError(device_id, exc.key, exc.problem) from None
    validate = getattr(options, "validate", None)
    if callable(validate):
        validate(device_id)
    return options
