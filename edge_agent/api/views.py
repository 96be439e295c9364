"""JSON shapes of verdicts and status, shared by the LAN API and the control socket."""

from __future__ import annotations

from typing import Any

from edge_agent.gate.verdict_json import iso_ms, verdict_json
from edge_agent.runtime import AgentRuntime, wall_clock_ms

__all__ = ["iso_ms", "status_json", "verdict_json"]


def status_json(rt: AgentRuntime) -> dict[str, Any]:
    cfg = rt.config
    now = wall_clock_ms()
    stats = rt.pipeline.stats
    w = rt.writer
    return {
        "agent": {
            "agent_id": cfg.agent.agent_id,
            "venue": cfg.agent.venue,
            "version": rt.version,
            "started_at": iso_ms(rt.started_ms),
            "uptime_s": round((now - rt.started_ms) / 1000, 1),
        },
        "event": {"event_id": cfg.event.event_id},
        "gate": {
            "id": cfg.gate.id,
            "name": cfg.gate.name,
            "allowed_ticket_types": list(cfg.gate.allowed_ticket_types),
        },
        "policy": {
            "reentry": cfg.policy.reentry,
            "exit_scans": cfg.policy.exit_scans,
            "clock_skew_grace_s": cfg.policy.clock_skew_grace_s,
        },
        "ledger": {
            "head_seq": w.head_seq,
            "head_chain": w.head_chain,
            "batches_committed": w.batches_committed,
            "last_commit_ms": w.last_commit_ms,
            "start_check": rt.start_report.summary(),
        },
        "scans": {
            "total": stats.total,
            "by_outcome": dict(stats.by_outcome),
            "by_reason": dict(stats.by_reason),
            "not_recorded": stats.not_recorded,
            "recent": stats.recent(),
        },
        "admissions": {
            "tickets_admitted": rt.state.admitted_count,
            "inside_now": rt.state.inside_count,
        },
        "manifest": {"revocations": rt.state.revocation_count},
        "keyring": {
            "keys": len(rt.keyring.keys),
            "warnings": list(rt.keyring.warnings),
        },
        "devices": {"paired": sum(1 for d in rt.devices.all() if d.active)},
        "lanes": rt.lanes.status(),
        "printer": rt.printer.health.snapshot() if rt.printer is not None else None,
    }
