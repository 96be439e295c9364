"""Who may hold a connection to the LAN API, and who is closed first when they run out.

Why: every open connection holds a file descriptor, and the process has a fixed number
(the systemd unit's ``LimitNOFILE``). Before this, 2,000 half-sent requests from one
laptop held every descriptor: new connections failed with EMFILE and every scan timed
out. Now connections are counted from the moment they are accepted — before the TLS
handshake, before a byte of HTTP — and bounded in three ways:

- **per address**: at most ``per_address`` from one client address;
- **in total**: at most ``max_total``, set below the open-file limit;
- **a reserve for paired devices**: a connection is a *stranger* until a request on it
  carries a paired device's token (the auth middleware, or a WebSocket's auth message,
  says so: ``note_paired``). Strangers never take the last ``paired_reserve`` slots.

Who is closed when a new connection needs room: the oldest stranger of the address that
holds the most strangers — the flooder pays, not the newcomer, and a paired scanner that
reconnects gets a slot at once and keeps it after its first request. A connection is
refused outright only when every slot is a paired device's. Strangers also have
``header_timeout_s`` from accept to the end of their first request's headers (TLS
included); after that request, aiohttp's keep-alive timeout bounds the idle time and the
headers of every later request (``site.py``).

How do we know a connection is a paired device's before its headers arrive? We don't:
that is why strangers are counted apart and closed oldest-first. A device's connection is
a stranger for the few milliseconds until its first request, and is closed only if the
box receives ``max_total - paired_reserve`` newer connections from the biggest holder in
that time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge_agent.api.schema.responses import ConnectionsView

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_total: int
    per_address: int
    paired_reserve: int
    header_timeout_s: float

    @property
    def max_strangers(self) -> int:
        return self.max_total - self.paired_reserve


class Conn:
    """One accepted connection: where from, since when, and what we know of it."""

    __slots__ = ("address", "closed", "opened", "paired", "seen", "stopper", "timer", "transport")

    def __init__(self, address: str, opened: float) -> None:
        self.address = address
        self.opened = opened
        self.paired = False  # a request on it carried a paired device's token
        self.seen = False  # its first request's headers arrived
        self.closed = False
        self.transport: asyncio.Transport | None = None
        #: Closes it before it has a transport (cancels the TLS handshake task).
        self.stopper: Callable[[], Any] | None = None
        self.timer: asyncio.TimerHandle | None = None

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        elif self.stopper is not None:
            self.stopper()


def client_address(host: str) -> str:
    """The address a client is counted under (an IPv4-mapped IPv6 address as IPv4)."""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


class ConnectionGuard:
    """Counts, admits and evicts the API's connections (one guard for all listeners)."""

    def __init__(
        self,
        limits: ConnectionLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        open_files: Callable[[], int | None] = lambda: None,
        file_limit: int | None = None,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._open_files = open_files
        self._file_limit = file_limit
        self._open: dict[Conn, None] = {}
        self._per_address: Counter[str] = Counter()
        #: Strangers per address, oldest first (dicts keep insertion order).
        self._strangers: dict[str, dict[Conn, None]] = {}
        self._stranger_count = 0
        self._by_transport: dict[object, Conn] = {}
        self.counts: Counter[str] = Counter()

    # ------------------------------------------------------------------ admission

    def admit(self, host: str) -> Conn | None:
        """A slot for a new connection from ``host``, or None (close it at once)."""
        address = client_address(host)
        lim = self.limits
        if self._per_address[address] >= lim.per_address and not self._evict_from(
            address, "per_address"
        ):
            self.counts["refused"] += 1
            return None
        if (
            self._stranger_count >= lim.max_strangers or len(self._open) >= lim.max_total
        ) and not self._evict_from(self._biggest_holder(), "full"):
            self.counts["refused"] += 1
            return None
        conn = Conn(address, self._clock())
        self._open[conn] = None
        self._per_address[address] += 1
        self._strangers.setdefault(address, {})[conn] = None
        self._stranger_count += 1
        self.counts["accepted"] += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # (unit tests without a loop)
            return conn
        conn.timer = loop.call_later(lim.header_timeout_s, self._header_deadline, conn)
        return conn

    def attach(self, conn: Conn, transport: asyncio.Transport) -> None:
        conn.transport = transport
        conn.stopper = None
        if not conn.closed:  # (one evicted while its handshake ended is aborted at once)
            self._by_transport[transport] = conn

    def release(self, conn: Conn) -> None:
        """The connection is gone (closed by either side, or never set up)."""
        if conn.closed:
            return
        conn.closed = True
        if conn.timer is not None:
            conn.timer.cancel()
        self._open.pop(conn, None)
        self._per_address[conn.address] -= 1
        if self._per_address[conn.address] <= 0:
            del self._per_address[conn.address]
        self._unstrange(conn)
        if conn.transport is not None:
            self._by_transport.pop(conn.transport, None)

    # --------------------------------------------------------------- what requests say

    def note_request(self, transport: object) -> None:
        """A request's headers arrived on ``transport``: its header deadline is met."""
        conn = self._by_transport.get(transport)
        if conn is not None and not conn.seen:
            conn.seen = True
            if conn.timer is not None:
                conn.timer.cancel()
                conn.timer = None

    def note_paired(self, transport: object) -> None:
        """A request on ``transport`` carried a paired device's token: never a stranger
        again (it is closed only by its own idleness or the device)."""
        conn = self._by_transport.get(transport)
        if conn is not None and not conn.paired:
            conn.paired = True
            self._unstrange(conn)

    # ------------------------------------------------------------------- eviction

    def evict_one(self, why: str) -> bool:
        """Close the oldest stranger of the biggest holder (out of files: make room)."""
        return self._evict_from(self._biggest_holder(), why)

    def _biggest_holder(self) -> str | None:
        if not self._strangers:
            return None
        return max(self._strangers, key=lambda a: len(self._strangers[a]))

    def _evict_from(self, address: str | None, why: str) -> bool:
        strangers = self._strangers.get(address) if address is not None else None
        if not strangers:
            return False
        victim = next(iter(strangers))
        self.counts[f"evicted_{why}"] += 1
        self.release(victim)
        victim.abort()
        return True

    def _header_deadline(self, conn: Conn) -> None:
        conn.timer = None
        if not conn.seen and not conn.closed:
            self.counts["header_timeouts"] += 1
            self.release(conn)
            conn.abort()

    def _unstrange(self, conn: Conn) -> None:
        strangers = self._strangers.get(conn.address)
        if strangers is None or conn not in strangers:
            return
        del strangers[conn]
        self._stranger_count -= 1
        if not strangers:
            del self._strangers[conn.address]

    def close_all(self) -> None:
        for conn in list(self._open):
            self.release(conn)
            conn.abort()

    # ---------------------------------------------------------------------- status

    def snapshot(self) -> ConnectionsView:
        lim = self.limits
        return {
            "open": len(self._open),
            "paired": len(self._open) - self._stranger_count,
            "unauthenticated": self._stranger_count,
            "addresses": len(self._per_address),
            "max": lim.max_total,
            "max_per_address": lim.per_address,
            "paired_reserve": lim.paired_reserve,
            "header_timeout_s": lim.header_timeout_s,
            "accepted": self.counts["accepted"],
            "refused": self.counts["refused"],
            "evicted": sum(v for k, v in self.counts.items() if k.startswith("evicted_")),
            "header_timeouts": self.counts["header_timeouts"],
            "out_of_files": self.counts["out_of_files"],
            "open_files": {"used": self._open_files(), "limit": self._file_limit},
        }
