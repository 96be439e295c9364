"""``GET /api/v1/status`` (the dashboard, alerts, devices' health, sync) and the sync
screen's answers (``POST /api/v1/sync/now``, ``GET /api/v1/sync/conflicts``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from tui.documents.fields import Document, Fields


@dataclass(frozen=True, slots=True)
class RecentScan(Document):
    at_ms: int | None
    outcome: str
    lane: str
    ticket_id: str | None
    reason: str
    message: str
    #: The event the scan was for (a box may admit several).
    event_id: int | None = None
    zone: str | None = None
    #: An admit staff had to check first (flags, a zone over capacity).
    check: bool = False

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.opt_integer("at_ms"), f.text("outcome"), f.text("lane"),
                   f.opt_text("ticket_id"), f.text("reason"), f.text("message"),
                   f.opt_integer("event_id"), f.opt_text("zone"), f.flag("check"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class ZoneFigures(Document):
    """One venue zone: who is inside against its capacity (0 = none)."""

    id: str
    name: str
    inside: int
    capacity: int
    when_full: str

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("id"), f.text("name"), f.integer("inside"), f.integer("capacity"),
                   f.text("when_full", "refuse"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class AdmittedEvent(Document):
    event_id: int
    name: str

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.integer("event_id"), f.text("name"))


@dataclass(frozen=True, slots=True)
class DeviceCounts(Document):
    name: str
    by_outcome: dict[str, int]

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("name"), f.counts("by_outcome"))


@dataclass(frozen=True, slots=True)
class ScanFigures(Document):
    total: int
    last_minute: int
    not_recorded: int
    by_outcome: dict[str, int]
    #: lane id -> outcome -> count
    by_lane: dict[str, dict[str, int]]
    by_device: list[DeviceCounts]
    #: newest first
    recent: list[RecentScan]

    @classmethod
    def read(cls, f: Fields) -> Self:
        by_lane = {lane: f.obj("by_lane").counts(lane) for lane in f.keyed("by_lane")}
        return cls(
            f.integer("total"), f.integer("last_minute"), f.integer("not_recorded"),
            f.counts("by_outcome"), by_lane, [DeviceCounts.read(d) for d in f.objs("by_device")],
            [RecentScan.read(r) for r in f.objs("recent")],
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class LanePart(Document):
    """One input (scanner, camera) or output (lights, relay) of a lane."""

    id: str
    kind: str | None
    type: str | None
    #: ``None`` when the agent does not say (never shown as unplugged then)
    connected: bool | None
    reads: int | None
    errors: int | None
    last_error: str | None
    #: A standing warning about how it is set up (a plain TCP input on a LAN address).
    warning: str | None = None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("id"), f.opt_text("kind"), f.opt_text("type"), f.opt_flag("connected"),
                   f.opt_integer("reads"), f.opt_integer("errors"),
                   f.opt_text("last_error"), f.opt_text("warning"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class LaneStatus(Document):
    id: str
    direction: str
    inputs: list[LanePart]
    outputs: list[LanePart]

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("id"), f.text("direction", "?"),
                   [LanePart.read(p) for p in f.objs("inputs")],
                   [LanePart.read(p) for p in f.objs("outputs")])  # fmt: skip

    @property
    def parts(self) -> list[LanePart]:
        return [*self.inputs, *self.outputs]


@dataclass(frozen=True, slots=True)
class Outbox(Document):
    depth: int
    halted: str | None
    uploaded_through_seq: int | None
    head_seq: int | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.integer("depth"), f.opt_text("halted"), f.opt_integer("uploaded_through_seq"),
                   f.opt_integer("head_seq"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class SyncStatus(Document):
    """The status document's ``sync`` part (also in ``POST /api/v1/sync/now``'s answer)."""

    enabled: bool
    platform_url: str
    running: bool
    event_name: str | None
    event_venue: str
    event_status: str
    postponed_to: str | None
    manifest_at: str | None
    manifest_age_s: float | None
    manifest_cursor: str | None
    #: stream ("scans", "sales", …) -> its upload queue
    outbox: dict[str, Outbox]
    last_success: str | None
    last_error: str | None
    last_error_at: str | None
    failures_in_a_row: int
    backoff_until: str | None
    clock_offset_ms: int | None
    clock_rtt_ms: float

    @classmethod
    def read(cls, f: Fields) -> Self:
        event, manifest, clock = f.obj("event"), f.obj("manifest"), f.obj("clock")
        return cls(
            enabled=f.flag("enabled"), platform_url=f.text("platform_url"),
            running=f.flag("running"), event_name=event.opt_text("name"),
            event_venue=event.text("venue", "?"), event_status=event.text("status", "?"),
            postponed_to=event.opt_text("postponed_to"), manifest_at=manifest.opt_text("at"),
            manifest_age_s=manifest.opt_number("age_s"),
            manifest_cursor=manifest.opt_text("cursor"),
            outbox={stream: Outbox.read(box) for stream, box in f.keyed("outbox").items()},
            last_success=f.opt_text("last_success"), last_error=f.opt_text("last_error"),
            last_error_at=f.opt_text("last_error_at"),
            failures_in_a_row=f.integer("failures_in_a_row"),
            backoff_until=f.opt_text("backoff_until"),
            clock_offset_ms=clock.opt_integer("offset_ms"),
            clock_rtt_ms=clock.opt_number("rtt_ms") or 0.0,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Pairing(Document):
    """The lockout against someone guessing pairing codes: status' ``pairing`` (a count
    of blocked addresses) or the lockout route's answer (the addresses listed)."""

    locked: bool
    locked_until: str | None
    blocked_addresses: int

    @classmethod
    def read(cls, f: Fields) -> Self:
        blocked = f.integer("blocked_addresses", len(f.objs("blocked_addresses")))
        return cls(f.flag("locked"), f.opt_text("locked_until"), blocked)

    @property
    def needs_lifting(self) -> bool:
        """Locked for everyone, or some addresses blocked: a supervisor may lift it."""
        return self.locked or self.blocked_addresses > 0


