"""``MeshService``: the venue mesh as the runtime starts and stops it.

Two modes, decided by the roster:

- **alone** (the roster holds only this box): no server runs, the claimer claims
  locally, exactly like a box without ``[mesh]``. A box founds its own venue of one on
  first start, so a supervisor can hand out a join code at once.
- **clustered** (2+ members): the box's ``nats-server`` runs with the rendered config;
  once connected, the two stores are ensured at ``min(3, members)`` replicas, the
  claims watcher and the venue-event consumer start, this box's state is told to the
  venue (``sharing``), its admissions are seeded into a bucket it has not seen and its
  unconfirmed claims replayed (``replay``), and a probe keeps the claimer's breaker
  honest. The runtime never waits for any of that: until it is done, claims are
  answered within their budget, unconfirmed.

Membership changes (``membership``) move a box between the modes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from nats.aio.client import Client as NATS

from edge_agent.config.sections import Config
from edge_agent.devices.registry import Device, DeviceRegistry
from edge_agent.gate.live_manifest import LiveManifest
from edge_agent.gate.state import GateState
from edge_agent.ledger import mesh_tables as mt
from edge_agent.ledger.box_office_tables import sales_for_upload
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.mesh_tables import ConflictRow
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.mesh import js_admin, sharing
from edge_agent.mesh.binary import nats_server_path
from edge_agent.mesh.claimer import ClaimIdentity, MeshClaimer
from edge_agent.mesh.connection import ClientCredentials
from edge_agent.mesh.event_apply import EventApplier
from edge_agent.mesh.event_feed import EventFeed
from edge_agent.mesh.identity import MemberFiles
from edge_agent.mesh.join import JoinCodes
from edge_agent.mesh.replay import Replayer
from edge_agent.mesh.roster import Member, Roster, load_roster, save_roster
from edge_agent.mesh.server import NatsServer
from edge_agent.mesh.server_config import ServerPaths, ServerPorts, render_config
from edge_agent.mesh.venue_events import EventKind, VenueEvent
from edge_agent.mesh.watcher import ClaimWatcher
from edge_agent.metrics.mesh_seam import MeshFigures
from edge_agent.tls.venue_ca import CA_CERT_FILE
from sync.manifest_page import ManifestPage

log = logging.getLogger(__name__)

_ANY = "0.0.0.0"  # noqa: S104 - a config value compared, not bound


class MeshService:
    def __init__(
        self,
        config: Config,
        *,
        writer: LedgerWriter,
        state: GateState,
        devices: DeviceRegistry,
        clock_ms: Callable[[], int],
        gate_name: str,
    ) -> None:
        m = config.mesh
        self.config = config
        self.me = m.member_name(config.agent.agent_id)
        self.dir = config.mesh_dir
        self.tls_dir = config.tls_dir  # the LAN API's: one venue CA for both
        self.files = MemberFiles(self.dir)
        self.clock_ms = clock_ms
        self.writer = writer
        self.state = state
        self.devices = devices
        self.identity = ClaimIdentity(config.agent.agent_id, self.me, config.gate.id)
        self.gate_name = gate_name
        self.claimer = MeshClaimer(
            self.identity,
            budget_ms=m.claim_budget_ms,
            admit_unconfirmed=m.unconfirmed == "admit",
            figures=lambda _c: self.figures(),
        )
        self.codes = JoinCodes(m.join_code_ttl_s * 1000)
        self.feed = EventFeed(self.me)
        self.watcher = ClaimWatcher(state, self.claimer)
        self.applier: EventApplier | None = None
        self.replayer = Replayer(
            identity=self.identity,
            gate_name=gate_name,
            writer=writer,
            reader=lambda: self._conn(),
            clock_ms=clock_ms,
            on_conflict=self._conflict_found,
        )
        self.roster = Roster(venue_id="", venue="")
        self.server: NatsServer | None = None
        self.nc: NATS | None = None
        self.stores: dict[str, js_admin.StoreInfo] = {}
        self.api_url = ""
        self.conflicts = 0
        self.unresolved = 0
        self.last_error = ""
        self._read_conn: sqlite3.Connection | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.running = False
        self.replaying: asyncio.Task[None] | None = None
        self._sales_shared = 0
        self.discovery: Any = None  # MeshDiscovery with [mesh] discover

    def bind(self, live: LiveManifest) -> None:
        """The gate's live manifest (made after the pipeline, which needs the claimer):
        venue events from other boxes are applied through it, and pages from this
        box's uplink are told to the venue."""
        self.applier = EventApplier(
            writer=self.writer,
            devices=self.devices,
            live=live,
            event_id=self.config.event.event_id,
            on_membership=self._on_membership,
            on_conflict=self._note_conflict_learned,
        )
        live.on_page(self.note_page)
        self.devices.on_change(self.note_device)

    # ------------------------------------------------------------------ helpers
    def _conn(self) -> sqlite3.Connection:
        if self._read_conn is None:
            self._read_conn = open_read_connection(self.config.ledger_path, check_same_thread=False)
        return self._read_conn

    async def read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """A read of committed ledger state, off the event loop."""
        return await asyncio.to_thread(lambda: fn(self._conn()))

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def clustered(self) -> bool:
        return self.roster.size >= 2

    @property
    def public_host(self) -> str:
        m = self.config.mesh
        if m.public_host:
            return m.public_host
        if m.advertise:
            return m.advertise.rsplit(":", 1)[0]
        return "127.0.0.1" if m.listen == _ANY else m.listen

    def member_hosts(self) -> list[str]:
        m = self.config.mesh
        hosts = [self.public_host, "127.0.0.1"]
        if m.listen != _ANY:
            hosts.append(m.listen)
        if m.advertise:
            hosts.append(m.advertise.rsplit(":", 1)[0])
        return list(dict.fromkeys(hosts))

    def own_member(self, *, pin: str, agent_nkey: str, admin_nkey: str) -> Member:
        m = self.config.mesh
        return Member(
            name=self.me,
            agent_id=self.config.agent.agent_id,
            gate=self.gate_name,
            route=m.advertise or f"{m.listen}:{m.route_port}",
            client=f"{self.public_host}:{m.client_port}",
            api=self.api_url,
            pin=pin,
            agent_nkey=agent_nkey,
            admin_nkey=admin_nkey,
            joined_at_ms=self.clock_ms(),
        )

    # -------------------------------------------------------------------- life
    async def start(self) -> None:
        from edge_agent.mesh.membership import found_venue  # one idea per module

        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.running = True
        roster = load_roster(self.dir)
        if roster is None or roster.member(self.me) is None or not self.files.exist():
            if roster is not None:
                log.warning("mesh: this box is no longer in venue %s; alone now", roster.venue_id)
            roster = await found_venue(self)
        self.roster = roster
        self._sales_shared = await self.read(lambda c: _sales_head(c))
        await self.read(self._count_conflicts)
        if self.clustered:
            await self.cluster_up()
        log.info(
            "mesh: member %s of venue %s (%d member(s))",
            self.me,
            self.roster.venue_id,
            self.roster.size,
        )

    def set_api_url(self, url: str) -> None:
        """Where this box's LAN API answers (known once it is bound): devices that fail
        over find it in the member list."""
        self.api_url = url
        mine = self.roster.member(self.me)
        if mine is not None and mine.api != url:
            updated = dataclasses.replace(mine, api=url)
            self.roster = self.roster.added(updated)
            save_roster(self.dir, self.roster)
            if self.clustered:
                self.feed.publish(self.member_event(EventKind.MEMBER_ADDED, updated))

    def member_event(self, kind: EventKind, member: Member) -> VenueEvent:
        body = {"member": dataclasses.asdict(member)} if kind is EventKind.MEMBER_ADDED else {
            "name": member.name, "by": self.me
        }  # fmt: skip
        return VenueEvent(kind, self.me, self.clock_ms(), body)

    async def cluster_up(self) -> None:
        """Start (or reload) the server for the current roster and connect in the
        background; claims are unconfirmed until the stores answer."""
        self.claimer.clustered = True
        self.write_server_config()
        if self.server is None:
            self.server = self._make_server()
            await self.server.start()
        else:
            self.server.reload()
        if self.nc is None and not any(t.get_name() == "mesh-connect" for t in self._tasks):
            self.spawn(self._connect_and_serve(), "mesh-connect")
        if self.config.mesh.discover and self.discovery is None:
            from edge_agent.mesh.discovery import start_discovery  # zeroconf: only if asked

            self.discovery = await start_discovery(self)

    def _make_server(self) -> NatsServer:
        m = self.config.mesh
        host = "127.0.0.1" if m.listen == _ANY else m.listen
        return NatsServer(
            nats_server_path(),
            self.dir / "nats.conf",
            self.dir / "nats.pid",
            self.dir / "nats-start.log",
            (host, m.client_port),
            external=m.server == "external",
        )

    def server_paths(self) -> ServerPaths:
        return ServerPaths(
            ca=self.tls_dir / CA_CERT_FILE,
            cert=self.files.cert,
            key=self.files.key,
            store_dir=self.dir / "jetstream",
            pid_file=self.dir / "nats.pid",
            log_file=self.dir / "nats.log",
        )

    def write_server_config(self) -> None:
        m = self.config.mesh
        text = render_config(
            self.roster,
            self.me,
            self.server_paths(),
            ServerPorts(m.listen, m.client_port, m.route_port, m.monitor_port, m.advertise),
            peers=m.peers,
            max_file_store=m.max_store,
        )
        path = self.dir / "nats.conf"
        tmp = path.with_name("nats.conf.tmp")
        tmp.write_text(text)
        tmp.chmod(0o600)
        tmp.replace(path)

    def client_urls(self) -> list[str]:
        m = self.config.mesh
        own = "127.0.0.1" if m.listen == _ANY else m.listen
        urls = [f"tls://{own}:{m.client_port}"]
        urls += [f"tls://{x.client}" for x in self.roster.members if x.name != self.me]
        return urls

    def credentials(self, *, admin: bool = False) -> ClientCredentials:
        keys = self.files.load_keys()
        return ClientCredentials(
            ca=self.tls_dir / CA_CERT_FILE,
            cert=self.files.cert,
            key=self.files.key,
            seed=keys.admin_seed if admin else keys.agent_seed,
        )

    async def _connect_and_serve(self) -> None:
        from edge_agent.mesh.cluster_link import connect_and_serve

        await connect_and_serve(self)

    async def replay_now(self) -> None:
        """Settle the unconfirmed claims (one pass at a time)."""
        from edge_agent.mesh.cluster_link import replay_now

        await replay_now(self)

    async def drop_connection(self) -> None:
        self.claimer.nc = None
        nc, self.nc = self.nc, None
        await self.feed.stop()
        await self.watcher.stop()
        self.feed = EventFeed(self.me)
        if nc is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), 2.0)

    async def cluster_down(self) -> None:
        """Stop talking to the cluster (leaving it, or at agent stop)."""
        discovery, self.discovery = self.discovery, None
        if discovery is not None:
            await discovery.stop()
        await self.drop_connection()
        for task in list(self._tasks):
            if task.get_name() in ("mesh-connect", "mesh-seed", "mesh-probe", "mesh-refresh"):
                task.cancel()
        server, self.server = self.server, None
        if server is not None:
            await server.stop()

    async def stop(self) -> None:
        self.running = False
        await self.cluster_down()
        for task in list(self._tasks):
            task.cancel()
        if self._read_conn is not None:
            self._read_conn.close()
            self._read_conn = None

    # ---------------------------------------------------------------- membership
    async def _on_membership(self, event: VenueEvent, seq: int) -> None:
        from edge_agent.mesh.membership import apply_membership

        await apply_membership(self, event, seq)

    # ------------------------------------------------------- what this box tells
    def note_page(self, page: ManifestPage) -> None:
        """A manifest page this box's uplink committed: tell the venue."""
        if self.clustered:
            for event in sharing.page_events(page, self.me, self.clock_ms()):
                self.feed.publish(event)

    def note_device(self, device: Device, token_sha256: str) -> None:
        """A device paired or revoked here (not one learned from the venue)."""
        if self.clustered and not (self.applier and self.applier.applying_devices):
            self.feed.publish(sharing.device_event(device, token_sha256, self.me, self.clock_ms()))

    def note_sales_head(self, seq: int) -> None:
        """Door-sales rows up to ``seq`` committed: tell the venue of sales and voids."""
        if not self.clustered or seq <= self._sales_shared:
            return
        after, self._sales_shared = self._sales_shared, seq

        async def share() -> None:
            rows = await self.read(lambda c: sales_for_upload(c, after, 10_000, 1 << 30))
            for event in sharing.sales_events(rows, self.me, self.clock_ms()):
                self.feed.publish(event)

        self.spawn(share(), "mesh-share-sales")

    # ------------------------------------------------------------------ conflicts
    def _conflict_found(self, row: ConflictRow) -> None:
        async def keep() -> None:
            await self.writer.execute(lambda c: mt.add_conflict(c, row))
            await self.read(self._count_conflicts)
            self.feed.publish(
                VenueEvent(EventKind.CONFLICT, self.me, self.clock_ms(), dataclasses.asdict(row))
            )

        self.spawn(keep(), "mesh-conflict")

    def _note_conflict_learned(self) -> None:
        self.spawn(self.read(self._count_conflicts), "mesh-conflict-count")

    def _count_conflicts(self, conn: sqlite3.Connection) -> None:
        self.conflicts = mt.conflict_count(conn)

    # ------------------------------------------------------------------- figures
    def figures(self) -> MeshFigures:
        from edge_agent.mesh.status import mesh_figures

        return mesh_figures(self)

    def status(self) -> dict[str, Any]:
        from edge_agent.mesh.status import mesh_status

        return mesh_status(self, time.monotonic())


def _sales_head(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(seq) FROM sales").fetchone()
    return int(row[0] or 0)
