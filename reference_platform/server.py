"""Running the platform on a TCP port: shared by ``gatehouse-platform serve``, the demo
and the test fixture, so all of them start it the same way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from reference_platform.data_dir import remove_serve_file, wall_ms, write_serve_file
from reference_platform.web.app import create_app
from reference_platform.web.app_keys import Clock

#: Loopback unless an operator says otherwise: the admin API must not be reachable
#: from a venue LAN by accident.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8480


@dataclass
class RunningPlatform:
    url: str
    runner: web.AppRunner
    data_dir: Path

    async def stop(self) -> None:
        await self.runner.cleanup()
        remove_serve_file(self.data_dir)


async def start_platform(
    data_dir: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    clock: Clock = wall_ms,
) -> RunningPlatform:
    """Start serving ``data_dir`` (already initialised); ``port=0`` picks a free port.
    Writes ``serve.json`` so CLI commands on the same data dir find the URL."""
    app = create_app(data_dir, clock=clock)
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        bound_host, bound_port = sockets[0].getsockname()[:2]
    except BaseException:
        await runner.cleanup()
        raise
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    url = f"http://{shown}:{bound_port}"
    write_serve_file(data_dir, url)
    return RunningPlatform(url, runner, data_dir)
