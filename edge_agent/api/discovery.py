"""Zeroconf (mDNS/DNS-SD) for the LAN API: the agent announces itself, TUIs find it.

A box-office laptop or a supervisor's TUI should not need the box's IP address typed in:
``edge-agent tui --discover`` browses for ``_gatehouse._tcp`` and connects to the agent it
finds. The announcement carries only what a client needs to pick the right box (agent id,
event, gate name, software version, API path) — never a token: finding an agent gives no
access, a device still pairs with a one-time code.

Announcing is off unless ``[discovery] announce = true``, and then happens only on the
addresses the API listens on (``api.listen``; "0.0.0.0" means every IPv4 interface), so
a box never advertises itself where it does not serve. IPv6 listen addresses are not
announced.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import ifaddr
from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from edge_agent import __version__
from edge_agent.config.sections import Config
from edge_agent.errors import GatehouseError
from edge_agent.tls.server_cert import host_label

log = logging.getLogger(__name__)

SERVICE_TYPE = "_gatehouse._tcp.local."
#: How long a browse waits for answers by default (mDNS answers arrive within ~1 s).
DEFAULT_BROWSE_S = 2.0
_RESOLVE_MS = 1500
_ANY_V4 = "0.0.0.0"  # noqa: S104 - a config value compared, not a socket bound


@dataclass(frozen=True, slots=True)
class FoundAgent:
    """An agent seen on the network, as its announcement describes it."""

    instance: str
    agent_id: str
    event_id: str
    gate: str
    version: str
    url: str

    def describe(self) -> str:
        return f"{self.agent_id} ({self.gate}, event {self.event_id}) at {self.url}"


def _ipv4_addresses(listen: Sequence[str]) -> list[str]:
    """The IPv4 addresses to announce on: ``listen`` itself, "0.0.0.0" expanded."""
    out: list[str] = []
    for host in listen:
        if host == _ANY_V4:
            for adapter in ifaddr.get_adapters():
                out.extend(ip.ip for ip in adapter.ips if isinstance(ip.ip, str))
        elif ipaddress.ip_address(host).version == 4:
            out.append(host)
    return sorted(set(out))


def _port_of(urls: Sequence[str]) -> int:
    for url in urls:
        port = urlsplit(url).port
        if port:
            return port
    raise ValueError("the API listens nowhere: nothing to announce")


class Announcer:
    """Keeps one ``_gatehouse._tcp`` registration alive while the API serves."""

    def __init__(self, zc: AsyncZeroconf, info: AsyncServiceInfo) -> None:
        self._zc = zc
        self._info = info

    @classmethod
    async def start(cls, config: Config, urls: Sequence[str]) -> Announcer | None:
        """Announce the API bound at ``urls``; ``None`` when nothing is to be announced."""
        addresses = _ipv4_addresses(config.api.listen)
        if not addresses:
            log.warning("discovery: no IPv4 listen address to announce on")
            return None
        agent_id = config.agent.agent_id
        name = config.discovery.name or agent_id
        info = AsyncServiceInfo(
            SERVICE_TYPE,
            f"{name}.{SERVICE_TYPE}",
            addresses=[socket.inet_aton(a) for a in addresses],
            port=_port_of(urls),
            properties={
                "agent_id": agent_id,
                "event_id": str(config.event.event_id),
                "gate": config.gate.name,
                "version": __version__,
                "api": "/api/v1",
                # the announced addresses are never loopback: the API is HTTPS there
                "scheme": "https" if any(u.startswith("https:") for u in urls) else "http",
            },
            server=f"{host_label(agent_id)}.local.",
        )
        zc = AsyncZeroconf(interfaces=addresses, ip_version=IPVersion.V4Only)
        try:
            await zc.async_register_service(info, allow_name_change=True)
        except BaseException:
            await zc.async_close()
            raise
        log.info("discovery: announced", extra={"service": info.name, "addresses": addresses})
        return cls(zc, info)

    @property
    def service_name(self) -> str:
        return str(self._info.name)

    async def close(self) -> None:
        """Say goodbye (clients drop the entry at once), then close the sockets."""
        try:
            await self._zc.async_unregister_service(self._info)
        finally:
            await self._zc.async_close()


def _text(props: dict[bytes, bytes | None], key: str) -> str:
    value = props.get(key.encode())
    return value.decode("utf-8", "replace") if value else ""


async def browse(
    interfaces: Sequence[str] | None = None, seconds: float = DEFAULT_BROWSE_S
) -> list[FoundAgent]:
    """Agents announcing within ``seconds``, on ``interfaces`` (IPv4 addresses; ``None``
    = every interface). Sorted by agent id; an agent with several addresses appears once
    per address so the caller can choose the reachable one."""
    choice: Any = list(interfaces) if interfaces else InterfaceChoice.All
    zc = AsyncZeroconf(interfaces=choice, ip_version=IPVersion.V4Only)
    names: list[str] = []

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is ServiceStateChange.Added and name not in names:
            names.append(name)

    browser = AsyncServiceBrowser(zc.zeroconf, [SERVICE_TYPE], handlers=[on_change])
    try:
        await asyncio.sleep(seconds)
        found: list[FoundAgent] = []
        for name in names:
            info = AsyncServiceInfo(SERVICE_TYPE, name)
            if not await info.async_request(zc.zeroconf, _RESOLVE_MS):
                continue
            props = info.properties
            found.extend(
                FoundAgent(
                    instance=name.removesuffix("." + SERVICE_TYPE),
                    agent_id=_text(props, "agent_id"),
                    event_id=_text(props, "event_id"),
                    gate=_text(props, "gate"),
                    version=_text(props, "version"),
                    url=f"{_text(props, 'scheme') or 'http'}://{address}:{info.port}",
                )
                for address in info.parsed_addresses(IPVersion.V4Only)
            )
    finally:
        await browser.async_cancel()
        await zc.async_close()
    return sorted(found, key=lambda a: (a.agent_id, a.url))


class DiscoveryError(GatehouseError):
    """No agent, or no single agent, matched what the user asked to connect to."""


def choose(found: Sequence[FoundAgent], agent_id: str | None) -> FoundAgent:
    """The one agent to connect to: by ``agent_id``, or the only one found."""
    candidates = [a for a in found if agent_id is None or a.agent_id == agent_id]
    ids = sorted({a.agent_id for a in candidates})
    if not candidates:
        wanted = f" with agent id {agent_id!r}" if agent_id else ""
        seen = ", ".join(sorted({a.agent_id for a in found})) or "none"
        raise DiscoveryError(
            f"no agent{wanted} found on the network (seen: {seen}); is "
            "[discovery] announce = true in its config, and is this machine on its LAN?"
        )
    if len(ids) > 1:
        listing = "; ".join(a.describe() for a in candidates)
        raise DiscoveryError(f"several agents found, pick one with --agent-id: {listing}")
    return candidates[0]
