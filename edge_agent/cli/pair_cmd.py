"""``edge-agent pair`` and ``edge-agent devices``: pair, list and revoke devices."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from edge_agent.cli.control_client import control_call
from edge_agent.config.loading import load_config
from edge_agent.devices.roles import Role


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("pair", help="print a one-time code a device exchanges for a token")
    p.add_argument("--config", required=True, type=Path)
    p.add_argument("--role", choices=[r.value for r in Role], help="required to pair")
    p.add_argument("--name", default="", help="what to call the device (e.g. 'iPad 2')")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument(
        "--unlock",
        action="store_true",
        help="lift a pairing lockout (too many wrong codes) instead of making a code",
    )
    p.set_defaults(func=cmd_pair)

    d = sub.add_parser("devices", help="list or revoke paired devices")
    d.add_argument("--config", required=True, type=Path)
    d.add_argument("--revoke", metavar="DEVICE_ID", help="revoke this device's token")
    d.set_defaults(func=cmd_devices)


def cmd_pair(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.unlock:
        view = control_call(config.control_socket, "POST", "/control/pairing/unlock")
        print(json.dumps(view) if args.json else "pairing is open again; every address forgiven")
        return 0
    if not args.role:
        print("edge-agent pair: --role is required (or --unlock)", file=sys.stderr)
        return 2
    # Asked first: if the agent is not running, no code is made.
    urls = control_call(config.control_socket, "GET", "/control/addresses")["urls"]
    answer = control_call(
        config.control_socket,
        "POST",
        "/control/pairing-codes",
        {"role": args.role, "name": args.name},
    )
    if args.json:
        print(json.dumps(answer))
        return 0
    print(f"Pairing code: {answer['code']}")
    print(f"  role {answer['role']}, valid until {answer['expires_at']}, works once")
    body = f'{{"code": "{answer["code"]}", "name": "..."}}'
    targets = [f"{url}/api/v1/pair" for url in device_urls(urls)] or ["/api/v1/pair"]
    print(f"On the device: POST {' or '.join(targets)} with {body} — the answer holds its token.")
    https = [url for url in device_urls(urls) if url.startswith("https:")]
    if https:
        print(f"  (the device trusts the venue CA first: {https[0]}/trust/)")
    return 0


def device_urls(bound: list[str]) -> list[str]:
    """The bound URLs as a device would use them: a wildcard address ("0.0.0.0", "::")
    is not one a device can reach, so it is named for what it stands for."""
    out = []
    for url in bound:
        parts = urlsplit(url)
        if parts.hostname in ("0.0.0.0", "::"):  # noqa: S104 - a bound address, compared
            url = f"{parts.scheme}://<this box's address>:{parts.port}"
        out.append(url)
    return out


def cmd_devices(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.revoke:
        answer = control_call(
            config.control_socket, "POST", f"/control/devices/{args.revoke}/revoke"
        )
        print(f"revoked {answer['device_id']} at {answer['revoked_at']}")
        return 0
    for d in control_call(config.control_socket, "GET", "/control/devices"):
        state = f"revoked {d['revoked_at']}" if d["revoked_at"] else "active"
        print(
            f"{d['device_id']}  {d['role']:<10}  {d['name']:<20}  paired {d['paired_at']}  {state}"
        )
    return 0
