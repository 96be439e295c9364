"""The running agent's parts, started and stopped in the right order.

Start: take the data-dir lock → load the keyring → check the ledger (integrity + chain)
→ open the writer → rebuild the admission index and device list, load what the last
sync stored (platform keyring, event status, manifest time) → build the pipeline →
start the sync worker when ``[sync]`` is configured → start the lanes (scanners,
lights) and the printer last, so no code is read before the ledger can take it.
Stop: lanes stop and outputs are released first, then the sync worker; then the writer
drains and commits every queued row before the lock is released, so a SIGTERM never
loses a scan whose verdict is being shown.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from edge_agent import __version__
from edge_agent.alarms import CLOCK_UNTRUSTED, LEDGER_NOT_RECORDING, AlarmBoard
from edge_agent.backup.schedule import BackupSchedule
from edge_agent.boxoffice.service import BoxOffice
from edge_agent.boxoffice.wiring import make_box_office
from edge_agent.config.key_files import KeyFile, load_or_create_agent_key, read_keyring_file
from edge_agent.config.sections import Config
from edge_agent.devices.pairing import AttemptLimiter, PairingCodes
from edge_agent.devices.registry import Device, DeviceRegistry
from edge_agent.devices.roles import Role
from edge_agent.domain.errors import KeyringError
from edge_agent.domain.gate_policy import GatePolicy, PlainTicket
from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.trusted_key import Keyring
from edge_agent.errors import ConfigError, LedgerCorrupt
from edge_agent.gate.claims import AdmissionClaimer, LocalClaimer
from edge_agent.gate.halts import AdmissionHalts
from edge_agent.gate.lanes import GateLanes
from edge_agent.gate.live_manifest import LiveManifest, effective_keyring
from edge_agent.gate.pipeline import ScanPipeline
from edge_agent.gate.state import GateState
from edge_agent.gc_tuning import freeze_after_start, freeze_survivors_forever
from edge_agent.ledger.chain_signer import ChainSigner
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.halt_store import halt_in_force
from edge_agent.ledger.health import LedgerReport, check_ledger
from edge_agent.ledger.lock import DataDirLock
from edge_agent.ledger.queries import (
    admission_history,
    all_revocations,
    latest_known_ms,
    list_devices,
    lookup_plain_code,
    ticket_type_names,
)
from edge_agent.ledger.sync_tables import read_sync_state
from edge_agent.ledger.wal_guard import check_wal_not_lost
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.metrics.scan_counts import ScanMetrics
from edge_agent.platform_link.service import AgentSync
from edge_agent.runtime_limits import OpenFilesWatch
from edge_agent.timekeeping.trusted_clock import ClockState, TrustedClock
from edge_agent.timekeeping.wall import wall_source
from hardware.printer import ReceiptPrinter
from hardware.registry import build_printer
from scanner.inputs.evdev_source import EvdevSource
from sync.manifest_page import EventInfo

log = logging.getLogger(__name__)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def _clock_alarm(alarms: AlarmBoard, state: ClockState, why: str) -> None:
    if state is ClockState.OK:
        alarms.clear(CLOCK_UNTRUSTED)
    else:
        alarms.raise_alarm(CLOCK_UNTRUSTED, "warning", f"clock {state}: {why}")


def policy_from_config(config: Config) -> GatePolicy:
    tz_name = config.gate.timezone
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            str(config.source), "gate.timezone", f"unknown zone {tz_name!r}"
        ) from None
    return GatePolicy(
        event_id=config.event.event_id,
        gate_id=config.gate.id,
        gate_name=config.gate.name,
        allowed_ticket_types=frozenset(config.gate.allowed_ticket_types),
        reentry=config.policy.reentry,
        exit_scans=config.policy.exit_scans,
        clock_skew_grace_s=config.policy.clock_skew_grace_s,
        display_tz=tz,
    )


@dataclass
class AgentRuntime:
    config: Config
    keyring: Keyring
    writer: LedgerWriter
    reader: sqlite3.Connection
    state: GateState
    pipeline: ScanPipeline
    devices: DeviceRegistry
    pairing: PairingCodes
    pairing_limiter: AttemptLimiter
    lock: DataDirLock
    start_report: LedgerReport
    live_manifest: LiveManifest
    #: The agent's identity key (``agent.key_file``): signs door-sold tickets and
    #: the ledger's checkpoints.
    agent_key: KeyFile
    #: The time decisions, leases and checkpoints use (``timekeeping``).
    clock: TrustedClock
    #: The platform sync service; ``None`` when ``sync.platform_url`` is "".
    sync: AgentSync | None = None
    #: Signs the ledger's chain head now and then and at stop (docs/evidence.md).
    chain_signer: ChainSigner | None = None
    #: The gate's lanes (scanners in, lights out); empty when the config has none.
    lanes: GateLanes = field(default_factory=lambda: GateLanes([]))
    #: The box office's ticket printer, if ``[printer]`` is configured.
    printer: ReceiptPrinter | None = None
    #: Door sales (``edge_agent/boxoffice``); set while the runtime starts.
    boxoffice: BoxOffice = field(init=False)
    #: A supervisor's stop of admissions, read back from the ledger at start.
    halts: AdmissionHalts = field(init=False)
    #: What ``GET /metrics`` counts as it happens (a stats and a commit listener).
    metrics: ScanMetrics = field(default_factory=ScanMetrics)
    #: Scheduled backups to a USB stick, when ``[backup] dir`` is set.
    backups: BackupSchedule | None = None
    #: What the agent knows is wrong now (status ``alarms``, docs/hardening.md).
    alarms: AlarmBoard = field(default_factory=lambda: AlarmBoard(wall_clock_ms))
    open_files: OpenFilesWatch | None = None
    started_ms: int = field(default_factory=wall_clock_ms)
    version: str = __version__
    _gc_task: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls,
        config: Config,
        claimer: AdmissionClaimer | None = None,
        *,
        evdev_source: EvdevSource | None = None,
    ) -> AgentRuntime:
        """Start everything; ``evdev_source`` swaps ``/dev/input`` for a fake (tests)."""
        t0 = time.perf_counter()
        data_dir = config.agent.data_dir
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = DataDirLock(data_dir)
        lock.acquire()
        try:
            runtime = await cls._start_locked(config, claimer, lock, t0)
        except BaseException:
            lock.release()
            raise
        try:
            await runtime._start_devices(evdev_source)
        except BaseException:
            await runtime.stop()
            raise
        return runtime

    async def _start_devices(self, evdev_source: EvdevSource | None) -> None:
        """Lanes and printer come last: no scan is read before the ledger can take it."""
        self.lanes = GateLanes.from_config(
            self.config, self.pipeline, self.devices, evdev_source=evdev_source
        )
        await self.lanes.start()
        printer = self.config.printer
        if printer is not None:
            self.printer = build_printer(printer.id, printer.type, printer.options)

    @classmethod
    async def _start_locked(
        cls, config: Config, claimer: AdmissionClaimer | None, lock: DataDirLock, t0: float
    ) -> AgentRuntime:
        policy = policy_from_config(config)
        keyring = read_keyring_file(config.event.keyring)
        for warning in keyring.warnings:
            log.warning("keyring: %s", warning)
        agent_key = load_or_create_agent_key(config.agent_key_path)
        for warning in agent_key.warnings:
            log.warning("agent key: %s", warning)
        path = config.ledger_path
        agent_id = config.agent.agent_id
        report = None
        if path.exists():  # integrity always; the whole chain unless switched off
            check_wal_not_lost(path)
            report = check_ledger(
                path,
                agent_id,
                verify_chain=config.ledger.verify_chain_on_start,
                full_integrity=False,
            )
            if not report.ok:
                raise LedgerCorrupt(report.summary())
        writer = await LedgerWriter.open(path, agent_id, max_batch=config.ledger.max_batch)
        try:
            return await cls._assemble(
                config, claimer, lock, t0, policy, keyring, agent_key, writer, report
            )
        except BaseException:
            await writer.close()
            raise

    @classmethod
    async def _assemble(
        cls,
        config: Config,
        claimer: AdmissionClaimer | None,
        lock: DataDirLock,
        t0: float,
        policy: GatePolicy,
        keyring: Keyring,
        agent_key: KeyFile,
        writer: LedgerWriter,
        report: LedgerReport | None,
    ) -> AgentRuntime:
        """Load the gate's state from the ledger and build the pipeline around it."""
        path = config.ledger_path
        file_keyring = keyring
        if report is None:  # a ledger created just now: the check is instant
            report = check_ledger(path, config.agent.agent_id)
        reader = open_read_connection(path)

        def plain_lookup(code_sha256: str) -> PlainTicket | None:
            row = lookup_plain_code(reader, code_sha256)
            if row is None:
                return None
            return PlainTicket(
                row.ticket_id, row.event_id, row.ticket_type, row.valid_from, row.valid_until
            )

        synced = read_sync_state(reader)
        if synced.event_id not in (None, config.event.event_id):
            synced = type(synced)()  # synced for another event: none of it applies here
        try:
            keyring = effective_keyring(keyring, synced.keyring_json)
        except (KeyringError, ValueError) as exc:
            log.warning("stored platform keyring not used (next sync replaces it): %s", exc)
        state = GateState(
            plain_lookup,
            ticket_type_names(reader, config.event.event_id),
            {tid: RevocationKind(kind) for tid, kind in all_revocations(reader).items()},
            event_status=synced.event_status,
            manifest_at_ms=synced.manifest_at_ms,
        )
        replayed = state.rebuild_admissions(admission_history(reader))
        alarms = AlarmBoard(wall_clock_ms)
        clock = TrustedClock(
            wall_source(),
            known_after_ms=latest_known_ms(reader),
            on_change=lambda state, why: _clock_alarm(alarms, state, why),
        )
        registry = DeviceRegistry()
        for row in list_devices(reader):
            registry.add(
                Device(
                    row.device_id, row.name, Role(row.role), row.created_at_ms, row.revoked_at_ms
                ),
                row.token_sha256,
            )
        pipeline = ScanPipeline(
            policy=policy,
            keyring=keyring,
            state=state,
            writer=writer,
            claimer=claimer or LocalClaimer(),
            clock_ms=clock.ms,
            clock=clock.read,
        )
        event = None
        if synced.event_status:
            event = EventInfo(
                synced.event_name,
                synced.event_venue,
                synced.event_status,
                0,
                synced.event_postponed_to,
            )
        live = LiveManifest(
            state, pipeline, file_keyring, keyring_json=synced.keyring_json, event=event
        )
        log.info(
            "agent ready",
            extra={
                "agent_id": config.agent.agent_id,
                "event_id": config.event.event_id,
                "ledger_rows": writer.head_seq,
                "agent_key_id": agent_key.key_id.hex(),
                "admissions_replayed": replayed,
                "start_s": round(time.perf_counter() - t0, 3),
            },
        )
        runtime = cls(
            config=config,
            keyring=keyring,
            writer=writer,
            reader=reader,
            state=state,
            pipeline=pipeline,
            devices=registry,
            pairing=PairingCodes(config.api.pairing_code_ttl_s * 1000),
            pairing_limiter=AttemptLimiter(config.api.pairing_attempts_per_minute),
            lock=lock,
            start_report=report,
            live_manifest=live,
            agent_key=agent_key,
            clock=clock,
            alarms=alarms,
        )
        live.on_keyring(runtime._keyring_replaced)
        pipeline.subscribe(runtime.metrics.note_scan)
        writer.commit_listeners.append(runtime.metrics.note_commit)
        runtime._watch()
        runtime.halts = AdmissionHalts(
            writer, state, runtime.alarms, clock.ms, halt_in_force(reader)
        )
        signer = ChainSigner(
            writer,
            agent_key.private_key,
            clock_ms=clock.ms,
            every_rows=config.ledger.checkpoint_every_rows,
            interval_s=config.ledger.checkpoint_interval_s,
        )
        try:
            await signer.start()
            runtime.chain_signer = signer
            if config.sync.enabled:
                runtime.sync = await AgentSync.start(
                    config,
                    writer,
                    live,
                    clock.wall_ms,
                    checkpoint_head=lambda: signer.last_number,
                    on_clock_sample=lambda s: clock.note_platform(s.offset_ms, s.rtt_ms),
                )
        except BaseException:
            signer.cancel()
            reader.close()
            raise
        runtime.boxoffice = make_box_office(runtime)
        if config.backup.enabled:
            runtime.backups = BackupSchedule(config, wall_clock_ms)
            runtime.backups.start()
        freeze_after_start()
        runtime._gc_task = asyncio.get_running_loop().create_task(
            freeze_survivors_forever(), name="gc-freezer"
        )
        return runtime

    def _watch(self) -> None:
        """Alarms for what the agent can see going wrong: the ledger refusing writes
        (raised by a failed batch, cleared by the next commit) and open files."""
        board = self.alarms
        self.writer.commit_listeners.append(lambda _ms: board.clear(LEDGER_NOT_RECORDING))
        self.writer.failure_listeners.append(
            lambda why: board.raise_alarm(LEDGER_NOT_RECORDING, "error", why)
        )
        self.open_files = OpenFilesWatch(board)
        self.open_files.start()

    def _keyring_replaced(self, keyring: Keyring) -> None:
        self.keyring = keyring

    async def stop(self) -> None:
        """Inputs stop and outputs are released first, then sync; then the writer drains."""
        if self._gc_task is not None:
            self._gc_task.cancel()
        if self.open_files is not None:
            await self.open_files.stop()
        try:
            await self.lanes.stop()
            if self.printer is not None:
                await self.printer.close()
        except Exception:  # the ledger must still be closed cleanly
            log.exception("stopping lanes or printer failed")
        if self.backups is not None:
            await self.backups.stop()
        try:
            office: BoxOffice | None = getattr(self, "boxoffice", None)
            if office is not None:
                await office.stop()
            if self.sync is not None:
                await self.sync.stop()
        except Exception:
            log.exception("stopping sync failed")
        try:
            if self.chain_signer is not None:
                await self.chain_signer.stop()  # signs the head: a clean stop's last word
        except Exception:
            log.exception("signing the final chain checkpoint failed")
        try:
            await self.writer.close()
        finally:
            self.reader.close()
            self.lock.release()
            log.info("agent stopped", extra={"ledger_rows": self.writer.head_seq})
