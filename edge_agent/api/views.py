"""JSON shapes of verdicts and status, shared by the LAN API and the control socket."""

from __future__ import annotations

import shutil

from edge_agent.api.schema.responses import (
    AdmittedEvent,
    AlarmView,
    BlockedAddressView,
    ConnectionsView,
    DiskView,
    HaltState,
    LimitsView,
    ManifestView,
    PairingLockout,
    PairingSummary,
    Status,
    SyncView,
    ZoneView,
)
from edge_agent.gate.verdict_json import iso_ms, verdict_json
from edge_agent.i18n.languages import DEFAULT_LANGUAGE
from edge_agent.i18n.render import message_in
from edge_agent.runtime import AgentRuntime, wall_clock_ms
from edge_agent.runtime_limits import WARN_RATIO, file_limit, open_files

__all__ = ["iso_ms", "status_json", "verdict_json"]


def status_json(
    rt: AgentRuntime,
    language: str = DEFAULT_LANGUAGE,
    connections: ConnectionsView | None = None,
) -> Status:
    """The agent at a glance in ``language``; ``connections`` is the API's guard's
    snapshot when it serves through one (``edge-agent run``; not the tests' in-process
    servers)."""
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
        "event": {"event_id": cfg.event.event_id, "events": events_json(rt)},
        "gate": {
            "id": cfg.gate.id,
            "name": cfg.gate.name,
            "allowed_ticket_types": list(cfg.gate.allowed_ticket_types),
            "lists": list(cfg.gate.lists),
            "zone": cfg.gate.zone,
            "language": cfg.gate.language,
            "halt": halt_json(rt)["halt"],
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
            "scan_wait_max_ms": round(w.scan_waits.max_ms, 2),
            "scan_blocked_max_ms": round(w.scan_waits.blocked_max_ms, 2),
            "scans_blocked_over_20ms": w.scan_waits.blocked,
            "slice_max_ms": round(w.scan_waits.slice_max_ms, 2),
            "slices_over_20ms": w.scan_waits.slices_over,
        },
        "scans": {
            "total": stats.total,
            "by_outcome": dict(stats.by_outcome),
            "by_reason": dict(stats.by_reason),
            "not_recorded": stats.not_recorded,
            "last_minute": stats.last_minute(now),
            "by_lane": {lane: dict(c) for lane, c in stats.by_lane.items()},
            "by_device": [
                {"device_id": dev, "name": _device_name(rt, dev), "by_outcome": dict(c)}
                for dev, c in stats.by_device.items()
            ],
            "recent": stats.recent(lambda d: message_in(d, language)),
        },
        "admissions": {
            "tickets_admitted": rt.state.admitted_count,
            "inside_now": rt.state.inside_count,
            "zones": zones_json(rt),
        },
        "manifest": manifest_json(rt, now),
        "keyring": {
            "keys": len(rt.keyring.keys),
            "warnings": list(rt.keyring.warnings),
        },
        "devices": {"paired": sum(1 for d in rt.devices.all() if d.active)},
        "pairing": pairing_summary(rt),
        "connections": connections,
        "tls": {
            "source": rt.tls.source,
            "ca_fingerprint_sha256": rt.tls.ca.fingerprint if rt.tls.ca else None,
            "names": [*rt.tls.dns_names, *rt.tls.ip_addresses],
            "not_after": rt.tls.not_after.isoformat(timespec="seconds"),
        },
        "disk": disk_json(rt),
        "sync": sync_json(rt, now),
        "lanes": rt.lanes.status(),
        "printer": rt.printer.health.snapshot() if rt.printer is not None else None,
        "mesh": rt.mesh.status() if rt.mesh is not None else None,  # type: ignore[typeddict-item]
        "alarms": alarms_json(rt),
        "limits": limits_json(rt),
        "clock": {"state": rt.clock.state, "offset_ms": rt.clock.offset_ms, "why": rt.clock.why},
    }


def events_json(rt: AgentRuntime) -> list[AdmittedEvent]:
    """Every event the box admits, its main event first (names from ``[[events]]``, else
    the platform's name for the main event)."""
    main = rt.config.event.event_id
    synced = rt.live_manifest.event
    names = {e.event_id: e.name for e in rt.config.events}
    if not names.get(main) and synced is not None:
        names[main] = synced.name
    ids = [main, *(e.event_id for e in rt.config.events if e.event_id != main)]
    return [{"event_id": e, "name": names.get(e, "")} for e in ids]


def zones_json(rt: AgentRuntime) -> list[ZoneView]:
    """Occupancy of each zone against its capacity (the dashboard's zone line)."""
    occupancy = rt.state.occupancy()
    zones = rt.rules.zones if rt.rules is not None else ()
    return [
        {
            "id": z.id,
            "name": z.label,
            "inside": occupancy.get(z.id, 0),
            "capacity": z.capacity,
            "when_full": z.when_full.value,
        }
        for z in zones
    ]


