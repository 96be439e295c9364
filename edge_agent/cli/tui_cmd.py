"""``edge-agent tui``: the box-office and supervisor TUI (``docs/tui.md``).

The TUI is a client of the agent's HTTP API only; this command just finds the URL and
the token file and starts it. Textual is imported here, lazily, so the other commands
never pay for it.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import Any

from edge_agent.cli.discover_cmd import add_discovery_args
from edge_agent.i18n.languages import LANGUAGES

DEFAULT_URL = "http://127.0.0.1:8443"


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("tui", help="the box-office and supervisor terminal UI")
    p.add_argument("--url", default=None, help=f"the agent's API (default {DEFAULT_URL})")
    p.add_argument(
        "--config", type=Path, default=None, help="take the URL from this agent config instead"
    )
    p.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help="where the device token is kept (default ~/.config/gatehouse/tui-token.json)",
    )
    p.add_argument(
        "--discover",
        action="store_true",
        help="find the agent with zeroconf (the one found, or the one named by --agent-id)",
    )
    p.add_argument("--agent-id", default=None, help="with --discover: the agent to connect to")
    add_discovery_args(p)
    p.add_argument(
        "--ca-file",
        type=Path,
        default=None,
        help="the venue CA to verify an https:// agent with (from <agent>/trust/); "
        "default: with --config, the box's own; else the system's trusted CAs",
    )
    p.add_argument("--name", default=None, help="this TUI's device name when pairing")
    p.add_argument("--pair", action="store_true", help="pair again even if a token is stored")
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=None,
        help="staff messages in this language (default: the gate's language)",
    )
    p.set_defaults(func=cmd_tui)


def agent_url(args: argparse.Namespace) -> str:
    """The agent's URL: ``--url``, what ``--discover`` finds, the config's, or the default."""
    if args.url:
        return str(args.url)
    if args.discover:
        import asyncio

        from edge_agent.api.discovery import browse, choose

        agent = choose(asyncio.run(browse(args.on, args.seconds)), args.agent_id)
        print(f"edge-agent tui: found {agent.describe()}", file=sys.stderr)
        return agent.url
    if args.config is not None:
        from edge_agent.config.loading import load_config

        config = load_config(args.config)
        return config_url(config.api.listen, config.api.port, config.tls.loopback)
    return DEFAULT_URL


def config_url(listen: tuple[str, ...], port: int, tls_on_loopback: bool) -> str:
    """A loopback address if the API listens on one (plain HTTP there unless [tls]
    loopback), else its first address over HTTPS."""
    loopback = [h for h in listen if ipaddress.ip_address(h).is_loopback]
    wildcard = [h for h in listen if h in ("0.0.0.0", "::")]  # noqa: S104 - not binding
    if loopback or wildcard:
        host = loopback[0] if loopback else "127.0.0.1"
        scheme = "https" if tls_on_loopback or not loopback else "http"
    else:
        host, scheme = listen[0], "https"
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port}"


def ca_file(args: argparse.Namespace) -> str | None:
    """``--ca-file``, or with ``--config`` the box's venue CA (when this user can read it)."""
    if args.ca_file is not None:
        return str(args.ca_file)
    if args.config is not None:
        from edge_agent.config.loading import load_config
        from edge_agent.tls.venue_ca import CA_CERT_FILE

        path = load_config(args.config).tls_dir / CA_CERT_FILE
        if os.access(path, os.R_OK):
            return str(path)
    return None


def cmd_tui(args: argparse.Namespace) -> int:
    from tui.app import GatehouseApp
    from tui.client import HttpAgentClient
    from tui.errors import TuiError
    from tui.token_store import default_token_path, read_token

    url = agent_url(args).rstrip("/")
    token_path: Path = args.token_file or default_token_path()
    try:
        stored = None if args.pair else read_token(token_path)
    except TuiError as exc:
        print(f"edge-agent tui: {exc}", file=sys.stderr)
        return 2
    if stored is not None and stored.url != url:
        stored = None  # paired with another agent: pair with this one
    name = args.name or f"TUI on {socket.gethostname()}"
    client = HttpAgentClient(url, language=args.lang, ca_file=ca_file(args))
    app = GatehouseApp(client, stored=stored, token_path=token_path, device_name=name)
    app.run()
    return app.return_code or 0