#: What an agent without a pairing lockout (older ones) says.
PAIRING_OPEN = Pairing(locked=False, locked_until=None, blocked_addresses=0)


@dataclass(frozen=True, slots=True)
class Printer(Document):
    id: str
    connected: bool | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("id"), f.opt_flag("connected"))


@dataclass(frozen=True, slots=True)
class MeshStatus(Document):
    """The status document's ``mesh`` part: the venue's boxes as this one sees them."""

    mode: str
    member: str
    up: int
    expected: int
    quorum: bool
    unconfirmed: int
    to_replay: int
    conflicts: int
    lost: list[str]
    #: The other members' LAN APIs: where the TUI goes when this box stops answering.
    apis: list[str]
    #: (code, message): no_quorum, member_lost, conflict
    alerts: list[tuple[str, str]]

    @classmethod
    def read(cls, f: Fields) -> Self:
        claims = f.obj("claims")
        return cls(
            mode=f.text("mode"),
            member=f.text("member"),
            up=f.integer("up"),
            expected=f.integer("expected"),
            quorum=f.flag("quorum"),
            unconfirmed=claims.integer("unconfirmed"),
            to_replay=claims.integer("unresolved"),
            conflicts=f.integer("conflicts"),
            lost=[m.text("name") for m in f.objs("members") if not m.flag("up")],
            apis=[m.text("api") for m in f.objs("members") if m.text("api") and not m.flag("self")],
            alerts=[(a.text("code"), a.text("message")) for a in f.objs("alerts")],
        )


@dataclass(frozen=True, slots=True)
class AgentAlarm(Document):
    """One of the agent's own alarms (``status.alarms``: disk full, clock, halt, …)."""

    code: str
    level: str
    message: str

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("code"), f.text("level", "warning"), f.text("message"))


