"""Frozen, typed agent configuration loaded from TOML.

Every key is declared once here (the lane and printer tables in ``config_lanes``,
the parsing machinery in ``config_toml``), with its type and default; ``config.example.toml``
documents the same keys (a test keeps the two in step). Unknown keys and wrong types
fail with the file, the dotted key and what was expected — a typo must never be
silently ignored at a venue.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from edge_agent.config_lanes import (
    DEVICE_SECTIONS,
    DeviceSpec,
    LaneSection,
    device_from_toml,
    lanes_from_toml,
    validate_lanes,
)
from edge_agent.config_toml import build_section, resolve
from edge_agent.errors import ConfigError


@dataclass(frozen=True)
class AgentSection:
    #: Stable id of this box; the ledger's hash chain is bound to it.
    agent_id: str
    #: Where the ledger, keys and runtime files live. Relative paths are relative to
    #: the config file.
    data_dir: Path
    #: Human name of the venue, shown in verdicts and evidence.
    venue: str = ""
    #: The agent's Ed25519 identity key (``keys new`` format). It signs door-sold
    #: tickets and the ledger's checkpoints. "" = ``agent.key`` in ``data_dir``, made on
    #: first start when missing. Relative paths are relative to the config file.
    key_file: str = ""


@dataclass(frozen=True)
class EventSection:
    #: The event this gate admits to (GH1 event_id).
    event_id: int
    #: Keyring JSON (ticket-v1 format). Relative to the config file.
    keyring: Path


@dataclass(frozen=True)
class GateSection:
    #: Machine id of the gate, stored with each scan (e.g. "gate-3").
    id: str = "gate-1"
    #: What staff and evidence call it (e.g. "Gate 3").
    name: str = "Gate 1"
    #: Ticket types admitted here; empty = every type.
    allowed_ticket_types: tuple[int, ...] = ()
    #: Lane used when a scan does not name one.
    default_lane: str = "lane-1"
    #: IANA zone for times shown to staff ("Already used 19:42 at Gate 3").
    timezone: str = "UTC"


@dataclass(frozen=True)
class PolicySection:
    #: May a ticket come back in after an exit scan?
    reentry: bool = False
    #: Are exit scans accepted at all?
    exit_scans: bool = True
    #: Seconds of tolerance on valid_from/valid_until for clock drift between issuer
    #: and gate.
    clock_skew_grace_s: int = 120


@dataclass(frozen=True)
class ApiSection:
    #: Addresses to listen on. Default: loopback only. Add the LAN address (or
    #: "0.0.0.0") to let iPads and network scanners in.
    listen: tuple[str, ...] = ("127.0.0.1",)
    port: int = 8443
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = 65536
    #: Failed pairing attempts allowed per client address per minute.
    pairing_attempts_per_minute: int = 5
    #: How long a one-time pairing code stays valid.
    pairing_code_ttl_s: int = 300


@dataclass(frozen=True)
class LedgerSection:
    #: Most rows committed in one transaction (group commit).
    max_batch: int = 1000
    #: Verify the whole hash chain at start (recommended; takes ~1 s per million rows).
    verify_chain_on_start: bool = True
    #: Sign a chain checkpoint after this many new rows (docs/evidence.md); it also
    #: bounds how many other scans an evidence pack must carry as chain proof.
    checkpoint_every_rows: int = 256
    #: ... or this many seconds after the last one when rows were added (and on stop).
    checkpoint_interval_s: int = 60


@dataclass(frozen=True)
class SyncSection:
    #: Base URL of the ticketing platform (e.g. "https://tickets.example.org");
    #: "" switches sync off and the gate works fully offline.
    platform_url: str = ""
    #: File holding the agent token from enrolment (mode 0600). Relative to the config
    #: file. Required when platform_url is set.
    token_file: str = ""
    #: Seconds between manifest downloads (revocations, keyring, event status).
    manifest_interval_s: int = 30
    #: Most changes per manifest page (1..20000). Each page is one ledger transaction
    #: that scans wait behind (~45 ms for 5000 tickets of a first load on the dev VM;
    #: updates during an event are a few rows).
    manifest_page_size: int = 5000
    #: Seconds between uploads when no new rows arrive (new rows go up within ~1 s).
    upload_interval_s: int = 60
    #: Most ledger rows per upload batch (1..1000).
    batch_rows: int = 1000
    #: Most bytes of rows per upload batch (the platform takes up to 1 MiB).
    batch_bytes: int = 1_000_000
    #: Seconds one request to the platform may take.
    timeout_s: int = 30
    #: Longest wait between retries after failures (exponential backoff, full jitter).
    backoff_max_s: int = 300

    @property
    def enabled(self) -> bool:
        return bool(self.platform_url)


@dataclass(frozen=True)
class DiscoverySection:
    #: Announce the LAN API with zeroconf (``_gatehouse._tcp``) on the ``api.listen``
    #: addresses, so TUIs find the box without its IP address (docs/tui.md).
    announce: bool = False
    #: The announced instance name ("" = the agent id).
    name: str = ""


@dataclass(frozen=True)
class BoxOfficeSection:
    #: Door sales on this agent (``docs/boxoffice.md``); seats come from leases, so
    #: selling needs ``[sync]`` at least for taking them.
    enabled: bool = True
    #: ISO 4217 code of the door prices (the manifest's ``price_cents`` are in it).
    currency: str = "EUR"
    #: Seats asked for per lease when topping up automatically; 0 = only by hand.
    lease_size: int = 20
    #: Top up a ticket type (online) when its sellable seats drop below this.
    top_up_below: int = 5
    #: Lifetime asked for each lease (60..604800 s); unsold seats return at expiry.
    lease_ttl_s: int = 43_200
    #: A lease stops selling this many seconds before its expiry (platform time), so
    #: clock drift while offline never sells a seat the platform already took back.
    expiry_margin_s: int = 60


@dataclass(frozen=True)
class LogSection:
    #: "debug", "info", "warning" or "error". Per-scan lines are debug.
    level: str = "info"
    #: "json" (one object per line, for journald/Loki) or "text".
    format: str = "json"


@dataclass(frozen=True)
class Config:
    agent: AgentSection
    event: EventSection
    gate: GateSection = field(default_factory=GateSection)
    policy: PolicySection = field(default_factory=PolicySection)
    api: ApiSection = field(default_factory=ApiSection)
    ledger: LedgerSection = field(default_factory=LedgerSection)
    sync: SyncSection = field(default_factory=SyncSection)
    box_office: BoxOfficeSection = field(default_factory=BoxOfficeSection)
    log: LogSection = field(default_factory=LogSection)
    discovery: DiscoverySection = field(default_factory=DiscoverySection)
    #: ``[[lanes]]``: the gate's lanes, each with inputs and outputs (none by default:
    #: scans then come only through the API).
    lanes: tuple[LaneSection, ...] = ()
    #: ``[printer]``: the receipt/ticket printer of the box office, if there is one.
    printer: DeviceSpec | None = None
    #: The file this config came from (not a key).
    source: Path = field(default=Path("<memory>"), compare=False)

    @property
    def ledger_path(self) -> Path:
        return self.agent.data_dir / "ledger.sqlite3"

    @property
    def agent_key_path(self) -> Path:
        """``agent.key_file`` as a path (resolved), or ``data_dir/agent.key``."""
        if self.agent.key_file:
            return Path(self.agent.key_file)
        return self.agent.data_dir / "agent.key"

    @property
    def control_socket(self) -> Path:
        return self.agent.data_dir / "control.sock"

    @property
    def sync_token_path(self) -> Path:
        """``sync.token_file`` as a path (already resolved against the config file)."""
        return Path(self.sync.token_file)


LOG_LEVELS = ("debug", "info", "warning", "error")
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
    if cfg.agent.key_file:
        key_file = str(resolve(base, Path(cfg.agent.key_file)))
        cfg = dataclasses.replace(cfg, agent=dataclasses.replace(cfg.agent, key_file=key_file))
    if cfg.sync.token_file:
        token_file = str(resolve(base, Path(cfg.sync.token_file)))
        cfg = dataclasses.replace(cfg, sync=dataclasses.replace(cfg.sync, token_file=token_file))
    _validate(cfg, name)
    validate_lanes(cfg.lanes, cfg.printer, cfg.api.port, name)
    return cfg


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
    if not 1 <= cfg.ledger.max_batch <= 100_000:
        raise bad("ledger.max_batch", "expected 1..100000")
    if not 1 <= cfg.ledger.checkpoint_every_rows <= 1_000_000:
        raise bad("ledger.checkpoint_every_rows", "expected 1..1000000")
    if not 1 <= cfg.ledger.checkpoint_interval_s <= 86_400:
        raise bad("ledger.checkpoint_interval_s", "expected 1..86400 seconds")
    _validate_sync(cfg.sync, bad)
    name = cfg.discovery.name
    if len(name) > 63 or any(not c.isprintable() or c == "." for c in name):
        raise bad("discovery.name", "expected at most 63 printable characters, no '.'")
    _validate_box_office(cfg.box_office, bad)
    if cfg.log.level not in LOG_LEVELS:
        raise bad("log.level", f"expected one of {', '.join(LOG_LEVELS)}")
    if cfg.log.format not in LOG_FORMATS:
        raise bad("log.format", f"expected one of {', '.join(LOG_FORMATS)}")


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
