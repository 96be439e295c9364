"""``edge-agent run --config FILE``: the agent process (what systemd starts)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from edge_agent.api.app import create_app, create_control_app
from edge_agent.api.connections.middleware import CONNECTIONS_KEY
from edge_agent.api.connections.site import GuardedSite
from edge_agent.api.keys import RUNTIME_KEY
from edge_agent.config.loading import load_config
from edge_agent.config.sections import Config
from edge_agent.errors import GatehouseError, LedgerError
from edge_agent.logs import setup_logging
from edge_agent.runtime import AgentRuntime

if TYPE_CHECKING:
    from edge_agent.api.discovery import Announcer

log = logging.getLogger(__name__)

EXIT_CONFIG = 2
EXIT_LEDGER = 3


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("run", help="run the agent (ledger, LAN API) until SIGTERM")
    p.add_argument("--config", required=True, type=Path, help="the agent's TOML config")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except GatehouseError as exc:
        print(f"edge-agent: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(config.log.level, config.log.format)
    try:
        return asyncio.run(serve(config))
    finally:
        # The ledger is closed by now; a repeated SIGTERM/Ctrl-C while the interpreter
        # exits must not turn a clean stop into "killed by signal".
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class RunningAgent:
    """A started agent: its runner, the runtime and the addresses it listens on."""

    def __init__(
        self,
        runner: web.AppRunner,
        control: web.AppRunner,
        urls: list[str],
        socket: Path,
        announcer: Announcer | None = None,
    ) -> None:
        self.runner = runner
        self.control = control
        self.urls = urls
        self.socket = socket
        self.announcer = announcer

    @property
    def runtime(self) -> AgentRuntime:
        return self.runner.app[RUNTIME_KEY]

    async def stop(self) -> None:
        if self.announcer is not None:
            try:
                await self.announcer.close()
            except Exception:  # a failed goodbye must not keep the ledger open
                log.exception("discovery: withdrawing the announcement failed")
        await self.control.cleanup()
        self.socket.unlink(missing_ok=True)  # before the lock goes: it is still ours
        await self.runner.cleanup()
        self.runner.app[CONNECTIONS_KEY].close_all()  # any still shaking hands


async def start_agent(config: Config) -> RunningAgent:
    """Start the runtime, the LAN API on the configured addresses and the control socket."""
    app = create_app(config)
    guard = app[CONNECTIONS_KEY]
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=None,
        shutdown_timeout=5.0,
        # aiohttp's keep-alive timer: closes a connection idle between requests, and one
        # whose next request's headers do not arrive in time (connections/site.py)
        keepalive_timeout=config.api.idle_timeout_s,
    )
    await runner.setup()
    control: web.AppRunner | None = None
    try:
        urls: list[str] = []
        tls = app[RUNTIME_KEY].tls
        for host in config.api.listen:
            ssl_context = tls.server_context() if https_on(host, config.tls.loopback) else None
            site = GuardedSite(runner, host, config.api.port, guard=guard, ssl_context=ssl_context)
            await site.start()
            urls.extend(_bound_urls(site, https=ssl_context is not None))
        mesh = app[RUNTIME_KEY].mesh
        if mesh is not None and urls:  # devices that fail over find this box here
            mesh.set_api_url(device_url(urls, config.mesh.public_host))
        control = web.AppRunner(
            create_control_app(app, urls), handle_signals=False, access_log=None
        )
        await control.setup()
        sock_path = config.control_socket
        with contextlib.suppress(FileNotFoundError):
            sock_path.unlink()  # stale from a killed agent; we hold the data-dir lock
        old_umask = os.umask(0o177)
        try:
            await web.UnixSite(control, str(sock_path)).start()
        finally:
            os.umask(old_umask)
        announcer = None
        if config.discovery.announce:  # zeroconf is imported only by boxes that announce
            from edge_agent.api.discovery import Announcer

            announcer = await Announcer.start(config, urls)
    except BaseException:
        if control is not None:
            await control.cleanup()
        await runner.cleanup()
        raise
    return RunningAgent(runner, control, urls, sock_path, announcer)


def device_url(urls: list[str], public_host: str) -> str:
    """The URL other boxes and devices reach this API at: a wildcard address is replaced
    by the mesh's public host."""
    url = urls[0]
    host = url.split("://", 1)[1].rsplit(":", 1)[0]
    if host in ("0.0.0.0", "[::]") and public_host:  # noqa: S104 - compared, not bound
        url = url.replace(host, public_host, 1)
    return url


def https_on(host: str, tls_on_loopback: bool) -> bool:
    """HTTPS on every address but loopback (there plain HTTP serves local tools, unless
    ``[tls] loopback``): nothing that leaves the box is ever plain HTTP."""
    return tls_on_loopback or not ipaddress.ip_address(host).is_loopback


def _bound_urls(site: web.BaseSite, *, https: bool) -> list[str]:
    server = site._server
    scheme = "https" if https else "http"
    out: list[str] = []
    for sock in getattr(server, "sockets", None) or []:
        host, port = sock.getsockname()[:2]
        out.append(
            f"{scheme}://{host}:{port}" if ":" not in host else f"{scheme}://[{host}]:{port}"
        )
    return out


async def serve(config: Config) -> int:
    try:
        agent = await start_agent(config)
    except LedgerError as exc:
        print(f"edge-agent: {exc}", file=sys.stderr)
        return EXIT_LEDGER
    except (GatehouseError, OSError) as exc:
        print(f"edge-agent: cannot start: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("listening", extra={"urls": agent.urls, "control": str(config.control_socket)})
    try:
        await stop.wait()
    finally:
        log.info("shutting down: draining the ledger writer")
        await agent.stop()
    return 0
