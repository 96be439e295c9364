"""The pure core imports no I/O, clock or logging module (import-linter covers our own
packages and third-party ones; this covers the standard library)."""

from __future__ import annotations

import ast

from tests.paths import REPO_ROOT

DOMAIN = REPO_ROOT / "edge_agent" / "domain"
FORBIDDEN = {
    "os",
    "io",
    "sys",
    "time",
    "socket",
    "sqlite3",
    "asyncio",
    "logging",
    "subprocess",
    "threading",
    "random",
    "secrets",
    "pathlib",
    "shutil",
    "tempfile",
    "urllib",
    "http",
    "select",
    "signal",
    "aiohttp",
}


def test_domain_modules_import_no_io() -> None:
    offenders = []
    files = sorted(DOMAIN.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
