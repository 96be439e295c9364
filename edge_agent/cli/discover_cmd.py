"""``edge-agent discover``: list the agents announcing on the LAN (``docs/tui.md``)."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict
from typing import Any

from edge_agent.api.discovery import DEFAULT_BROWSE_S


def add_discovery_args(p: argparse.ArgumentParser) -> None:
    """``--on`` and ``--seconds``: shared by ``discover`` and ``tui --discover``."""
    p.add_argument(
        "--on",
        action="append",
        default=None,
        metavar="ADDRESS",
        help="browse only on the interface with this IPv4 address (repeatable; default: all)",
    )
    p.add_argument(
        "--seconds",
        type=float,
        default=DEFAULT_BROWSE_S,
        help=f"how long to listen for answers (default {DEFAULT_BROWSE_S})",
    )


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("discover", help="list the Gatehouse agents announcing on the LAN")
    add_discovery_args(p)
    p.add_argument("--json", action="store_true", help="one JSON object per agent and address")
    p.set_defaults(func=cmd_discover)


def cmd_discover(args: argparse.Namespace) -> int:
    from edge_agent.api.discovery import browse

    found = asyncio.run(browse(args.on, args.seconds))
    for agent in found:
        print(json.dumps(asdict(agent), sort_keys=True) if args.json else agent.describe())
    if not found and not args.json:
        print("no agent found (agents announce with [discovery] announce = true)")
    return 0 if found else 1
