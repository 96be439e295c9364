"""``edge-agent pretix enrol``: enrol this box with pretix the way a scanning device is.

In pretix (Organizer → Devices → Connect a device) the organiser gets a one-time
initialization token; this exchanges it for the device's API token and writes that to
``sync.token_file`` (mode 0600). The config must already say ``[sync] kind = "pretix"``,
the server (``platform_url``) and ``[sync.pretix]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
from pathlib import Path
from typing import Any

import aiohttp

from edge_agent import __version__
from edge_agent.config.key_files import write_token_file
from edge_agent.config.loading import load_config
from edge_agent.errors import GatehouseError
from sync.errors import SyncError
from sync.pretix.enrol import EnrolledDevice, device_description, initialize


class PretixEnrolError(GatehouseError):
    """Enrolment could not be done; the message says what pretix answered."""


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("pretix", help="enrol this box as a pretix scanning device")
    pretix = p.add_subparsers(dest="pretix_command", required=True)
    enrol = pretix.add_parser("enrol", help="exchange pretix's one-time token for a device token")
    enrol.add_argument("--config", required=True, type=Path)
    enrol.add_argument("--token", required=True, help="pretix's initialization token")
    enrol.add_argument("--replace", action="store_true", help="overwrite an existing token file")
    enrol.add_argument("--json", action="store_true", help="print the device as JSON")
    enrol.set_defaults(func=cmd_enrol)


def cmd_enrol(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if config.sync.kind != "pretix" or not config.sync.enabled:
        raise PretixEnrolError(
            f'{config.source}: set [sync] kind = "pretix" and platform_url first (docs/pretix.md)'
        )
    path = config.sync_token_path
    if path.exists() and not args.replace:
        raise PretixEnrolError(f"{path}: already holds a token (--replace to enrol again)")
    description = device_description(config.agent.agent_id, __version__)
    description["os_version"] = platform.release()
    try:
        device = asyncio.run(_enrol(config.sync.platform_url, args.token, description))
    except SyncError as exc:
        raise PretixEnrolError(f"pretix refused the enrolment: {exc}") from None
    if device.organizer != config.sync.pretix.organizer:
        raise PretixEnrolError(
            f"the token belongs to pretix organizer {device.organizer!r}, but the config says"
            f" sync.pretix.organizer = {config.sync.pretix.organizer!r}; no token was written"
            " (the one-time token is used up: make a new one)"
        )
    write_token_file(path, device.api_token, replace=args.replace)
    if args.json:
        print(json.dumps(device.public_json()))
    else:
        print(
            f"enrolled as pretix device {device.device_id} ({device.name or 'unnamed'},"
            f" organizer {device.organizer}, profile {device.security_profile});"
            f" token written to {path}"
        )
        if device.security_profile not in ("pretixscan", "pretixscan_online_kiosk"):
            print(
                f"note: the device's security profile is {device.security_profile!r}; "
                '"pretixscan" is all a gate needs (docs/pretix.md)',
                file=sys.stderr,
            )
    return 0


async def _enrol(url: str, token: str, description: dict[str, Any]) -> EnrolledDevice:
    async with aiohttp.ClientSession() as session:
        return await initialize(session, url, token, description)
