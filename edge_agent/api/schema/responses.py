"""Typed shapes of the LAN API's answers: the return types of the view builders.

Why: mypy checks every view builder against these (a renamed or missing key is a type
error), and the OpenAPI generator (``openapi.py``, through msgspec) reads the same TypedDicts,
so the document says what the code really sends. Keys marked ``NotRequired`` may be
absent; the rest are always present (``None`` where the type allows it).
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from edge_agent.api.schema.mesh import MeshView
from edge_agent.gate.verdict_json import FirstAdmitted, Verdict

__all__ = ["FirstAdmitted", "Verdict"]


class ErrorDetail(TypedDict):
    code: str
    message: str


class ErrorBody(TypedDict):
    """Every refusal. Some carry more keys (``not_recorded`` also has ``verdict``)."""

    error: ErrorDetail


class OverrideVerdict(Verdict):
    override_operator: str
    override_reason: str


class PairAnswer(TypedDict):
    device_id: str
    role: str
    name: str
    token: str


class PairingCode(TypedDict):
    code: str
    role: str
    name: str
    expires_at: str


class BlockedAddressView(TypedDict):
    address: str
    failures: int
    until: str


class PairingLockout(TypedDict):
    """``GET /api/v1/pairing/lockout``: is pairing locked, and which addresses wait."""

    locked: bool
    locked_at: str | None
    locked_until: str | None
    failures_last_minute: int
    lockouts: int
    blocked_addresses: list[BlockedAddressView]


class PairingSummary(TypedDict):
    """Status's ``pairing``: the lockout at a glance (the route has the addresses)."""

    locked: bool
    locked_until: str | None
    failures_last_minute: int
    blocked_addresses: int


class DeviceView(TypedDict):
    device_id: str
    name: str
    role: str
    paired_at: str
    revoked_at: str | None


class DeviceList(TypedDict):
    devices: list[DeviceView]


class Revoked(TypedDict):
    device_id: str
    revoked_at: str


class AdmissionView(TypedDict):
    inside: bool
    entries: int
    first_admitted_at: str
    first_gate: str
    last_at: str
    last_gate: str


class TicketView(TypedDict):
    ticket_id: str
    event_id: int
    ticket_type: int
    ticket_type_name: str | None
    order_id: str | None
    holder_name: str | None
    holder_email: str | None
    valid_from: int
    valid_until: int
    revoked: str | None
    admission: AdmissionView | None


class TicketSearch(TypedDict):
    query: str
    tickets: list[TicketView]
    limit: int


class ScanHistoryEntry(TypedDict):
    seq: int
    scan_id: str
    at: str
    gate: str
    lane: str
    device_id: str
    device_name: str | None
    direction: str
    credential_kind: str
    outcome: str
    reason: str
    override_operator: str | None
    override_reason: str | None


class TicketDetail(TypedDict):
    ticket_id: str
    ticket: TicketView | None
    revoked: str | None
    admission: AdmissionView | None
    scans: list[ScanHistoryEntry]


class EvidenceSignature(TypedDict):
    """The detached signature document (``evidence.json.sig``, ``docs/evidence.md``)."""

    kind: str
    algorithm: str
    key_id: str
    public_key: str
    pack_sha256: str
    signature: str


class TicketEvidence(TypedDict):
    """This agent's evidence pack for one ticket (``edge-agent evidence export
    --ticket``): ``evidence_json`` is the exact signed text (write it as is)."""

    ticket_id: str
    evidence_json: str
    signature: EvidenceSignature
    html: str
    conclusion: list[str]


class ConflictAdmission(TypedDict):
    agent_id: Any
    scan_id: Any
    seq: Any
    at: str | None


class Conflict(TypedDict):
    ticket_id: Any
    admissions: list[ConflictAdmission]
    #: With a pretix link: pretix's word (already_redeemed, blocked, canceled, unpaid,
    #: invalid, unknown_position) and what it means.
    reason: NotRequired[str]
    detail: NotRequired[str]


class ConflictReport(TypedDict):
    event_id: int
    fetched_at: str
    conflicts: list[Conflict]


class SyncEvent(TypedDict):
    status: str
    name: str | None
    venue: str | None
    postponed_to: Any


class SyncManifest(TypedDict):
    cursor: str | None
    at: str | None
    age_s: float | None


class OutboxStream(TypedDict):
    head_seq: int
    uploaded_through_seq: int
    depth: int
    halted: str | None


class ClockView(TypedDict):
    offset_ms: int
    rtt_ms: int
    measured_at: str


class SyncView(TypedDict):
    """Platform sync; with sync off only ``enabled`` (false) and ``event`` (null)."""

    enabled: bool
    event: SyncEvent | None
    #: "gatehouse" or "pretix" ([sync] kind).
    kind: NotRequired[str]
    platform_url: NotRequired[str]
    running: NotRequired[bool]
    manifest: NotRequired[SyncManifest]
    outbox: NotRequired[dict[str, OutboxStream]]
    last_success: NotRequired[str | None]
    last_error: NotRequired[str | None]
    last_error_at: NotRequired[str | None]
    failures_in_a_row: NotRequired[int]
    backoff_until: NotRequired[str | None]
    clock: NotRequired[ClockView | None]


