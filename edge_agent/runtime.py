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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from edge_agent import __version__
from edge_agent.alarms import CLOCK_UNTRUSTED, LEDGER_NOT_RECORDING, AlarmBoard
from edge_agent.backup.schedule import BackupSchedule
from edge_agent.boxoffice.service import BoxOffice
from edge_agent.boxoffice.wiring import make_box_office
from edge_agent.config.key_files import KeyFile, load_or_create_agent_key
from edge_agent.config.rules import GateRules, gate_rules
from edge_agent.config.rules_keyring import config_keyring
from edge_agent.config.sections import Config
from edge_agent.devices.pairing import PairingCodes
from edge_agent.devices.pairing_guard import PairingGuard
from edge_agent.devices.registry import Device, DeviceRegistry
from edge_agent.devices.roles import Role
from edge_agent.domain.errors import KeyringError
from edge_agent.domain.gate_policy import GatePolicy, PlainTicket
from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.trusted_key import Keyring
from edge_agent.errors import LedgerCorrupt
from edge_agent.gate.claims import AdmissionClaimer, LocalClaimer
from edge_agent.gate.halts import AdmissionHalts
from edge_agent.gate.lanes import GateLanes
from edge_agent.gate.live_manifest import LiveManifest, effective_keyring
from edge_agent.gate.pipeline import ScanPipeline
from edge_agent.gate.request_ids import RequestIds, prune_forever
from edge_agent.gate.rule_facts import day_function
from edge_agent.gate.state import GateState
from edge_agent.gc_tuning import freeze_after_start, freeze_survivors_forever
from edge_agent.ledger.chain_signer import ChainSigner
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.flag_queries import flagged_tickets, holder_name, type_flags
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
from edge_agent.ledger.request_ids import find_request, prune_requests
from edge_agent.ledger.sync_tables import read_sync_state
from edge_agent.ledger.wal_guard import check_wal_not_lost
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.metrics.scan_counts import ScanMetrics
from edge_agent.platform_link.link import PlatformLink, start_link
from edge_agent.platform_link.pretix.store import load_gate_state as load_pretix_state
from edge_agent.runtime_limits import OpenFilesWatch
from edge_agent.timekeeping.trusted_clock import ClockState, TrustedClock, monotonic_ms
from edge_agent.timekeeping.wall import wall_source
from edge_agent.tls.server_cert import TlsSetup, setup_tls
from hardware.printer import ReceiptPrinter
from hardware.registry import build_printer
from scanner.inputs.evdev_source import EvdevSource
from sync.manifest_page import EventInfo

if TYPE_CHECKING:
    from edge_agent.mesh.service import MeshService

log = logging.getLogger(__name__)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def clock_sources() -> tuple[Callable[[], int], Callable[[], int]]:
    """The wall and monotonic clocks the trusted clock reads (``timekeeping``). A test
    that lives through a whole evening swaps both for one fake: the venue's time moving
    on, not a wall clock jumping against the monotonic one."""
    return wall_source(), monotonic_ms


def _clock_alarm(alarms: AlarmBoard, state: ClockState, why: str) -> None:
    if state is ClockState.OK:
        alarms.clear(CLOCK_UNTRUSTED)
    else:
        alarms.raise_alarm(CLOCK_UNTRUSTED, "warning", f"clock {state}: {why}")


