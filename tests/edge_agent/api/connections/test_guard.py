"""The connection guard's rules, without sockets: who gets a slot, who is closed first."""

from __future__ import annotations

import asyncio
from typing import Any

from edge_agent.api.connections.guard import (
    Conn,
    ConnectionGuard,
    ConnectionLimits,
    client_address,
)


class FakeTransport:
    def __init__(self) -> None:
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True


def guard(total: int = 10, per_address: int = 4, reserve: int = 2) -> ConnectionGuard:
    return ConnectionGuard(ConnectionLimits(total, per_address, reserve, 10.0))


def connect(g: ConnectionGuard, host: str) -> tuple[Conn, Any]:
    conn = g.admit(host)
    assert conn is not None
    transport = FakeTransport()
    g.attach(conn, transport)  # type: ignore[arg-type]
    return conn, transport


def test_one_address_only_pushes_out_its_own_oldest() -> None:
    g = guard()
    first = [connect(g, "10.0.0.66") for _ in range(4)]
    newer, _ = connect(g, "10.0.0.66")
    assert first[0][1].aborted and first[0][0].closed  # its own oldest made room
    assert not any(t.aborted for _, t in first[1:]) and not newer.closed
    assert g.snapshot()["open"] == 4 and g.counts["evicted_per_address"] == 1


def test_strangers_never_take_the_paired_reserve() -> None:
    g = guard(total=10, per_address=10, reserve=2)
    _scanner, scanner_t = connect(g, "10.0.0.5")
    g.note_request(scanner_t)
    g.note_paired(scanner_t)  # a request on it carried a device token
    flood = [connect(g, f"10.0.1.{i % 3}") for i in range(30)]
    snap = g.snapshot()
    assert snap["unauthenticated"] == 8 and snap["paired"] == 1  # 10 - reserve 2
    assert not scanner_t.aborted and sum(not c.closed for c, _ in flood) == 8
    # a paired device reconnecting gets a slot at once, from the biggest holder
    _again, again_t = connect(g, "10.0.0.5")
    g.note_paired(again_t)
    assert g.snapshot()["paired"] == 2 and g.snapshot()["unauthenticated"] == 7


def test_the_biggest_holder_pays_not_the_newcomer() -> None:
    g = guard(total=8, per_address=8, reserve=0)
    flooder = [connect(g, "10.0.0.66") for _ in range(6)]
    visitor = [connect(g, "10.0.0.7") for _ in range(2)]
    newcomer, _ = connect(g, "10.0.0.8")
    assert flooder[0][1].aborted and not newcomer.closed
    assert not any(t.aborted for _, t in visitor)


def test_only_when_every_slot_is_paired_is_a_connection_refused() -> None:
    g = guard(total=4, per_address=4, reserve=0)
    for _ in range(4):
        _, t = connect(g, "10.0.0.5")
        g.note_paired(t)
    assert g.admit("10.0.0.9") is None
    assert g.snapshot()["refused"] == 1


def test_released_connections_free_their_slots() -> None:
    g = guard(total=4, per_address=2, reserve=0)
    a, _ = connect(g, "10.0.0.1")
    b, _ = connect(g, "10.0.0.1")
    g.release(a)
    g.release(a)  # twice (eviction then connection_lost) counts once
    c, _ = connect(g, "10.0.0.1")
    assert not b.closed and not c.closed and g.snapshot()["open"] == 2


async def test_a_stranger_without_headers_is_closed_at_the_deadline() -> None:
    g = ConnectionGuard(ConnectionLimits(10, 10, 0, 0.05))
    silent, silent_t = connect(g, "10.0.0.66")
    _talker, talker_t = connect(g, "10.0.0.7")
    g.note_request(talker_t)
    await asyncio.sleep(0.15)
    assert silent_t.aborted and silent.closed and not talker_t.aborted
    assert g.snapshot()["header_timeouts"] == 1


def test_ipv4_mapped_addresses_count_as_ipv4() -> None:
    assert client_address("::ffff:10.0.0.5") == "10.0.0.5"
    assert client_address("fe80::1%eth0") == "fe80::1"
    assert client_address("10.0.0.5") == "10.0.0.5"
