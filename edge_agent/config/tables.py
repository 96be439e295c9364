"""The agent config's side of the strict TOML-to-dataclass builder.

Every section is a frozen dataclass; :func:`build_section` fills one from a parsed TOML
table (``hardware/typed_tables.py`` holds the rules, shared with device options) and
turns a mistake into a ``ConfigError`` with the file, the dotted key and what was
expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from edge_agent.errors import ConfigError
from hardware.typed_tables import TableProblem, build_dataclass

T = TypeVar("T")


def resolve(base: Path, p: Path) -> Path:
    return p if p.is_absolute() else (base / p).resolve()


def build_section(
    cls: type[T], doc: Any, file: str, prefix: str, skip: frozenset[str] | set[str] = frozenset()
) -> T:
    """Fill the section ``cls`` from its TOML table; mistakes name the file and key."""
    try:
        return build_dataclass(cls, doc, prefix=prefix, skip=skip)
    except TableProblem as exc:
        raise ConfigError(file, exc.key, exc.problem) from None
