"""A failed mesh test says what the boxes said: the tail of each agent's log (warnings
and mesh lines) is added to its report, with where the whole logs are kept."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from demo.mesh_venue import MeshVenue

_TAIL = 25


def _roots(item: pytest.Item) -> list[Path]:
    roots: list[Path] = []
    for value in getattr(item, "funcargs", {}).values():
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, MeshVenue):
                roots.append(v.root)
            elif isinstance(v, Path):
                roots.append(v)
    return roots


def _worth_showing(line: str) -> bool:
    return '"level": "info"' not in line or '"edge_agent.mesh' in line


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for root in _roots(item):
            for log in sorted(root.rglob("agent.log")):
                lines = [
                    x for x in log.read_text(errors="replace").splitlines() if _worth_showing(x)
                ]
                text = "\n".join(x[:400] for x in lines[-_TAIL:])
                report.sections.append((f"agent log {log} (tail)", text))
    return report