def policy_from_config(config: Config) -> GatePolicy:
    """The gate's policy (every rule table checked: ``config/rules.py``)."""
    return gate_rules(config).policy


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
    pairing_guard: PairingGuard
    lock: DataDirLock
    start_report: LedgerReport
    live_manifest: LiveManifest
    #: The agent's identity key (``agent.key_file``): signs door-sold tickets and
    #: the ledger's checkpoints.
    agent_key: KeyFile
    #: The LAN API's certificate and the venue CA staff devices trust (``edge_agent/tls``).
    tls: TlsSetup
    #: The time decisions, leases and checkpoints use (``timekeeping``).
    clock: TrustedClock
    #: The gate's rules as loaded (policies per lane, the venue's zones).
    rules: GateRules | None = None
    #: The platform link (``[sync] kind``); ``None`` when ``sync.platform_url`` is "".
    sync: PlatformLink | None = None
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
    #: The venue mesh (``[mesh] enabled``, docs/mesh.md); ``None`` for a venue of one.
    mesh: MeshService | None = None
    #: What the agent knows is wrong now (status ``alarms``, docs/hardening.md).
    alarms: AlarmBoard = field(default_factory=lambda: AlarmBoard(wall_clock_ms))
    open_files: OpenFilesWatch | None = None
    started_ms: int = field(default_factory=wall_clock_ms)
    version: str = __version__
    _gc_task: asyncio.Task[None] | None = None
    _prune_task: asyncio.Task[None] | None = None

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
            self.config,
            self.pipeline,
            self.devices,
            evdev_source=evdev_source,
            server_tls=self.tls.server_context,
        )
        await self.lanes.start()
        printer = self.config.printer
        if printer is not None:
            self.printer = build_printer(printer.id, printer.type, printer.options)

    @classmethod
    async def _start_locked(
        cls, config: Config, claimer: AdmissionClaimer | None, lock: DataDirLock, t0: float
    ) -> AgentRuntime:
        rules = gate_rules(config)
        keyring = config_keyring(config)
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
                config, claimer, lock, t0, rules, keyring, agent_key, writer, report
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
        rules: GateRules,
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
                row.ticket_id,
                row.event_id,
                row.ticket_type,
                row.valid_from,
                row.valid_until,
                row.subevent,
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
        state.set_holder_lookup(lambda ticket_id: holder_name(reader, ticket_id))
        for (event_id, ticket_type), flags in type_flags(reader).items():
            state.set_type_flags(event_id, ticket_type, flags)
        for ticket_id, flags in flagged_tickets(reader).items():
            state.set_ticket_flags(ticket_id, flags)
        replayed = state.rebuild_admissions(
            admission_history(reader),
            day_of=day_function(rules.policy),
            gate_names={config.gate.id: config.gate.name},
        )
        if config.sync.kind == "pretix":  # the list's rules and pretix's check-in state
            load_pretix_state(reader, state)
        alarms = AlarmBoard(wall_clock_ms)
        wall, mono = clock_sources()
        clock = TrustedClock(
            wall,
            mono,
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
        mesh = None
        if claimer is None and config.mesh.enabled:  # imported only by boxes in a mesh
            from edge_agent.mesh.service import MeshService

            mesh = MeshService(
                config,
                writer=writer,
                state=state,
                devices=registry,
                clock_ms=clock.ms,
                gate_name=rules.policy.gate_name,
            )
            claimer = mesh.claimer
        pipeline = ScanPipeline(
            lane_policies=rules.lane_policies,
            policy=rules.policy,
            keyring=keyring,
            state=state,
            writer=writer,
            claimer=claimer or LocalClaimer(),
            clock_ms=clock.ms,
            clock=clock.read,
            requests=RequestIds(lambda device, rid: find_request(reader, device, rid)),
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
        if mesh is not None:
            mesh.bind(live)
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
        tls = setup_tls(
            config.tls_dir,
            agent_id=config.agent.agent_id,
            venue=config.agent.venue,
            listen=config.api.listen,
            extra_names=config.tls.names,
            cert_file=config.tls.cert_file,
            key_file=config.tls.key_file,
            now=datetime.now(UTC),
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
            pairing_guard=PairingGuard(
                config.api.pairing_attempts_per_minute,
                config.api.pairing_attempts_total_per_minute,
                config.api.pairing_lockout_s * 1000,
            ),
            lock=lock,
            start_report=report,
            live_manifest=live,
            agent_key=agent_key,
            rules=rules,
            mesh=mesh,
            tls=tls,
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
                runtime.sync = await start_link(
                    config,
                    writer,
                    live,
                    state,
                    clock.wall_ms,
                    checkpoint_head=lambda: signer.last_number,
                    on_clock_sample=lambda s: clock.note_platform(s.offset_ms, s.rtt_ms),
                )
        except BaseException:
            signer.cancel()
            reader.close()
            raise
        runtime.boxoffice = make_box_office(runtime)
        if mesh is not None:
            try:
                await mesh.start()
            except BaseException:
                await mesh.stop()
                signer.cancel()
                reader.close()
                raise
        if config.backup.enabled:
            runtime.backups = BackupSchedule(config, wall_clock_ms)
            runtime.backups.start()
        freeze_after_start()
        loop = asyncio.get_running_loop()
        runtime._gc_task = loop.create_task(freeze_survivors_forever(), name="gc-freezer")
        kept_ms = config.ledger.request_ids_kept_s * 1000
        runtime._prune_task = loop.create_task(
            prune_forever(
                lambda: writer.execute(lambda c: prune_requests(c, wall_clock_ms() - kept_ms))
            ),
            name="request-id-pruner",
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
        for task in (self._gc_task, self._prune_task):
            if task is not None:
                task.cancel()
        if self.open_files is not None:
            await self.open_files.stop()
        try:
            await self.lanes.stop()
            if self.printer is not None:
                await self.printer.close()
        except Exception:  # the ledger must still be closed cleanly
            log.exception("stopping lanes or printer failed")
        if self.mesh is not None:
            try:  # its server hands leadership over; its writes go before the writer's
                await self.mesh.stop()
            except Exception:
                log.exception("stopping the mesh failed")
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