class SyncNow(TypedDict):
    completed: bool
    sync: SyncView


class ManifestView(TypedDict):
    revocations: int
    at: str | None
    at_ms: int | None
    age_s: float | None


class DiskView(TypedDict):
    data_dir_free_bytes: int | None
    data_dir_total_bytes: int | None


class AgentView(TypedDict):
    agent_id: str
    venue: str
    version: str
    started_at: str
    uptime_s: float


class HaltView(TypedDict):
    """A supervisor's stop of admissions (``docs/hardening.md``, "Halts")."""

    number: int
    at: str
    operator: str
    reason: str


class HaltState(TypedDict):
    """``GET/POST /api/v1/gate/halt`` and ``/resume``: is entry stopped, and by whom."""

    halted: bool
    halt: HaltView | None


class GateView(TypedDict):
    id: str
    name: str
    allowed_ticket_types: list[int]
    #: The gate's check-in lists (ids; empty = the implicit list) and zone ("" = none).
    lists: list[str]
    zone: str
    language: str
    #: The halt in force, or ``None`` while admissions run.
    halt: HaltView | None


class PolicyView(TypedDict):
    reentry: bool
    exit_scans: bool
    clock_skew_grace_s: int


class LedgerView(TypedDict):
    head_seq: int
    head_chain: str
    batches_committed: int
    last_commit_ms: float | None
    start_check: str
    #: Since start: the longest any scan waited for its durable commit, the longest it
    #: was held back before the writer took it, and how many batches were held back
    #: more than 20 ms (``docs/hardening.md``).
    scan_wait_max_ms: float
    scan_blocked_max_ms: float
    scans_blocked_over_20ms: int
    #: The longest slice of long work (a manifest part, a fill part) and how many took
    #: over 20 ms: what the writer's own work can hold a scan back by.
    slice_max_ms: float
    slices_over_20ms: int


class DeviceCounts(TypedDict):
    device_id: str
    name: str
    by_outcome: dict[str, int]


class ScanCounts(TypedDict):
    total: int
    by_outcome: dict[str, int]
    by_reason: dict[str, int]
    not_recorded: int
    last_minute: int
    by_lane: dict[str, dict[str, int]]
    by_device: list[DeviceCounts]
    recent: list[dict[str, Any]]


class AdmittedEvent(TypedDict):
    event_id: int
    name: str


class StatusEventId(TypedDict):
    #: The box's main event (synced with the platform, sold at the door).
    event_id: int
    #: Every event this box admits, the main one first.
    events: list[AdmittedEvent]


class ZoneView(TypedDict):
    id: str
    name: str
    inside: int
    #: 0 = no capacity.
    capacity: int
    when_full: str


class AdmissionCounts(TypedDict):
    tickets_admitted: int
    inside_now: int
    #: Occupancy per venue zone (empty when the venue has none).
    zones: list[ZoneView]


class KeyringView(TypedDict):
    keys: int
    warnings: list[str]


class PairedCount(TypedDict):
    paired: int


class OpenFiles(TypedDict):
    used: int | None
    limit: int | None


class ConnectionsView(TypedDict):
    """Status's ``connections``: the LAN API's connections and their bounds."""

    open: int
    paired: int
    unauthenticated: int
    addresses: int
    max: int
    max_per_address: int
    paired_reserve: int
    header_timeout_s: float
    accepted: int
    refused: int
    evicted: int
    header_timeouts: int
    out_of_files: int
    open_files: OpenFiles


class TlsView(TypedDict):
    """Status's ``tls``: what the API's HTTPS presents and what devices trust."""

    source: str
    ca_fingerprint_sha256: str | None
    names: list[str]
    not_after: str


class AlarmView(TypedDict):
    """One thing the agent knows is wrong now (``edge_agent/alarms.py``)."""

    code: str
    level: str
    message: str
    since: str


class OpenFilesView(TypedDict):
    used: int | None
    limit: int
    warn_at: int


class AgentClockView(TypedDict):
    """How the agent knows the time (``timekeeping``): ``ok``, ``corrected``, ``held``
    or ``estimated``, what it adds to the wall clock and why."""

    state: str
    offset_ms: int
    why: str


class LimitsView(TypedDict):
    open_files: OpenFilesView


class Status(TypedDict):
    """``GET /api/v1/status``: the whole agent at a glance (``docs/api.md``)."""

    agent: AgentView
    event: StatusEventId
    gate: GateView
    policy: PolicyView
    ledger: LedgerView
    scans: ScanCounts
    admissions: AdmissionCounts
    manifest: ManifestView
    keyring: KeyringView
    devices: PairedCount
    pairing: PairingSummary
    connections: ConnectionsView | None
    tls: TlsView
    disk: DiskView
    sync: SyncView
    lanes: list[dict[str, Any]]
    printer: dict[str, object] | None
    #: The venue mesh (``docs/mesh.md``); ``null`` for a box without ``[mesh]``.
    mesh: MeshView | None
    alarms: list[AlarmView]
    limits: LimitsView
    clock: AgentClockView
