"""HTTPS on a real agent (``start_agent``, ``[tls] loopback`` so loopback stands in for a
LAN address): clients that trust the venue CA get in, others are refused; the trust page
and its downloads; the TUI and TCP scanners verify; the platform link verifies."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import plistlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509

from demo.event import DemoEvent
from edge_agent.cli.run_cmd import RunningAgent, https_on, start_agent
from edge_agent.config.loading import load_config
from edge_agent.devices.roles import Role
from edge_agent.platform_link.service import platform_tls
from edge_agent.runtime import wall_clock_ms
from edge_agent.tls.contexts import client_context, server_context
from edge_agent.tls.venue_ca import CA_CERT_FILE, create_venue_ca, issue_cert
from scanner.inputs.tcp import PLAIN_ON_LAN, TcpInput, TcpOptions
from tui.client import HttpAgentClient
from tui.errors import AgentUnreachable

pytestmark = pytest.mark.integration

TCP_LANE = """
[[lanes]]
id = "lane-1"
  [[lanes.inputs]]
  id = "tcp-1"
  type = "tcp"
  port = 0
  tls = "on"

[tls]
loopback = true
"""


@pytest.fixture
async def agent(event: DemoEvent) -> AsyncIterator[RunningAgent]:
    path = event.config_path
    path.write_text(path.read_text().replace("[log]", TCP_LANE + "\n[log]", 1))
    config = load_config(path)
    config = dataclasses.replace(config, api=dataclasses.replace(config.api, port=0))
    running = await start_agent(config)
    try:
        yield running
    finally:
        await running.stop()


def ca_file(agent: RunningAgent) -> Path:
    return agent.runtime.config.tls_dir / CA_CERT_FILE


async def token(agent: RunningAgent, http: aiohttp.ClientSession, role: Role) -> str:
    code = agent.runtime.pairing.issue(role, "t", wall_clock_ms()).code
    async with http.post(f"{agent.urls[0]}/api/v1/pair", json={"code": code}) as r:
        doc = await r.json()
    return str(doc["token"])


def test_only_loopback_may_be_plain_http() -> None:
    assert not https_on("127.0.0.1", False) and not https_on("::1", False)
    assert https_on("192.0.2.7", False) and https_on("0.0.0.0", False)
    assert https_on("127.0.0.1", True)


async def test_clients_that_trust_the_venue_ca_get_in_and_others_do_not(
    agent: RunningAgent,
) -> None:
    url = agent.urls[0]
    assert url.startswith("https://127.0.0.1:")
    trusted = aiohttp.TCPConnector(ssl=client_context(ca_file(agent)))
    async with aiohttp.ClientSession(connector=trusted) as http:
        async with http.get(f"{url}/api/v1/openapi.json") as r:
            assert r.status == 200
        supervisor = {"Authorization": f"Bearer {await token(agent, http, Role.SUPERVISOR)}"}
        async with http.get(f"{url}/api/v1/status", headers=supervisor) as r:
            status = await r.json()
            tls = status["tls"]
    assert status["connections"]["paired"] >= 1  # its TLS connection is a paired device's
    assert tls["source"] == "venue_ca" and "127.0.0.1" in tls["names"]
    assert tls["ca_fingerprint_sha256"] == agent.runtime.tls.ca.fingerprint  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as untrusting:  # the system's CAs only
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await untrusting.get(f"{url}/api/v1/openapi.json")
        with pytest.raises(aiohttp.ClientError):  # and plain HTTP gets nothing
            await untrusting.get(url.replace("https:", "http:") + "/api/v1/openapi.json")


async def test_the_trust_page_shows_the_fingerprint_and_serves_the_ca(agent: RunningAgent) -> None:
    ca = agent.runtime.tls.ca
    assert ca is not None
    trusted = aiohttp.TCPConnector(ssl=client_context(ca_file(agent)))
    async with aiohttp.ClientSession(connector=trusted) as http:
        async with http.get(f"{agent.urls[0]}/trust/") as r:
            page = await r.text()
            assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
        async with http.get(f"{agent.urls[0]}/trust/venue-ca.crt") as r:
            pem = await r.read()
            assert r.content_type == "application/x-x509-ca-cert"
        async with http.get(f"{agent.urls[0]}/trust/venue-ca.mobileconfig") as r:
            profile = plistlib.loads(await r.read())
            assert r.content_type == "application/x-apple-aspen-config"
    grouped = " ".join(ca.fingerprint.upper()[i : i + 4] for i in range(0, 64, 4))
    assert grouped in page and "Certificate Trust Settings" in page and "<script" not in page
    assert pem == ca_file(agent).read_bytes()
    assert profile["PayloadContent"][0]["PayloadContent"] == ca.der
    assert x509.load_pem_x509_certificate(pem).fingerprint  # a certificate, not a key


async def test_the_tui_verifies_the_agent(agent: RunningAgent) -> None:
    trusting = HttpAgentClient(agent.urls[0], ca_file=str(ca_file(agent)))
    untrusting = HttpAgentClient(agent.urls[0])
    try:
        doc = await trusting.pair(
            agent.runtime.pairing.issue(Role.SUPERVISOR, "", wall_clock_ms()).code, "x"
        )
        trusting.set_token(doc.token)
        assert (await trusting.status()).devices_paired == 1  # answered over verified TLS
        with pytest.raises(AgentUnreachable, match="--ca-file"):
            await untrusting.status()
    finally:
        await trusting.close()
        await untrusting.close()


async def test_tcp_scanners_speak_tls_and_plain_on_the_lan_is_a_warning(
    agent: RunningAgent, event: DemoEvent
) -> None:
    lane = agent.runtime.lanes.lane("lane-1")
    assert lane is not None and isinstance(lane.inputs[0], TcpInput)
    tcp = lane.inputs[0]
    async with asyncio.timeout(5):
        await tcp.listening.wait()
    assert tcp.bound is not None
    trusted = aiohttp.TCPConnector(ssl=client_context(ca_file(agent)))
    async with aiohttp.ClientSession(connector=trusted) as http:
        scanner = await token(agent, http, Role.SCANNER)
    reader, writer = await asyncio.open_connection(
        *tcp.bound, ssl=client_context(ca_file(agent)), server_hostname="127.0.0.1"
    )
    writer.write(f"AUTH {scanner}\n{event.valid[0]}\n".encode())
    hello, verdict = json.loads(await reader.readline()), json.loads(await reader.readline())
    writer.close()
    assert hello["auth"] == "ok" and verdict["outcome"] == "admit"
    assert tcp.health.snapshot()["warning"] is None
    # a scanner without TLS gets no answer on this port
    reader, writer = await asyncio.open_connection(*tcp.bound)
    writer.write(f"AUTH {scanner}\n".encode())
    assert b'"auth"' not in await asyncio.wait_for(reader.read(100), 5)
    writer.close()
    plain = TcpInput(
        "tcp-9",
        TcpOptions(port=0, host="0.0.0.0", tls="off"),
        judge=None,
        authenticate=None,  # type: ignore[arg-type]
    )
    assert plain.health.snapshot()["warning"] == PLAIN_ON_LAN


async def test_the_platform_link_verifies_the_platform(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    ca = create_venue_ca("Platform CA", now)
    leaf = issue_cert(ca, "platform", ip_addresses=["127.0.0.1"], now=now)
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
    (tmp_path / "cert.pem").write_bytes(leaf.cert_pem)
    (tmp_path / "key.pem").write_bytes(leaf.key_pem)
    app = web.Application()

    async def ping(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_get("/v1/ping", ping)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(
        runner,
        "127.0.0.1",
        0,
        ssl_context=server_context(tmp_path / "cert.pem", tmp_path / "key.pem"),
    )
    await site.start()
    url = f"https://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        pinned = platform_tls(url, str(tmp_path / "ca.pem"))
        assert pinned.verify_mode is ssl.CERT_REQUIRED and pinned.check_hostname
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=pinned)) as http,
            http.get(f"{url}/v1/ping") as r,
        ):
            assert (await r.json()) == {"ok": True}
        system = aiohttp.TCPConnector(ssl=platform_tls(url, ""))
        async with aiohttp.ClientSession(connector=system) as http:
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await http.get(f"{url}/v1/ping")
    finally:
        await runner.cleanup()
