"""Strict parsing of one input's options table into its frozen options dataclass.

Each backend declares its keys once, as a frozen dataclass with defaults; this turns the
TOML table into it and refuses unknown keys and wrong types by name, the same promise the
agent's own config makes (a typo must never be silently ignored at a venue).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from hardware.typed_tables import TableProblem, build_dataclass
from scanner.errors import ScannerConfigError

T = TypeVar("T")


def parse_options(
    cls: type[T], input_id: str, raw: Mapping[str, Any], base_dir: Path | None = None
) -> T:
    """Build ``cls`` (a dataclass) from ``raw``; every mistake names the key.

    ``Path`` fields that are relative resolve against ``base_dir`` (the config file's
    folder), as every path in the agent's config does. A backend's ``__post_init__``
    raises ``ValueError`` for cross-field mistakes; that names the input too.
    """
    try:
        return build_dataclass(cls, raw, base_dir=base_dir)
    except TableProblem as exc:
        raise ScannerConfigError(input_id, exc.key, exc.problem) from None
    except ValueError as exc:
        raise ScannerConfigError(input_id, None, str(exc)) from None
