"""The agent config's sections: frozen, typed dataclasses, one per TOML table.

Every key is declared once here (the lane and printer tables in ``config/lanes.py``),
with its type and default; ``config.example.toml`` documents the same keys (a test keeps
the two in step). ``config/loading.py`` fills them from a file, strictly: unknown keys
and wrong types fail with the file, the dotted key and what was expected — a typo must
never be silently ignored at a venue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from edge_agent.config.lanes import DeviceSpec, LaneSection
from edge_agent.config.mesh_section import MeshSection
from edge_agent.config.rules_sections import EventRulesSection, ListSection, ZoneSection


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
    #: IANA zone for times shown to staff ("Already used 19:42 at Gate 3"), and the
    #: zone doors windows and event days are in.
    timezone: str = "UTC"
    #: Check-in lists (``[[lists]]`` ids) every lane scans against unless it names its
    #: own; empty = one implicit list from allowed_ticket_types and [policy].
    lists: tuple[str, ...] = ()
    #: The venue zone (``[[zones]]`` id) the gate's lanes enter unless a lane names one.
    zone: str = ""
    #: Language of staff messages for devices that do not ask for one (en, de, fr, es).
    language: str = "en"


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
    #: "0.0.0.0") to let iPads and network scanners in: the API speaks HTTPS there
    #: (``[tls]``); plain HTTP only on loopback addresses.
    listen: tuple[str, ...] = ("127.0.0.1",)
    port: int = 8443
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = 65536
    #: Failed pairing attempts allowed per client address per minute.
    pairing_attempts_per_minute: int = 5
    #: Failed pairing attempts allowed per minute from all addresses together; the one
    #: that reaches it locks pairing for everyone (``pairing_lockout_s``, or until a
    #: supervisor lifts it).
    pairing_attempts_total_per_minute: int = 20
    #: How long pairing stays locked after too many wrong codes, unless lifted sooner.
    pairing_lockout_s: int = 900
    #: How long a one-time pairing code stays valid.
    pairing_code_ttl_s: int = 300
    #: A new connection must finish its TLS handshake and its first request's headers
    #: within this many seconds, or it is closed.
    header_timeout_s: float = 10.0
    #: A kept-alive connection with no request for this long is closed (also bounds the
    #: headers of each later request on it).
    idle_timeout_s: float = 30.0
    #: A request body must arrive within this many seconds of its headers.
    body_timeout_s: float = 10.0
    #: Connections open at once on the API, over all addresses; lowered at start to fit
    #: the process's open-file limit.
    max_connections: int = 512
    #: Connections open at once from one client address.
    max_connections_per_address: int = 64
    #: Connections that only paired devices may use: connections not (yet) known to be
    #: a paired device's never take these, and the oldest of them are closed first.
    paired_reserve: int = 64
    #: Largest message accepted on the scan WebSocket, in bytes.
    ws_max_message_bytes: int = 16384
    #: Messages a second one scan WebSocket may send (bursts of twice that pass).
    ws_messages_per_s: float = 20.0


@dataclass(frozen=True)
class TlsSection:
    #: Where the venue CA and this box's certificate live; "" = ``tls`` in data_dir.
    #: A box that joins a mesh receives the venue's CA here.
    dir: str = ""
    #: The venue's own certificate chain and key (PEM files, e.g. from ACME DNS-01
    #: elsewhere); both or neither. "" = a certificate from the venue CA, made at start.
    #: Relative to the config file.
    cert_file: str = ""
    key_file: str = ""
    #: More DNS names for the certificate the venue CA issues (the listen addresses,
    #: ``<agent_id>.local``, ``localhost`` and 127.0.0.1 are always in it).
    names: tuple[str, ...] = ()
    #: Speak HTTPS on loopback addresses too (default: plain HTTP there, for local tools).
    loopback: bool = False


@dataclass(frozen=True)
class LedgerSection:
    #: Most rows committed in one transaction (group commit).
    max_batch: int = 1000
    #: Verify the whole hash chain at start (recommended; takes ~1 s per million rows).
    verify_chain_on_start: bool = True
    #: How long a client's ``request_id`` (scans, overrides) is kept, so a retry gets the
    #: first verdict back (docs/api.md, "Retries"); older ones are pruned.
    request_ids_kept_s: int = 86_400
    #: Sign a chain checkpoint after this many new rows (docs/evidence.md); it also
    #: bounds how many other scans an evidence pack must carry as chain proof.
    checkpoint_every_rows: int = 256
    #: ... or this many seconds after the last one when rows were added (and on stop).
    checkpoint_interval_s: int = 60


@dataclass(frozen=True)
class PretixSection:
    """``[sync.pretix]``: the pretix event this box admits to (``docs/pretix.md``)."""

    #: The organizer's short name in pretix (the first part of the shop's path, e.g.
    #: "democon" in https://pretix.eu/democon/2026/).
    organizer: str = ""
    #: The event's short name (the second part: "2026").
    event: str = ""
    #: The id of the pretix check-in list this gate scans against (pretix's Check-in
    #: page shows it in the list's address).
    checkin_list: int = 0
    #: Check-ins sent to pretix at once (1..16); each is idempotent (a nonce per row).
    upload_concurrency: int = 4


@dataclass(frozen=True)
class SyncSection:
    #: "gatehouse" (the Gatehouse sync protocol, docs/sync.md) or "pretix" (a pretix
    #: server as the platform: the box enrols as a pretix device, docs/pretix.md).
    kind: Literal["gatehouse", "pretix"] = "gatehouse"
    #: Base URL of the ticketing platform (e.g. "https://tickets.example.org");
    #: "" switches sync off and the gate works fully offline.
    platform_url: str = ""
    #: File holding the agent token from enrolment (mode 0600). Relative to the config
    #: file. Required when platform_url is set.
    token_file: str = ""
    #: A PEM file of the CA(s) that may sign the platform's certificate; "" = the
    #: system's trusted CAs. Relative to the config file.
    ca_file: str = ""
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
    #: With kind = "pretix": which pretix event and check-in list.
    pretix: PretixSection = field(default_factory=PretixSection)

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
class BackupSection:
    #: Scheduled backups (``docs/backup.md``): a directory on a mounted USB stick; "" =
    #: none. Relative paths are relative to the config file.
    dir: str = ""
    #: Minutes between scheduled backups (5..1440).
    every_min: int = 60
    #: Scheduled backups of this agent kept in ``dir`` (older ones are removed).
    keep: int = 48
    #: Allow ``dir`` on the data dir's own disk (tests; a real stick is another disk).
    same_disk_ok: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.dir)


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
    tls: TlsSection = field(default_factory=TlsSection)
    ledger: LedgerSection = field(default_factory=LedgerSection)
    sync: SyncSection = field(default_factory=SyncSection)
    box_office: BoxOfficeSection = field(default_factory=BoxOfficeSection)
    backup: BackupSection = field(default_factory=BackupSection)
    log: LogSection = field(default_factory=LogSection)
    discovery: DiscoverySection = field(default_factory=DiscoverySection)
    #: ``[mesh]``: this box and the venue's other boxes as one gate (docs/mesh.md).
    mesh: MeshSection = field(default_factory=MeshSection)
    #: ``[[lanes]]``: the gate's lanes, each with inputs and outputs (none by default:
    #: scans then come only through the API).
    lanes: tuple[LaneSection, ...] = ()
    #: ``[[events]]``: the rules of each event this box admits (``[event]``'s too).
    events: tuple[EventRulesSection, ...] = ()
    #: ``[[zones]]``: the venue's zones (halls, decks) lanes enter.
    zones: tuple[ZoneSection, ...] = ()
    #: ``[[lists]]``: check-in lists lanes scan against (``gate.lists``, ``lanes.lists``).
    lists: tuple[ListSection, ...] = ()
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
    def mesh_dir(self) -> Path:
        """The mesh's roster, credentials, server config and JetStream store."""
        return self.agent.data_dir / "mesh"

    @property
    def control_socket(self) -> Path:
        return self.agent.data_dir / "control.sock"

    @property
    def tls_dir(self) -> Path:
        """``tls.dir`` as a path (resolved), or ``data_dir/tls``."""
        return Path(self.tls.dir) if self.tls.dir else self.agent.data_dir / "tls"

    @property
    def sync_token_path(self) -> Path:
        """``sync.token_file`` as a path (already resolved against the config file)."""
        return Path(self.sync.token_file)
