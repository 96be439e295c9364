"""A box office as the iPad sees it: a real platform, a real ``edge-agent run`` process on
127.0.0.1 (a fixed port, so a restart keeps the page's origin and its ``localStorage``),
a lease taken by a supervisor, and Debian's chromium driven by Playwright.

Chromium comes from ``scripts/ensure-system-deps.sh`` (``make test`` runs it); Playwright
never downloads a browser of its own here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import random
import shutil
import signal
import socket
import sqlite3
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.async_api import Browser, Page, async_playwright

from edge_agent.cli.control_client import control_request
from edge_agent.config.key_files import write_key_file
from edge_agent.config.loading import load_config
from edge_agent.config.sections import Config
from edge_agent.tls.server_cert import SERVER_CERT_FILE
from edge_agent.tls.venue_ca import CA_CERT_FILE
from tests.agent_process import AgentProcess
from tests.edge_agent.platform_link.agent_setup import config_text, write_agent_files
from tests.paths import REPO_ROOT
from tests.platform_fixture import PlatformFixture, running_platform

REPO = REPO_ROOT
#: Screenshots of the main screens (git-ignored; see the README's test section).
SCREENS = REPO / "test-artifacts" / "screens"
#: An iPad Air in portrait, touch.
IPAD = {"width": 820, "height": 1180}
LEASED = 10


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "chromium is missing: run scripts/ensure-system-deps.sh (it installs Debian's"
            " chromium package; the browser tests never download one)",
            pytrace=False,
        )
    return path


def free_port() -> int:
    """A free port *below* the kernel's ephemeral range: the agent restarts on it, and
    while it is stopped no client connection of another test may take that port (one
    from the ephemeral range could: "Address already in use" on restart)."""
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(max(1024, low - 12_000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below the ephemeral range")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


@dataclass
class BoxOfficeStack:
    platform: PlatformFixture
    config_path: Path
    agent_config: Config
    agent: AgentProcess
    supervisor: dict[str, str]
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return self.agent.url

    @property
    def server_spki(self) -> str:
        """The agent certificate's public-key hash, as chromium's
        ``--ignore-certificate-errors-spki-list`` takes it: that flag is how a test
        browser trusts what an iPad trusts after installing the venue CA."""
        cert = x509.load_pem_x509_certificate(
            (self.agent_config.tls_dir / SERVER_CERT_FILE).read_bytes()
        )
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(hashlib.sha256(spki).digest()).decode()

    async def pairing_code(self, role: str = "box_office") -> str:
        """A one-time code, as ``edge-agent pair`` gets it (the control socket)."""
        doc = await control_request(
            self.agent_config.control_socket, "POST", "/control/pairing-codes", {"role": role}
        )
        code: str = doc["code"]
        return code

    async def pair(self, role: str) -> dict[str, str]:
        """A device of ``role`` paired over the real route; its auth header."""
        code = await self.pairing_code(role)
        async with self.http.post(f"{self.url}/api/v1/pair", json={"code": code}) as r:
            assert r.status == 201, await r.text()
            token = (await r.json())["token"]
        return {"Authorization": f"Bearer {token}"}

    async def get(self, path: str, headers: dict[str, str]) -> Any:
        async with self.http.get(self.url + path, headers=headers) as r:
            assert r.status == 200, await r.text()
            return await r.json()

    async def post(self, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        async with self.http.post(self.url + path, json=body, headers=headers) as r:
            return r.status, await r.json()

    def ledger_sales(self) -> int:
        """Door-sale rows in the agent's ledger file, read beside the running agent."""
        uri = f"file:{self.agent_config.ledger_path}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            (count,) = db.execute("SELECT count(*) FROM sales WHERE kind = 'sale'").fetchone()
        return int(count)

    async def stop_agent(self) -> None:
        assert await asyncio.to_thread(self.agent.stop, signal.SIGTERM) == 0

    async def start_agent(self) -> None:
        """Start (again) on the same data dir and port."""
        self.agent = await asyncio.to_thread(AgentProcess, self.config_path)

    async def wait_for_manifest(self, timeout_s: float = 20) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = await self.get("/api/v1/status", self.supervisor)
            if status["manifest"]["at"] is not None:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the agent never applied the platform's manifest: {status}")


async def enrolled_agent(root: Path, platform: PlatformFixture) -> Config:
    """Enrol the key the agent will sign door-sold tickets with (its ``agent.key``), as
    ``docs/install.md`` has the venue tech do, so the gate trusts those tickets through
    the certificate the platform's manifest brings."""
    key = Ed25519PrivateKey.generate()
    token = await platform.enrol("gate-a", key)
    config = write_agent_files(root, token, config_text("gate-a", platform.event_id, platform.url))
    config.agent.data_dir.mkdir(parents=True, mode=0o700)
    write_key_file(config.agent_key_path, key)
    return config


@asynccontextmanager
async def box_office(tmp_path: Path, *, https: bool = False) -> AsyncIterator[BoxOfficeStack]:
    """Platform + agent process + a supervisor's lease of ``LEASED`` type-0 seats; with
    ``https`` the agent serves HTTPS on loopback too (``[tls] loopback``), as on a LAN."""
    async with running_platform(tmp_path, gh1=0, plain=0) as platform:
        config = await enrolled_agent(tmp_path / "agent", platform)
        path = config.source
        text = path.read_text().replace("port = 0", f"port = {free_port()}", 1)
        if https:
            text = text.replace("[log]", "[tls]\nloopback = true\n\n[log]", 1)
        path.write_text(text)
        agent = await asyncio.to_thread(AgentProcess, path)
        config = load_config(path)
        stack: BoxOfficeStack | None = None
        trust = ssl.create_default_context(cafile=str(config.tls_dir / CA_CERT_FILE))
        try:
            async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=20),
                connector=aiohttp.TCPConnector(ssl=trust),
            ) as http:
                stack = BoxOfficeStack(platform, path, config, agent, {}, http)
                stack.supervisor = await stack.pair("supervisor")
                await stack.wait_for_manifest()
                status, lease = await stack.post(
                    "/api/v1/boxoffice/leases",
                    {"ticket_type": 0, "count": LEASED},
                    stack.supervisor,
                )
                assert status == 201, lease
                yield stack
        finally:
            running = agent if stack is None else stack.agent
            if running.proc.poll() is None:
                await asyncio.to_thread(running.stop, signal.SIGTERM)


@asynccontextmanager
async def ipad(*, trust_spki: str | None = None) -> AsyncIterator[Page]:
    """A fresh iPad-sized touch page in Debian's chromium; ``trust_spki``: the agent's
    certificate is trusted (as the venue CA is on a real iPad), no warning, no bypass."""
    executable = chromium_path()
    args = [f"--ignore-certificate-errors-spki-list={trust_spki}"] if trust_spki else []
    async with async_playwright() as pw:
        browser: Browser = await pw.chromium.launch(executable_path=executable, args=args)
        try:
            context = await browser.new_context(
                viewport=IPAD, has_touch=True, is_mobile=True, locale="en-IE"
            )
            page = await context.new_page()
            page.set_default_timeout(8000)
            yield page
        finally:
            await browser.close()


async def screenshot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
