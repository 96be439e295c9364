"""Zeroconf on 127.0.0.1: a member announces its addresses, another member of the same
venue sees them; a box of another venue is not taken for a member."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from edge_agent.mesh.discovery import MeshDiscovery, SeenMember
from tests.edge_agent.mesh.test_mesh_units import member

pytestmark = pytest.mark.integration


async def test_a_member_of_the_venue_is_seen_at_its_new_address() -> None:
    venue = uuid.uuid4().hex[:8]
    seen: list[SeenMember] = []
    moved = member("box-b", 7100)
    b = MeshDiscovery(venue, moved, "127.0.0.1", lambda s: None)
    stranger = MeshDiscovery("another", member("box-x", 7200), "127.0.0.1", lambda s: None)
    a = MeshDiscovery(venue, member("box-a", 7000), "127.0.0.1", seen.append)
    await b.start()
    await stranger.start()
    await a.start()
    try:
        for _ in range(50):
            if seen:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
    finally:
        for d in (a, b, stranger):
            await d.stop()
    assert {s.name for s in seen} == {"box-b"}  # never itself, never another venue's box
    assert seen[0].route == moved.route and seen[0].client == moved.client
