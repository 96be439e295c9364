"""Placeholder until the codec work lands."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: "argparse._SubParsersAction[Any]") -> None:
    pass
