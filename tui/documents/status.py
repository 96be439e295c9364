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

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.opt_integer("at_ms"), f.text("outcome"), f.text("lane"),
                   f.opt_text("ticket_id"), f.text("reason"), f.text("message"))  # fmt: skip


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

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("id"), f.opt_text("kind"), f.opt_text("type"), f.opt_flag("connected"),
                   f.opt_integer("reads"), f.opt_integer("errors"),
                   f.opt_text("last_error"))  # fmt: skip


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
class Printer(Document):
    id: str
    connected: bool | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("id"), f.opt_flag("connected"))


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
    alarms: list[AgentAlarm]
    #: Who stopped admissions and why, while a supervisor's halt is in force.
    halted_by: str | None = None
    halt_reason: str | None = None

    @classmethod
    def read(cls, f: Fields) -> Self:
        admissions, disk = f.obj("admissions"), f.obj("disk")
        printer = f.opt_obj("printer")
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
            alarms=[AgentAlarm.read(a) for a in f.objs("alarms")],
            halted_by=None if halt is None else halt.text("operator"),
            halt_reason=None if halt is None else halt.text("reason"),
        )


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
