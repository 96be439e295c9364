"""Where things are, for tests at any depth of ``tests/``."""

from __future__ import annotations

from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
GOLDEN_DIR = TESTS_DIR / "golden"
DATA_DIR = TESTS_DIR / "data"