def alarms_json(rt: AgentRuntime) -> list[AlarmView]:
    return [
        {"code": a.code, "level": a.level, "message": a.message, "since": iso_ms(a.since_ms)}
        for a in rt.alarms.active()
    ]


def limits_json(rt: AgentRuntime) -> LimitsView:
    """Open files now against the soft limit; counting here also raises or clears the
    alarm at once, so a status read never shows a stale margin."""
    watch = rt.open_files
    if watch is not None:
        watch.check()
        used, limit = watch.used, watch.limit
    else:
        used, limit = open_files(), file_limit()
    return {"open_files": {"used": used, "limit": limit, "warn_at": int(limit * WARN_RATIO)}}


def _device_name(rt: AgentRuntime, device_id: str) -> str:
    device = rt.devices.get(device_id)
    return device.name if device is not None else device_id


def disk_json(rt: AgentRuntime) -> DiskView:
    """Free space where the ledger lives (one statvfs call): a full disk stops recording."""
    try:
        usage = shutil.disk_usage(rt.config.agent.data_dir)
    except OSError:
        return {"data_dir_free_bytes": None, "data_dir_total_bytes": None}
    return {"data_dir_free_bytes": usage.free, "data_dir_total_bytes": usage.total}


def _age_s(at_ms: int | None, now: int) -> float | None:
    return None if at_ms is None else round((now - at_ms) / 1000, 1)


def manifest_json(rt: AgentRuntime, now: int) -> ManifestView:
    """The manifest in force: its platform time and age (null before the first sync)."""
    at = rt.state.manifest_at_ms
    return {
        "revocations": rt.state.revocation_count,
        "at": iso_ms(at) if at is not None else None,
        "at_ms": at,
        "age_s": _age_s(at, now),
    }


def sync_json(rt: AgentRuntime, now: int) -> SyncView:
    """The ``sync`` object of status (also ``edge-agent sync status``)."""
    event = rt.live_manifest.event
    doc: SyncView = {
        "enabled": rt.sync is not None,
        "event": None
        if event is None
        else {
            "status": event.status,
            "name": event.name,
            "venue": event.venue,
            "postponed_to": event.postponed_to,
        },
    }
    if rt.sync is None:
        return doc
    snap = rt.sync.snapshot()
    # the pretix link uploads the scan rows as its check-ins stream
    head = {"scans": rt.writer.head_seq, "pretix_checkins": rt.writer.head_seq}
    clock = snap.clock
    doc["kind"] = rt.sync.kind
    doc["platform_url"] = rt.sync.platform_url
    doc["running"] = snap.running
    doc["manifest"] = {
        "cursor": snap.manifest_cursor,
        "at": iso_ms(snap.manifest_at_ms) if snap.manifest_at_ms is not None else None,
        "age_s": _age_s(snap.manifest_at_ms, now),
    }
    doc["outbox"] = {
        stream: {
            "head_seq": head.get(stream, 0),
            "uploaded_through_seq": cursor,
            "depth": max(0, head.get(stream, 0) - cursor),
            "halted": snap.halted.get(stream),
        }
        for stream, cursor in snap.upload_cursors.items()
    }
    doc["last_success"] = iso_ms(snap.last_success_ms) if snap.last_success_ms else None
    doc["last_error"] = snap.last_error
    doc["last_error_at"] = iso_ms(snap.last_error_ms) if snap.last_error_ms else None
    doc["failures_in_a_row"] = snap.failures
    doc["backoff_until"] = iso_ms(snap.backoff_until_ms) if snap.backoff_until_ms else None
    doc["clock"] = (
        None
        if clock is None
        else {
            "offset_ms": clock.offset_ms,
            "rtt_ms": clock.rtt_ms,
            "measured_at": iso_ms(clock.measured_at_ms),
        }
    )
    return doc


def lockout_json(rt: AgentRuntime) -> PairingLockout:
    view = rt.pairing_guard.view(wall_clock_ms())
    blocked: list[BlockedAddressView] = [
        {"address": b.address, "failures": b.failures, "until": iso_ms(b.until_ms)}
        for b in view.blocked
    ]
    return {
        "locked": view.locked,
        "locked_at": iso_ms(view.locked_at_ms) if view.locked_at_ms is not None else None,
        "locked_until": iso_ms(view.locked_until_ms) if view.locked_until_ms is not None else None,
        "failures_last_minute": view.failures_last_minute,
        "lockouts": view.lockouts,
        "blocked_addresses": blocked,
    }


def pairing_summary(rt: AgentRuntime) -> PairingSummary:
    full = lockout_json(rt)
    return {
        "locked": full["locked"],
        "locked_until": full["locked_until"],
        "failures_last_minute": full["failures_last_minute"],
        "blocked_addresses": len(full["blocked_addresses"]),
    }


def halt_json(rt: AgentRuntime) -> HaltState:
    row = rt.halts.current
    if row is None:
        return {"halted": False, "halt": None}
    return {
        "halted": True,
        "halt": {
            "number": row.number,
            "at": iso_ms(row.at_ms),
            "operator": row.operator,
            "reason": row.reason,
        },
    }
