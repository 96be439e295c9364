"""The cluster's two stores and the admin calls the mesh needs (JetStream API).

- ``KV_claims`` (the ``claims`` bucket, history 1: compare-and-set needs only the last
  revision) and ``VENUE_EVENTS`` (``venue.events.>``, 14 days, a 10-minute duplicate
  window), both with ``replicas = min(3, members)``: created by whichever member gets
  there first, scaled when the venue grows or shrinks.
- The stream's *incarnation* (its creation time) tells a member whether the numbers it
  stored (applied events, seeded admissions) belong to this stream or to one that an
  earlier cluster had.
- Removing a server from the meta group and asking a stream leader to step down take
  the ``SYS`` account (the member's admin NKEY), never the agents' ``VENUE`` user.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS
from nats.js import api

from edge_agent.mesh import claim_values, venue_events
from edge_agent.mesh.claim_values import BUCKET
from edge_agent.mesh.errors import MeshUnavailable
from edge_agent.mesh.venue_events import SUBJECT_PREFIX

log = logging.getLogger(__name__)

ADMIN_TIMEOUT_S = 5.0
CLAIMS_STREAM = claim_values.STREAM
EVENTS_STREAM = venue_events.STREAM
STREAMS = (CLAIMS_STREAM, EVENTS_STREAM)
_FOURTEEN_DAYS_S = 14 * 86_400.0

_TRANSIENT = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.NoStreamResponseError,
    nats.errors.ConnectionClosedError,
    TimeoutError,
)


@dataclass(frozen=True)
class Replica:
    name: str
    leader: bool
    current: bool
    lag: int
    #: Seconds since the leader last heard from it (0 for the leader).
    active_s: float


@dataclass(frozen=True)
class StoreInfo:
    stream: str
    incarnation: str
    messages: int
    replicas_wanted: int
    leader: str | None
    replicas: tuple[Replica, ...]


async def ensure_stores(nc: NATS, replicas: int) -> dict[str, StoreInfo]:
    """Create the two stores if missing; scale them to ``replicas`` if they differ.
    Raises ``MeshUnavailable`` when the cluster cannot answer (no meta leader yet)."""
    js = nc.jetstream(timeout=ADMIN_TIMEOUT_S)
    try:
        await _ensure(js, CLAIMS_STREAM, replicas, _claims_config)
        await _ensure(js, EVENTS_STREAM, replicas, _events_config)
        return {name: await store_info(nc, name) for name in STREAMS}
    except _TRANSIENT as exc:
        raise MeshUnavailable(f"the cluster did not answer ({type(exc).__name__})") from None
    except nats.js.errors.APIError as exc:  # e.g. 10005: a new member's server not in yet
        raise MeshUnavailable(f"the cluster refused for now: {exc.description}") from None


def _claims_config(replicas: int) -> api.StreamConfig:
    return api.StreamConfig(
        name=CLAIMS_STREAM,
        subjects=[f"$KV.{BUCKET}.>"],
        allow_rollup_hdrs=True,
        deny_delete=True,
        discard=api.DiscardPolicy.NEW,
        duplicate_window=120.0,
        max_msgs_per_subject=1,
        num_replicas=replicas,
        storage=api.StorageType.FILE,
        max_consumers=-1,
        max_msgs=-1,
        max_bytes=-1,
    )


def _events_config(replicas: int) -> api.StreamConfig:
    return api.StreamConfig(
        name=EVENTS_STREAM,
        subjects=[f"{SUBJECT_PREFIX}.>"],
        num_replicas=replicas,
        storage=api.StorageType.FILE,
        duplicate_window=600.0,
        max_age=_FOURTEEN_DAYS_S,
    )


async def _ensure(js: Any, name: str, replicas: int, config: Any) -> None:
    try:
        info = await js.stream_info(name)
    except nats.js.errors.NotFoundError:
        try:
            await js.add_stream(config(replicas))
            log.info("mesh: created %s with %d replica(s)", name, replicas)
        except nats.js.errors.BadRequestError:
            pass  # another member created it at the same moment
        return
    if info.config.num_replicas != replicas:
        cfg = info.config
        cfg.num_replicas = replicas
        await js.update_stream(cfg)
        log.info("mesh: %s now keeps %d replica(s)", name, replicas)


async def store_info(nc: NATS, name: str, wait_s: float = ADMIN_TIMEOUT_S) -> StoreInfo:
    """The stream's leader, replicas (current? lag? last heard?) and incarnation."""
    msg = await nc.request(f"$JS.API.STREAM.INFO.{name}", b"", timeout=wait_s)
    doc: dict[str, Any] = json.loads(msg.data)
    if "error" in doc:
        raise MeshUnavailable(f"{name}: {doc['error'].get('description', 'no answer')}")
    cluster = doc.get("cluster") or {}
    leader = cluster.get("leader")
    replicas = [Replica(leader, True, True, 0, 0.0)] if leader else []
    for peer in cluster.get("replicas") or []:
        replicas.append(
            Replica(
                name=str(peer.get("name", "?")),
                leader=False,
                current=bool(peer.get("current", False)) and not peer.get("offline", False),
                lag=int(peer.get("lag", 0) or 0),
                active_s=round(int(peer.get("active", 0) or 0) / 1e9, 3),
            )
        )
    return StoreInfo(
        stream=name,
        incarnation=str(doc.get("created", "")),
        messages=int((doc.get("state") or {}).get("messages", 0)),
        replicas_wanted=int((doc.get("config") or {}).get("num_replicas", 1)),
        leader=leader,
        replicas=tuple(replicas),
    )


async def server_remove(admin: NATS, peer: str) -> bool:
    """Take ``peer`` out of the JetStream meta group (SYS account). Only the meta leader
    answers; False while none is elected, so callers retry."""
    try:
        msg = await admin.request(
            "$JS.API.SERVER.REMOVE", json.dumps({"peer": peer}).encode(), timeout=2.0
        )
    except _TRANSIENT:
        return False
    doc = json.loads(msg.data)
    if doc.get("success"):
        return True
    log.info("mesh: removing server %s: %s", peer, doc.get("error", {}).get("description"))
    # "peer not a member": removed already
    return int(doc.get("error", {}).get("err_code", 0)) in (10090, 10066)


async def leader_stepdown(nc: NATS, stream: str) -> bool:
    """Ask the stream's leader to hand over (after a removal left it stuck)."""
    try:
        msg = await nc.request(f"$JS.API.STREAM.LEADER.STEPDOWN.{stream}", b"", timeout=2.0)
    except _TRANSIENT:
        return False
    return bool(json.loads(msg.data).get("success"))
