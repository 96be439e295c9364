"""Checks of the box itself: data dir and disk, ledger, manifest, keys and certificates,
the clock, TLS files. Each reads files or the ledger read-only, so the agent may run."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

from cryptography import x509

from edge_agent.config.key_files import read_keyring_file
from edge_agent.config.sections import Config
from edge_agent.doctor.clock import ClockProbe
from edge_agent.doctor.outcome import Check, failed, passed, warned
from edge_agent.domain.keyring import merge_keyrings
from edge_agent.domain.trusted_key import Keyring, KeyRole, key_id_of
from edge_agent.errors import GatehouseError
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.rows import SyncStateRow
from edge_agent.ledger.sync_tables import read_sync_state

GB = 1_000_000_000
#: Warn below 1 GB or 5 % free (the TUI's alert); fail below this.
FAIL_FREE_BYTES = 100_000_000
MANIFEST_WARN_AGE_S = 3600
CLOCK_WARN_S = 2.0
CERT_WARN_DAYS = 14
#: Where the venue CA and the LAN certificates live (``edge_agent/tls``, issue 17).
TLS_DIR = "tls"


def data_dir_check(config: Config) -> Check:
    name = "data dir and disk space"
    data_dir = config.agent.data_dir
    if not data_dir.exists():
        parent_ok = os.access(data_dir.parent, os.W_OK)
        if parent_ok:
            return passed(name, f"{data_dir} will be created at first start")
        return failed(
            name,
            f"{data_dir} does not exist and {data_dir.parent} is not writable",
            f"create it for the agent's user: sudo install -d -m 700 -o gatehouse {data_dir}",
        )
    if not os.access(data_dir, os.W_OK):
        return failed(
            name,
            f"{data_dir} is not writable by this user",
            f"run the doctor as the agent's user (sudo -u gatehouse …) or chown {data_dir}",
        )
    usage = shutil.disk_usage(data_dir)
    text = f"{data_dir}: {usage.free / GB:.1f} GB free of {usage.total / GB:.1f} GB"
    if usage.free < FAIL_FREE_BYTES:
        return failed(name, text, "free space on that disk now: a full disk stops recording")
    if usage.free < GB or usage.free < usage.total * 0.05:
        return warned(name, text, "free space (old logs, backups) before the night")
    return passed(name, text)


def ledger_check(config: Config) -> Check:
    name = "ledger integrity"
    path = config.ledger_path
    if not path.exists():
        return passed(name, f"{path} will be created at first start")
    report = check_ledger(path, config.agent.agent_id)
    first = report.summary().splitlines()[0]
    if report.ok:
        return passed(name, first)
    return failed(
        name,
        first,
        "keep the file for investigation and restore the last backup "
        "(edge-agent restore) or start with a new data dir",
    )


def read_stored_state(config: Config) -> tuple[SyncStateRow, int, int]:
    """Sync state, manifest tickets and plain codes from the ledger (read-only)."""
    if not config.ledger_path.exists():
        return SyncStateRow(), 0, 0
    conn = open_read_connection(config.ledger_path)
    try:
        state = read_sync_state(conn)
        tickets = int(conn.execute("SELECT count(*) FROM manifest_tickets").fetchone()[0])
        codes = int(conn.execute("SELECT count(*) FROM plain_codes").fetchone()[0])
    except sqlite3.Error:
        return SyncStateRow(), 0, 0
    finally:
        conn.close()
    if state.event_id not in (None, config.event.event_id):
        state = SyncStateRow()
    return state, tickets, codes


def manifest_check(
    config: Config, state: SyncStateRow, tickets: int, codes: int, now_ms: int
) -> Check:
    name = "manifest age and tickets"
    if not config.sync.enabled:
        return passed(
            name,
            f"sync off: signed codes verify from the keyring; {codes:,} plain codes imported",
        )
    if state.manifest_at_ms is None:
        return failed(
            name,
            "no manifest from the platform yet: refunds would not reach this gate",
            "start the agent and run edge-agent sync now --config FILE before doors",
        )
    age_s = (now_ms - state.manifest_at_ms) / 1000
    text = f"{tickets:,} tickets, manifest {age_s / 60:.0f} min old"
    if age_s > MANIFEST_WARN_AGE_S:
        return warned(
            name, text, "check the platform link (below) and run edge-agent sync now --config FILE"
        )
    if tickets == 0:
        return warned(name, text, "make sure the platform has tickets for this event_id")
    return passed(name, text)


def keyring_check(
    config: Config, state: SyncStateRow, agent_public: bytes | None, now_s: int
) -> Check:
    name = "keyring and certificate expiry"
    try:
        keyring = read_keyring_file(config.event.keyring)
    except GatehouseError as exc:
        return failed(name, str(exc), "put the event's keyring.json where event.keyring says")
    if state.keyring_json:
        try:
            import json

            from edge_agent.domain.keyring import load_keyring

            keyring = merge_keyrings(load_keyring(json.loads(state.keyring_json)), keyring)
        except (GatehouseError, ValueError):
            pass  # the next sync replaces it; the file keyring still judges
    platform = [
        k for k in keyring.keys.values()
        if k.role == KeyRole.PLATFORM and k.allows_event(config.event.event_id)
    ]  # fmt: skip
    if not platform:
        return failed(
            name,
            f"no platform key for event {config.event.event_id} in {config.event.keyring}",
            "use the keyring made for this event (edge-agent keys keyring …)",
        )
    text = f"{len(platform)} platform key(s) for event {config.event.event_id}"
    return _agent_certificate(name, text, config, keyring, agent_public, now_s)


def _agent_certificate(
    name: str, text: str, config: Config, keyring: Keyring, agent_public: bytes | None, now_s: int
) -> Check:
    if agent_public is None:
        return passed(name, f"{text}; the agent key is made at first start")
    mine = keyring.get(key_id_of(agent_public))
    selling = config.box_office.enabled and config.sync.enabled
    if mine is None or mine.role != KeyRole.AGENT:
        if selling:
            return warned(
                name,
                f"{text}; this box's key is not certified by the platform",
                "enrol the agent key (gatehouse-platform enrol …) so door-sold tickets verify",
            )
        return passed(name, f"{text}; this box's key is not certified (no door sales)")
    until = mine.not_after or 0
    when = dt.datetime.fromtimestamp(until, dt.UTC).strftime("%Y-%m-%d")
    left_days = (until - now_s) / 86400
    if left_days < 0:
        return failed(
            name,
            f"{text}; this box's certificate expired {when}",
            "ask the platform to re-enrol it",
        )
    if left_days < CERT_WARN_DAYS:
        return warned(
            name,
            f"{text}; this box's certificate expires {when}",
            "ask the platform to re-enrol this box before then",
        )
    return passed(name, f"{text}; this box's certificate valid until {when}")


def clock_check(probe: ClockProbe) -> Check:
    name = "clock synchronised"
    if probe.synchronised is None:
        return warned(
            name,
            "no time source could say (no chrony, timedatectl or adjtimex answer)",
            "enable time sync: sudo timedatectl set-ntp true",
        )
    by = "" if probe.offset_s is None else f", off by up to {abs(probe.offset_s) * 1000:.0f} ms"
    if not probe.synchronised:  # an unsynchronised kernel's error bound means nothing
        return warned(
            name,
            f"{probe.source}: not synchronised",
            "give the box network time (sudo timedatectl set-ntp true) or set it by hand",
        )
    if probe.offset_s is not None and abs(probe.offset_s) > CLOCK_WARN_S:
        return warned(name, f"{probe.source}: synchronised{by}", "wait for time sync to settle")
    return passed(name, f"{probe.source}: synchronised{by}")


def platform_offset_check(config: Config, offset_ms: int | None, source: str) -> Check:
    name = "clock offset to the platform"
    if offset_ms is None:
        if not config.sync.enabled:
            return passed(name, "sync off: no platform to compare with")
        return warned(name, "never measured", "let the agent sync once (edge-agent sync now)")
    text = f"{offset_ms / 1000:+.3f} s (platform − box, {source})"
    grace = config.policy.clock_skew_grace_s
    if abs(offset_ms) > grace * 1000:
        return failed(
            name,
            text,
            f"set the box's clock: beyond {grace} s tickets' valid times are judged wrong",
        )
    if abs(offset_ms) > CLOCK_WARN_S * 1000:
        return warned(name, text, "fix time sync on the box (sudo timedatectl set-ntp true)")
    return passed(name, text)


def tls_check(config: Config, now: dt.datetime) -> Check:
    """The venue CA and certificates under ``<data_dir>/tls`` (seam: issue 17 fills it)."""
    name = "TLS certificate validity"
    directory = config.agent.data_dir / TLS_DIR
    certs = sorted(directory.glob("*.crt")) if directory.is_dir() else []
    if not certs:
        return passed(name, f"no certificates in {directory} (the API speaks plain HTTP)")
    soonest: tuple[dt.datetime, Path] | None = None
    for path in certs:
        try:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
        except (OSError, ValueError) as exc:
            return failed(
                name, f"{path}: unreadable ({exc})", "remove it; the agent makes a new one"
            )
        until = cert.not_valid_after_utc
        if cert.not_valid_before_utc > now:
            return failed(
                name, f"{path.name} is not valid before {cert.not_valid_before_utc:%Y-%m-%d}",
                "set the box's clock",
            )  # fmt: skip
        if soonest is None or until < soonest[0]:
            soonest = (until, path)
    assert soonest is not None
    until, path = soonest
    text = f"{len(certs)} certificate(s); {path.name} expires {until:%Y-%m-%d}"
    if until < now:
        return failed(name, text, f"renew it: remove {path} and restart the agent")
    if until - now < dt.timedelta(days=CERT_WARN_DAYS):
        return warned(name, text, f"renew it before then: remove {path} and restart the agent")
    return passed(name, text)
