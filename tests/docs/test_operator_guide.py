"""The operator's guide stays true: its pictures exist (the TUI's are byte-for-byte the
snapshots the TUI tests pin) and every ``edge-agent`` command it names exists."""

from __future__ import annotations

import argparse
import re

from edge_agent.cli.main import build_parser
from tests.paths import REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "operator-guide.md"
IMAGES = REPO_ROOT / "docs" / "images"
SNAPSHOTS = REPO_ROOT / "tests" / "tui" / "__snapshots__" / "test_snapshots"
SCRIPT = REPO_ROOT / "scripts" / "guide-images.sh"


def test_every_picture_the_guide_shows_is_there() -> None:
    linked = re.findall(r"!\[[^\]]*\]\(images/([^)]+)\)", GUIDE.read_text())
    assert len(linked) >= 8
    for name in linked:
        assert (IMAGES / name).is_file(), f"docs/images/{name}: run scripts/guide-images.sh"


def test_the_tui_pictures_are_the_pinned_snapshots() -> None:
    pairs = re.findall(r"^(tui-\S+\.svg) \$SNAP/(\S+)$", SCRIPT.read_text(), re.MULTILINE)
    assert pairs
    for name, snapshot in pairs:
        pinned = (SNAPSHOTS / snapshot).read_bytes()
        assert (IMAGES / name).read_bytes() == pinned, f"{name}: run scripts/guide-images.sh"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_edge_agent_command_in_the_guide_exists() -> None:
    top = _subcommands(build_parser())
    named = re.findall(r"edge-agent ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", GUIDE.read_text())
    assert {"doctor", "backup", "report", "pair", "sync", "tui"} <= {first for first, _ in named}
    for first, second in named:
        assert first in top, f"edge-agent {first}"
        nested = _subcommands(top[first])
        if nested and second:
            assert second in nested, f"edge-agent {first} {second}"