@dataclass(frozen=True, slots=True)
class Status(Document):
    """``GET /api/v1/status``: what the app polls every few seconds."""

    event_id: int | None
    gate_name: str
    start_check: str
    scans: ScanFigures
    tickets_admitted: int
    inside_now: int
    keyring_warnings: list[str]
    devices_paired: int
    disk_free_bytes: int | None
    disk_total_bytes: int | None
    sync: SyncStatus
    lanes: list[LaneStatus]
    printer: Printer | None
    #: Occupancy per zone (empty: the venue has none).
    zones: list[ZoneFigures]
    #: Every event the box admits (older agents: none listed).
    events: list[AdmittedEvent]
    #: The agent's own alarms (``status.alarms``; older agents: none).
    alarms: list[AgentAlarm]
    #: ``None`` for a box without ``[mesh]`` (a venue of one).
    mesh: MeshStatus | None = None
    pairing: Pairing = PAIRING_OPEN
    #: Who stopped admissions and why, while a supervisor's halt is in force.
    halted_by: str | None = None
    halt_reason: str | None = None

    @classmethod
    def read(cls, f: Fields) -> Self:
        admissions, disk = f.obj("admissions"), f.obj("disk")
        printer = f.opt_obj("printer")
        mesh, pairing = f.opt_obj("mesh"), f.opt_obj("pairing")
        halt = f.obj("gate").opt_obj("halt")
        return cls(
            event_id=f.obj("event").opt_integer("event_id"),
            gate_name=f.obj("gate").text("name", "?"),
            start_check=f.obj("ledger").text("start_check"),
            scans=ScanFigures.read(f.obj("scans")),
            tickets_admitted=admissions.integer("tickets_admitted"),
            inside_now=admissions.integer("inside_now"),
            keyring_warnings=f.obj("keyring").texts("warnings"),
            devices_paired=f.obj("devices").integer("paired"),
            disk_free_bytes=disk.opt_integer("data_dir_free_bytes"),
            disk_total_bytes=disk.opt_integer("data_dir_total_bytes"),
            sync=SyncStatus.read(f.obj("sync")),
            lanes=[LaneStatus.read(lane) for lane in f.objs("lanes")],
            printer=None if printer is None else Printer.read(printer),
            zones=[ZoneFigures.read(z) for z in admissions.objs("zones")],
            events=[AdmittedEvent.read(e) for e in f.obj("event").objs("events")],
            mesh=None if mesh is None else MeshStatus.read(mesh),
            pairing=PAIRING_OPEN if pairing is None else Pairing.read(pairing),
            alarms=[AgentAlarm.read(a) for a in f.objs("alarms")],
            halted_by=None if halt is None else halt.text("operator"),
            halt_reason=None if halt is None else halt.text("reason"),
        )


@dataclass(frozen=True, slots=True)
class HaltAnswer(Document):
    """``GET|POST /api/v1/gate/halt`` (and ``/resume``): whether admissions are stopped
    here, and by whom and why while they are."""

    halted: bool
    operator: str | None = None
    reason: str | None = None

    @classmethod
    def read(cls, f: Fields) -> Self:
        halt = f.opt_obj("halt")
        if halt is None:
            return cls(f.flag("halted"))
        return cls(f.flag("halted"), halt.text("operator"), halt.text("reason"))


@dataclass(frozen=True, slots=True)
class SyncNowAnswer(Document):
    """``POST /api/v1/sync/now``: whether the round ended within the wait, and the state."""

    completed: bool
    sync: SyncStatus

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.flag("completed"), SyncStatus.read(f.obj("sync")))


@dataclass(frozen=True, slots=True)
class ConflictAdmission(Document):
    agent_id: str
    seq: int | None
    at: str | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("agent_id"), f.opt_integer("seq"), f.opt_text("at"))


@dataclass(frozen=True, slots=True)
class Conflicts(Document):
    """``GET /api/v1/sync/conflicts``: tickets first admitted at two gates (platform)."""

    fetched_at: str | None
    #: (ticket id, its first admissions) per conflict
    tickets: list[tuple[str, list[ConflictAdmission]]]

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(
            f.opt_text("fetched_at"),
            [(c.text("ticket_id"), [ConflictAdmission.read(a) for a in c.objs("admissions")])
             for c in f.objs("conflicts")],
        )  # fmt: skip
