"""Members finding each other's current addresses with zeroconf (``[mesh] discover``).

The roster holds the addresses each box had when it joined; a box whose DHCP lease
changed would then be unreachable for routes. With ``discover`` on, every member
announces ``_gatehouse-mesh._tcp`` on the interface holding its ``public_host`` (its
venue id, name, route and client addresses, its LAN API) and browses there; an
announcement of a member of the *same venue* with new addresses updates this box's
roster and server config (a reload). Finding a box gives nothing: a route or a client
still needs a pinned certificate and an NKEY of the venue. Off by default: nothing is
sent or listened for (UDP 5353) unless asked. The static ``[mesh] peers`` list is the
alternative for LANs without multicast.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from edge_agent.mesh.roster import Member, save_roster

if TYPE_CHECKING:
    from edge_agent.mesh.service import MeshService

log = logging.getLogger(__name__)

SERVICE_TYPE = "_gatehouse-mesh._tcp.local."
_RESOLVE_MS = 1500


@dataclass(frozen=True, slots=True)
class SeenMember:
    venue_id: str
    name: str
    route: str
    client: str
    api: str


def _text(props: dict[bytes, bytes | None], key: str) -> str:
    value = props.get(key.encode())
    return value.decode("utf-8", "replace") if value else ""


class MeshDiscovery:
    """Announce this member and report the venue's others as they are seen."""

    def __init__(
        self,
        venue_id: str,
        me: Member,
        interface: str,
        on_seen: Callable[[SeenMember], None],
    ) -> None:
        self._venue_id = venue_id
        self._me = me
        self._interface = interface
        self._on_seen = on_seen
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._info: AsyncServiceInfo | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        me = self._me
        port = me.route.rsplit(":", 1)[1]
        self._zc = AsyncZeroconf(interfaces=[self._interface], ip_version=IPVersion.V4Only)
        self._info = AsyncServiceInfo(
            SERVICE_TYPE,
            f"{self._venue_id}-{me.name}.{SERVICE_TYPE}",
            addresses=[socket.inet_aton(self._interface)],
            port=int(port),
            properties={
                "venue_id": self._venue_id,
                "member": me.name,
                "route": me.route,
                "client": me.client,
                "api": me.api,
            },
            server=f"gatehouse-mesh-{me.name}.local.",
        )
        await self._zc.async_register_service(self._info, allow_name_change=True)
        loop = asyncio.get_running_loop()

        def changed(
            zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
        ) -> None:
            if state_change is ServiceStateChange.Removed:
                return
            task = loop.create_task(self._resolve(name))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

        self._browser = AsyncServiceBrowser(self._zc.zeroconf, [SERVICE_TYPE], handlers=[changed])
        log.info("mesh: announcing on %s (%s)", self._interface, SERVICE_TYPE)

    async def _resolve(self, name: str) -> None:
        zc = self._zc
        if zc is None:
            return
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        if not await info.async_request(zc.zeroconf, _RESOLVE_MS):
            return
        props = info.properties
        seen = SeenMember(
            venue_id=_text(props, "venue_id"),
            name=_text(props, "member"),
            route=_text(props, "route"),
            client=_text(props, "client"),
            api=_text(props, "api"),
        )
        if seen.venue_id == self._venue_id and seen.name != self._me.name:
            self._on_seen(seen)

    async def stop(self) -> None:
        for task in list(self._pending):
            task.cancel()
        if self._browser is not None:
            await self._browser.async_cancel()
        zc, self._zc = self._zc, None
        if zc is not None:
            try:
                if self._info is not None:
                    await zc.async_unregister_service(self._info)
            finally:
                await zc.async_close()


async def start_discovery(svc: MeshService) -> MeshDiscovery | None:
    """Announce and browse on the interface of ``[mesh] public_host`` (``None`` when
    zeroconf cannot run there: the roster's addresses and static peers still work)."""
    mine = svc.roster.member(svc.me)
    if mine is None:
        return None
    found = MeshDiscovery(
        svc.roster.venue_id, mine, svc.public_host, lambda seen: member_seen(svc, seen)
    )
    try:
        await found.start()
    except OSError as exc:
        log.warning("mesh: zeroconf not available on %s: %s", svc.public_host, exc)
        return None
    return found


def member_seen(svc: MeshService, seen: SeenMember) -> None:
    """A member of this venue announced addresses: take new ones (DHCP changed them)."""
    known = svc.roster.member(seen.name)
    if known is None or (known.route, known.client, known.api) == (
        seen.route, seen.client, seen.api
    ):  # fmt: skip
        return
    svc.roster = svc.roster.added(
        replace(known, route=seen.route, client=seen.client, api=seen.api)
    )
    save_roster(svc.dir, svc.roster)
    log.info("mesh: %s found at new addresses (route %s)", seen.name, seen.route)
    if svc.clustered:
        svc.write_server_config()
        if svc.server is not None:
            svc.server.reload()
