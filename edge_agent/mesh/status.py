"""The mesh as people see it: ``/api/v1/status``'s ``mesh`` object, ``edge-agent mesh
status``, the TUI's mesh line and alerts, and the figures ``/metrics`` reads.

Built from what the service already holds (the roster, the breaker, the last answer of
each store's leader, counters), never from a network call: a status page must answer
while the cluster does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edge_agent.metrics.mesh_seam import MeshFigures

if TYPE_CHECKING:
    from edge_agent.mesh.service import MeshService

#: A member the leader has not heard from for this long is reported lost.
LOST_AFTER_S = 3.0


def _seen(svc: MeshService) -> dict[str, tuple[bool, float | None, int]]:
    """Per member: (current in every store it holds, seconds since last heard, lag)."""
    out: dict[str, tuple[bool, float | None, int]] = {}
    for info in svc.stores.values():
        for r in info.replicas:
            ok, last, lag = out.get(r.name, (True, 0.0, 0))
            current = r.current and r.active_s < LOST_AFTER_S
            out[r.name] = (
                ok and current,
                max(last or 0.0, r.active_s),
                max(lag, r.lag),
            )
    return out


def mesh_status(svc: MeshService, _now: float) -> dict[str, Any]:
    roster = svc.roster
    seen = _seen(svc)
    quorum = svc.claimer.quorum
    members = []
    for m in roster.members:
        current, last, lag = seen.get(m.name, (m.name == svc.me and quorum, None, 0))
        holds = {
            store: ("leader" if info.leader == m.name else "replica")
            for store, info in svc.stores.items()
            if any(r.name == m.name for r in info.replicas)
        }
        members.append(
            {
                "name": m.name,
                "gate": m.gate,
                "agent_id": m.agent_id,
                "api": m.api,
                "self": m.name == svc.me,
                "up": bool(current) if svc.clustered else True,
                "last_contact_s": last,
                "lag": lag,
                "replicas": holds,
            }
        )
    lost = [x["name"] for x in members if not x["up"] and svc.clustered]
    alerts: list[dict[str, str]] = []
    if svc.clustered and not quorum:
        alerts.append(
            {
                "code": "no_quorum",
                "message": "No quorum: admissions are decided here and marked UNCONFIRMED",
            }
        )
    for name in lost:
        if name != svc.me:
            alerts.append({"code": "member_lost", "message": f"Lost contact with box {name}"})
    if svc.conflicts:
        alerts.append(
            {
                "code": "conflict",
                "message": f"{svc.conflicts} ticket(s) admitted at two gates while split",
            }
        )
    claimer = svc.claimer
    server = svc.server
    return {
        "enabled": True,
        "mode": "clustered" if svc.clustered else "alone",
        "venue_id": roster.venue_id,
        "member": svc.me,
        "members": members,
        "expected": roster.size,
        "up": sum(1 for x in members if x["up"]),
        "quorum": quorum,
        "replicas": roster.replicas,
        "unconfirmed_policy": "admit" if claimer.admit_unconfirmed else "refuse",
        "server": {
            "running": server is not None and server.pid is not None,
            "pid": server.pid if server is not None else None,
            "restarts": server.restarts if server is not None else 0,
        },
        "stores": {
            name: {
                "leader": info.leader,
                "messages": info.messages,
                "replicas_wanted": info.replicas_wanted,
                "replicas": [
                    {
                        "name": r.name,
                        "leader": r.leader,
                        "current": r.current,
                        "lag": r.lag,
                        "last_contact_s": r.active_s,
                    }
                    for r in info.replicas
                ],
            }
            for name, info in svc.stores.items()
        },
        "claims": {
            "confirmed": claimer.confirmed_count,
            "unconfirmed": claimer.unconfirmed_count,
            "unresolved": svc.unresolved,
        },
        "events": {
            "published": svc.feed.published,
            "applied": svc.feed.applied,
            "queued": svc.feed.queued,
            "last_seq": svc.feed.last_seq,
        },
        "conflicts": svc.conflicts,
        "join_codes_pending": svc.codes.pending,
        "alerts": alerts,
        "last_error": svc.last_error or None,
    }


def mesh_figures(svc: MeshService) -> MeshFigures:
    seen = _seen(svc)
    up = sum(1 for m in svc.roster.members if seen.get(m.name, (True,))[0] or m.name == svc.me)
    return MeshFigures(
        configured=True,
        members=up if svc.clustered else 1,
        expected=svc.roster.size,
        quorum=svc.claimer.quorum,
        claim_latency=svc.claimer.latency,
        detail="alone: a venue of one" if not svc.clustered else "",
    )
