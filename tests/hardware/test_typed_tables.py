"""The one strict table builder behind the agent config, scanner and device options."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from hardware.typed_tables import TableProblem, build_dataclass


@dataclass(frozen=True)
class Inner:
    level: Literal["low", "high"] = "low"
    pins: tuple[int, ...] = ()


@dataclass(frozen=True)
class Outer:
    name: str
    ratio: float = 1.0
    limit: int | None = None
    either: int | str = 0
    where: Path = Path("x")
    inner: Inner = field(default_factory=Inner)
    filled_by_caller: str = ""


def test_builds_nested_tables_and_converts_what_is_safe(tmp_path: Path) -> None:
    raw = {"name": "a", "ratio": 2, "either": "s", "where": "sub/f", "inner": {"pins": [1, 2]}}
    built = build_dataclass(Outer, raw, base_dir=tmp_path)
    assert built == Outer("a", 2.0, None, "s", tmp_path / "sub" / "f", Inner("low", (1, 2)))
    assert isinstance(built.ratio, float)
    assert build_dataclass(Outer, {"name": "a", "where": "/abs"}).where == Path("/abs")


@pytest.mark.parametrize(
    ("raw", "key", "problem"),
    [
        ({}, "t.name", "missing required key"),
        ({"name": "a", "nmae": 1}, "t.nmae", "unknown key (known keys here: either, inner, "),
        ({"name": 1}, "t.name", "expected a string, got integer 1"),
        ({"name": "a", "ratio": True}, "t.ratio", "expected a number, got boolean true"),
        ({"name": "a", "limit": "5"}, "t.limit", "expected an integer, got string '5'"),
        ({"name": "a", "either": 1.5}, "t.either", "expected an integer or a string, got"),
        ({"name": "a", "inner": {"level": True}}, "t.inner.level", "one of 'low' | 'high'"),
        ({"name": "a", "inner": {"pins": [1, "2"]}}, "t.inner.pins[1]", "expected an integer"),
        ({"name": "a", "inner": 3}, "t.inner", "expected a table, got integer 3"),
        ({"name": "a", "where": ""}, "t.where", "expected a path string"),
        ({"name": "a", "filled_by_caller": "x"}, "t.filled_by_caller", "unknown key"),
    ],
)
def test_every_mistake_names_its_key(raw: dict[str, object], key: str, problem: str) -> None:
    with pytest.raises(TableProblem) as err:
        build_dataclass(Outer, raw, prefix="t.", skip={"filled_by_caller"})
    assert err.value.key == key
    assert problem in err.value.problem
