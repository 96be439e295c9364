"""The cluster side of ``MeshService``: connect, ensure the stores, start what serves the
venue, and keep the claimer's breaker honest.

Run as background tasks by the service (``cluster_up``): the agent never waits for the
cluster. Loops stop on a flag, not by cancellation (cancelling a nats-py request can
hang on CPython 3.11).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from nats.aio.client import Client as NATS

from edge_agent.ledger import mesh_tables as mt
from edge_agent.mesh import js_admin, sharing
from edge_agent.mesh.claim_ops import ClaimUnknown
from edge_agent.mesh.claim_values import BUCKET, PROBE_PREFIX
from edge_agent.mesh.connection import connect
from edge_agent.mesh.errors import MeshUnavailable
from edge_agent.mesh.venue_events import EventKind

if TYPE_CHECKING:
    from edge_agent.mesh.service import MeshService

log = logging.getLogger(__name__)

#: How often the quorum probe runs while claims are confirmed / while they are not.
PROBE_EVERY_S = 1.0
PROBE_DEGRADED_S = 0.2
REFRESH_EVERY_S = 2.0


async def connect_and_serve(svc: MeshService) -> None:
    creds = svc.credentials()
    while svc.running and svc.clustered and svc.nc is None:
        try:
            svc.nc = await connect(svc.client_urls(), creds, name=f"gatehouse-{svc.me}")
        except MeshUnavailable as exc:
            svc.last_error = str(exc)
            await asyncio.sleep(1.0)
    nc = svc.nc
    if nc is None:
        return
    while svc.running and svc.clustered:
        try:
            svc.stores = await js_admin.ensure_stores(nc, svc.roster.replicas)
            break
        except MeshUnavailable as exc:
            svc.last_error = str(exc)
            await asyncio.sleep(0.5)
    if not svc.running or not svc.clustered:
        return
    try:
        await _serve(svc, nc)
    except Exception as exc:  # the next attempt starts from what is stored
        log.exception("mesh: starting the venue's services failed; retrying")
        svc.last_error = str(exc)
        await svc.drop_connection()
        await asyncio.sleep(1.0)
        if svc.running and svc.clustered:
            svc.spawn(connect_and_serve(svc), "mesh-connect")


async def _serve(svc: MeshService, nc: NATS) -> None:
    claims = svc.stores[js_admin.CLAIMS_STREAM].incarnation
    events = svc.stores[js_admin.EVENTS_STREAM].incarnation
    svc.claimer.nc = nc
    svc.claimer.reset()
    svc.last_error = ""
    await svc.watcher.start(nc)
    after = await svc.read(lambda c: mt.applied_seq(c, mt.EVENTS_STREAM, events))
    applier = svc.applier
    assert applier is not None, "bind() comes before start()"
    await svc.feed.consume(nc, after, lambda ev, seq, mine: applier.apply(ev, seq, events, mine))
    svc.feed.attach(nc)
    seeded = await svc.read(lambda c: mt.applied_seq(c, mt.SEEDED_STREAM, claims))
    event_id = svc.config.event.event_id
    snapshot = await svc.read(
        lambda c: sharing.snapshot_events(
            c, event_id, svc.me, svc.clock_ms(), with_tickets=seeded == 0
        )
    )
    for event in snapshot:
        svc.feed.publish(event)
    mine = svc.roster.member(svc.me)
    if mine is not None:
        svc.feed.publish(svc.member_event(EventKind.MEMBER_ADDED, mine))
    svc.spawn(_seed_then_replay(svc, nc, claims), "mesh-seed")
    svc.spawn(_probe_loop(svc, nc), "mesh-probe")
    svc.spawn(_refresh_loop(svc, nc), "mesh-refresh")
    log.info("mesh: connected; %d member(s), %d replica(s)", svc.roster.size, svc.roster.replicas)


async def _seed_then_replay(svc: MeshService, nc: NATS, incarnation: str) -> None:
    while svc.running and svc.nc is nc:
        try:
            seeded = await svc.replayer.seed(nc, incarnation, lambda: svc.writer.head_seq)
            if seeded:
                log.info("mesh: %d admission(s) of this box told to the venue", seeded)
            await replay_now(svc)
            return
        except ClaimUnknown:
            svc.claimer.trip()
            await asyncio.sleep(1.0)


async def replay_now(svc: MeshService) -> None:
    """Settle the unconfirmed claims (one pass at a time)."""
    nc = svc.nc
    if nc is None:
        return
    if svc.replaying is not None and not svc.replaying.done():
        await asyncio.shield(svc.replaying)
        return
    svc.replaying = asyncio.get_running_loop().create_task(_replay(svc, nc))
    await asyncio.shield(svc.replaying)


async def _replay(svc: MeshService, nc: NATS) -> None:
    try:
        counts = await svc.replayer.replay_unconfirmed(nc)
    except ClaimUnknown:
        svc.claimer.trip()
        return
    finally:
        svc.unresolved = await svc.read(mt.unresolved_count)
    if counts.confirmed or counts.conflicts or counts.superseded:
        log.info(
            "mesh: unconfirmed claims settled: %d confirmed, %d conflict(s), %d superseded",
            counts.confirmed,
            counts.conflicts,
            counts.superseded,
        )


async def _probe_loop(svc: MeshService, nc: NATS) -> None:
    """Close the breaker when a write reaches a quorum again (then replay); open it
    when one does not. A flag stops it: cancelling a nats request can hang on 3.11."""
    subject = f"$KV.{BUCKET}.{PROBE_PREFIX}{svc.me}"
    budget = svc.claimer.budget_s
    loop = asyncio.get_running_loop()
    due = 0.0
    while svc.running and svc.nc is nc:
        # wake at the degraded pace: a claim that trips the breaker in the middle of a
        # healthy interval is probed within PROBE_DEGRADED_S, not after the whole second
        await asyncio.sleep(PROBE_DEGRADED_S)
        if not svc.running or svc.nc is not nc:
            return
        if svc.claimer.quorum and loop.time() < due:
            continue
        due = loop.time() + PROBE_EVERY_S
        ok = False
        try:
            msg = await nc.request(subject, b"probe", timeout=max(budget, 0.5))
            ok = b'"error"' not in msg.data
        except Exception:  # any failure means: no quorum reached
            ok = False
        if ok and not svc.claimer.quorum:
            svc.claimer.reset()
            svc.spawn(replay_now(svc), "mesh-replay")
        elif not ok:
            svc.claimer.trip()


async def _refresh_loop(svc: MeshService, nc: NATS) -> None:
    while svc.running and svc.nc is nc:
        for name in js_admin.STREAMS:
            try:
                svc.stores[name] = await js_admin.store_info(nc, name, wait_s=1.0)
            except Exception:  # no leader answers: nothing is known about the others
                svc.stores.clear()
                break
        svc.unresolved = await svc.read(mt.unresolved_count)
        await asyncio.sleep(REFRESH_EVERY_S)
