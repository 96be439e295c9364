"""Reading and checking the agent's TOML config: ``load_config`` and its rules.

The sections are declared in ``config/sections.py``; this module parses a file into them
(strictly: unknown keys and wrong types name the file and the dotted key), resolves
relative paths against the file, and checks the values a type cannot express (ranges,
URLs, addresses) with the same kind of error.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from edge_agent.config.lanes import (
    DEVICE_SECTIONS,
    device_from_toml,
    lanes_from_toml,
    validate_lanes,
)
from edge_agent.config.mesh_section import validate_mesh
from edge_agent.config.rules import gate_rules
from edge_agent.config.sections import (
    ApiSection,
    BoxOfficeSection,
    Config,
    PretixSection,
    SyncSection,
    TlsSection,
)
from edge_agent.config.tables import build_section, resolve
from edge_agent.errors import ConfigError

LOG_LEVELS = ("debug", "info", "warning", "error")
_DNS_NAME = re.compile(
    r"(?=.{1,253}$)(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
LOG_FORMATS = ("json", "text")


def load_config(path: Path) -> Config:
    """Read, type-check and validate a TOML config file."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(name, None, "file not found") from None
    except OSError as exc:
        raise ConfigError(name, None, f"cannot read: {exc.strerror}") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(name, None, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(name, None, f"not valid TOML: {exc}") from None
    return config_from_dict(doc, source=path)


def config_from_dict(doc: dict[str, Any], source: Path = Path("<memory>")) -> Config:
    """Build a Config from parsed TOML; relative paths resolve against the file."""
    name = str(source)
    base = source.parent if source.name != "<memory>" else Path.cwd()
    devices = {k: doc[k] for k in DEVICE_SECTIONS if k in doc}
    doc = {k: v for k, v in doc.items() if k not in DEVICE_SECTIONS}
    cfg = build_section(Config, doc, name, prefix="", skip={"source"})  # device sections: below
    cfg = _box_office_for_link(cfg, doc, name)
    cfg = dataclasses.replace(
        cfg,
        source=source,
        agent=dataclasses.replace(cfg.agent, data_dir=resolve(base, cfg.agent.data_dir)),
        event=dataclasses.replace(cfg.event, keyring=resolve(base, cfg.event.keyring)),
        lanes=lanes_from_toml(devices.get("lanes", []), name, base),
        printer=(
            device_from_toml(devices["printer"], name, "printer", "printer", base)
            if "printer" in devices
            else None
        ),
    )
    if any(e.keyring for e in cfg.events):
        events = tuple(
            dataclasses.replace(e, keyring=str(resolve(base, Path(e.keyring)))) if e.keyring else e
            for e in cfg.events
        )
        cfg = dataclasses.replace(cfg, events=events)
    if cfg.agent.key_file:
        key_file = str(resolve(base, Path(cfg.agent.key_file)))
        cfg = dataclasses.replace(cfg, agent=dataclasses.replace(cfg.agent, key_file=key_file))
    if cfg.backup.dir:
        backup_dir = str(resolve(base, Path(cfg.backup.dir)))
        cfg = dataclasses.replace(cfg, backup=dataclasses.replace(cfg.backup, dir=backup_dir))
    if cfg.sync.token_file:
        token_file = str(resolve(base, Path(cfg.sync.token_file)))
        cfg = dataclasses.replace(cfg, sync=dataclasses.replace(cfg.sync, token_file=token_file))
    if cfg.sync.ca_file:
        ca_file = str(resolve(base, Path(cfg.sync.ca_file)))
        cfg = dataclasses.replace(cfg, sync=dataclasses.replace(cfg.sync, ca_file=ca_file))
    cfg = dataclasses.replace(cfg, tls=_resolve_tls(cfg.tls, base))
    _validate(cfg, name)
    validate_lanes(cfg.lanes, cfg.printer, cfg.api.port, name)
    gate_rules(cfg)  # every rule table and reference checked now, not at start
    return cfg


def _box_office_for_link(cfg: Config, doc: dict[str, Any], file: str) -> Config:
    """With a pretix link door sales are off (docs/pretix.md: pretix has no quota lease,
    so "never oversell offline" cannot hold). Saying ``enabled = true`` anyway is an
    error rather than a setting silently ignored."""
    if cfg.sync.kind != "pretix" or not cfg.box_office.enabled:
        return cfg
    table = doc.get("box_office")
    if isinstance(table, dict) and table.get("enabled") is True:
        raise ConfigError(
            file,
            "box_office.enabled",
            'door sales need the Gatehouse sync protocol; with sync.kind = "pretix" set'
            " it to false (docs/pretix.md explains why)",
        )
    return dataclasses.replace(cfg, box_office=dataclasses.replace(cfg.box_office, enabled=False))


def _validate(cfg: Config, file: str) -> None:
    def bad(key: str, problem: str) -> ConfigError:
        return ConfigError(file, key, problem)

    if not cfg.agent.agent_id or len(cfg.agent.agent_id) > 64:
        raise bad("agent.agent_id", "expected 1 to 64 characters")
    if not 0 <= cfg.event.event_id <= 0xFFFFFFFF:
        raise bad("event.event_id", "expected an unsigned 32-bit integer")
    for i, t in enumerate(cfg.gate.allowed_ticket_types):
        if not 0 <= t <= 0xFFFF:
            raise bad(f"gate.allowed_ticket_types[{i}]", "expected 0..65535")
    if cfg.policy.clock_skew_grace_s < 0:
        raise bad("policy.clock_skew_grace_s", "expected 0 or more seconds")
    if not 0 <= cfg.api.port <= 65535:
        raise bad("api.port", "expected 0..65535 (0 = pick a free port)")
    if not cfg.api.listen:
        raise bad("api.listen", "expected at least one address")
    for i, host in enumerate(cfg.api.listen):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise bad(f"api.listen[{i}]", f"expected an IP address, got {host!r}") from None
    if cfg.api.max_body_bytes < 1024:
        raise bad("api.max_body_bytes", "expected at least 1024")
    if cfg.api.pairing_attempts_per_minute < 1:
        raise bad("api.pairing_attempts_per_minute", "expected at least 1")
    if cfg.api.pairing_code_ttl_s < 30:
        raise bad("api.pairing_code_ttl_s", "expected at least 30 seconds")
    _validate_api_limits(cfg.api, bad)
    _validate_tls(cfg.tls, bad)
    if not 600 <= cfg.ledger.request_ids_kept_s <= 30 * 86_400:
        raise bad("ledger.request_ids_kept_s", "expected 600..2592000 seconds")
    if not 1 <= cfg.ledger.max_batch <= 100_000:
        raise bad("ledger.max_batch", "expected 1..100000")
    if not 1 <= cfg.ledger.checkpoint_every_rows <= 1_000_000:
        raise bad("ledger.checkpoint_every_rows", "expected 1..1000000")
    if not 1 <= cfg.ledger.checkpoint_interval_s <= 86_400:
        raise bad("ledger.checkpoint_interval_s", "expected 1..86400 seconds")
    _validate_sync(cfg.sync, bad)
    validate_mesh(cfg.mesh, cfg.agent.agent_id, file)
    name = cfg.discovery.name
    if len(name) > 63 or any(not c.isprintable() or c == "." for c in name):
        raise bad("discovery.name", "expected at most 63 printable characters, no '.'")
    _validate_box_office(cfg.box_office, bad)
    if not 5 <= cfg.backup.every_min <= 1440:
        raise bad("backup.every_min", "expected 5..1440 minutes")
    if not 1 <= cfg.backup.keep <= 10_000:
        raise bad("backup.keep", "expected 1..10000")
    if cfg.log.level not in LOG_LEVELS:
        raise bad("log.level", f"expected one of {', '.join(LOG_LEVELS)}")
    if cfg.log.format not in LOG_FORMATS:
        raise bad("log.format", f"expected one of {', '.join(LOG_FORMATS)}")


def _resolve_tls(t: TlsSection, base: Path) -> TlsSection:
    def path(value: str) -> str:
        return str(resolve(base, Path(value))) if value else ""

    return dataclasses.replace(
        t, dir=path(t.dir), cert_file=path(t.cert_file), key_file=path(t.key_file)
    )


def _validate_api_limits(a: ApiSection, bad: Callable[[str, str], ConfigError]) -> None:
    if a.pairing_attempts_total_per_minute < a.pairing_attempts_per_minute:
        raise bad(
            "api.pairing_attempts_total_per_minute",
            f"expected at least api.pairing_attempts_per_minute ({a.pairing_attempts_per_minute})",
        )
    if not 60 <= a.pairing_lockout_s <= 86_400:
        raise bad("api.pairing_lockout_s", "expected 60..86400 seconds")
    for key, value, low, high in (
        ("header_timeout_s", a.header_timeout_s, 1, 120),
        ("idle_timeout_s", a.idle_timeout_s, 1, 3600),
        ("body_timeout_s", a.body_timeout_s, 1, 300),
        ("ws_messages_per_s", a.ws_messages_per_s, 1, 10_000),
    ):
        if not low <= value <= high:
            raise bad(f"api.{key}", f"expected {low}..{high}")
    if not 16 <= a.max_connections <= 100_000:
        raise bad("api.max_connections", "expected 16..100000")
    if not 1 <= a.max_connections_per_address <= a.max_connections:
        raise bad("api.max_connections_per_address", "expected 1..api.max_connections")
    if not 0 <= a.paired_reserve <= a.max_connections // 2:
        raise bad("api.paired_reserve", "expected 0..half of api.max_connections")
    if not 1024 <= a.ws_max_message_bytes <= a.max_body_bytes:
        raise bad("api.ws_max_message_bytes", "expected 1024..api.max_body_bytes")


def _validate_tls(t: TlsSection, bad: Callable[[str, str], ConfigError]) -> None:
    if bool(t.cert_file) != bool(t.key_file):
        missing = "tls.key_file" if t.cert_file else "tls.cert_file"
        raise bad(missing, "tls.cert_file and tls.key_file go together: give both or neither")
    for i, name in enumerate(t.names):
        if not _DNS_NAME.fullmatch(name):
            raise bad(
                f"tls.names[{i}]", f"expected a DNS name such as gate.example.org, got {name!r}"
            )


def _validate_box_office(b: BoxOfficeSection, bad: Callable[[str, str], ConfigError]) -> None:
    if len(b.currency) != 3 or not b.currency.isascii() or not b.currency.isupper():
        raise bad("box_office.currency", 'expected an ISO 4217 code such as "EUR"')
    if not 0 <= b.lease_size <= 10_000:
        raise bad("box_office.lease_size", "expected 0..10000")
    if b.top_up_below < 0:
        raise bad("box_office.top_up_below", "expected 0 or more")
    if not 60 <= b.lease_ttl_s <= 604_800:
        raise bad("box_office.lease_ttl_s", "expected 60..604800 seconds")
    if b.expiry_margin_s < 0:
        raise bad("box_office.expiry_margin_s", "expected 0 or more seconds")


def _validate_sync(s: SyncSection, bad: Callable[[str, str], ConfigError]) -> None:
    if s.platform_url:
        parts = urlsplit(s.platform_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad("sync.platform_url", 'expected an http(s):// URL, or "" for no sync')
        if parts.query or parts.fragment:
            raise bad("sync.platform_url", "expected a base URL without ?query or #fragment")
        if not s.token_file:
            raise bad("sync.token_file", "required when sync.platform_url is set")
    for key, value, low in (
        ("manifest_interval_s", s.manifest_interval_s, 1),
        ("upload_interval_s", s.upload_interval_s, 1),
        ("timeout_s", s.timeout_s, 1),
        ("backoff_max_s", s.backoff_max_s, 1),
        ("batch_bytes", s.batch_bytes, 16_384),
    ):
        if value < low:
            raise bad(f"sync.{key}", f"expected at least {low}")
    if not 1 <= s.manifest_page_size <= 20_000:
        raise bad("sync.manifest_page_size", "expected 1..20000")
    if not 1 <= s.batch_rows <= 1000:
        raise bad("sync.batch_rows", "expected 1..1000")
    if s.batch_bytes > 1_048_576:
        raise bad("sync.batch_bytes", "expected at most 1048576 (the platform's limit)")
    _validate_pretix(s, bad)


def _validate_pretix(s: SyncSection, bad: Callable[[str, str], ConfigError]) -> None:
    p = s.pretix
    if s.kind != "pretix":
        if p != PretixSection():
            raise bad("sync.pretix", 'only used with sync.kind = "pretix"')
        return
    for key, value in (("organizer", p.organizer), ("event", p.event)):
        if (
            not value
            or len(value) > 64
            or not all(c.isascii() and (c.isalnum() or c in "-_.") for c in value)
        ):
            raise bad(f"sync.pretix.{key}", "expected pretix's short name (letters, digits, -_.)")
    if not 1 <= p.checkin_list < 2**63:
        raise bad("sync.pretix.checkin_list", "expected the id of a pretix check-in list")
    if not 1 <= p.upload_concurrency <= 16:
        raise bad("sync.pretix.upload_concurrency", "expected 1..16")
