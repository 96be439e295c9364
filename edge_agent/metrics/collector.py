"""The agent's metric families, built when Prometheus scrapes (never per scan).

A prometheus-client custom collector over the running agent: the counts the scan
listener kept (``scan_counts.py``), and what the runtime already knows — ledger head,
sync snapshot, lanes' device health, printer, the mesh seam — plus two small indexed
reads of the ledger (oldest unsent row per upload stream, door sales by payment kind).
Names start with ``gatehouse_``; every family is listed in ``docs/metrics.md``.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from edge_agent.alarms import CODES
from edge_agent.ledger.box_office_tables import cash_in_drawers
from edge_agent.metrics.mesh_seam import claimer_figures
from edge_agent.metrics.scan_counts import ScanMetrics

if TYPE_CHECKING:
    from edge_agent.runtime import AgentRuntime

#: Upload stream -> (table, its sequence column, its time column in ms).
_STREAMS = {
    "scans": ("scans", "seq", "at_ms"),
    "sales": ("sales", "seq", "at_ms"),
    "checkpoints": ("chain_checkpoints", "number", "at_ms"),
}


class AgentCollector(Collector):
    def __init__(self, runtime: AgentRuntime, counts: ScanMetrics, clock_ms: Any) -> None:
        self._rt = runtime
        self._counts = counts
        self._clock_ms = clock_ms

    def collect(self) -> Iterator[Metric]:
        now_ms = self._clock_ms()
        yield from self._scans()
        yield from self._ledger()
        yield from self._sync(now_ms)
        yield from self._devices()
        yield from self._box_office()
        yield from self._mesh()
        yield from self._alarms()

    def _scans(self) -> Iterator[Metric]:
        rt = self._rt
        info = GaugeMetricFamily(
            "gatehouse_agent_info",
            "The agent: its id, event, gate and software version (value 1).",
            labels=["agent_id", "event_id", "gate", "version"],
        )
        info.add_metric(
            [
                rt.config.agent.agent_id,
                str(rt.config.event.event_id),
                rt.config.gate.id,
                rt.version,
            ],
            1,
        )
        yield info
        yield GaugeMetricFamily(
            "gatehouse_start_time_seconds", "When the agent started (Unix time).",
            value=rt.started_ms / 1000,
        )  # fmt: skip
        scans = CounterMetricFamily(
            "gatehouse_scans",
            "Verdicts since start, by verdict (admit/refuse/exit), reason code and lane.",
            labels=["verdict", "reason", "lane"],
        )
        for (outcome, reason, lane), n in sorted(self._counts.scans.items()):
            scans.add_metric([outcome, reason, lane], n)
        yield scans
        yield self._counts.verdict.family(
            "gatehouse_verdict_seconds",
            "From a scan's arrival to its durable verdict (ledger commit included).",
        )
        yield CounterMetricFamily(
            "gatehouse_scans_not_recorded",
            "Scans refused because the ledger could not record them (disk full, I/O error).",
            value=rt.pipeline.stats.not_recorded,
        )
        yield GaugeMetricFamily(
            "gatehouse_tickets_admitted", "Tickets admitted at least once.",
            value=rt.state.admitted_count,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "gatehouse_inside_now", "Tickets inside now (admitted, not scanned out).",
            value=rt.state.inside_count,
        )  # fmt: skip

    def _ledger(self) -> Iterator[Metric]:
        rt = self._rt
        yield self._counts.commit.family(
            "gatehouse_ledger_commit_seconds",
            "Duration of each ledger group commit (BEGIN IMMEDIATE .. fsynced COMMIT).",
        )
        yield GaugeMetricFamily(
            "gatehouse_ledger_head_seq", "Sequence number of the ledger's last scan row.",
            value=rt.writer.head_seq,
        )  # fmt: skip
        backup = _gauge(
            "gatehouse_backup_last_success_time_seconds",
            "When the last scheduled backup to the USB stick completed (Unix time).",
        )
        if rt.backups is not None and rt.backups.last_success_ms is not None:
            backup.add_metric([], rt.backups.last_success_ms / 1000)
        yield backup
        try:
            usage = shutil.disk_usage(rt.config.agent.data_dir)
        except OSError:
            return
        yield GaugeMetricFamily(
            "gatehouse_data_dir_free_bytes", "Free space on the disk holding the ledger.",
            value=usage.free,
        )  # fmt: skip

    def _sync(self, now_ms: int) -> Iterator[Metric]:
        """Every family is always there (without samples when unknown: no sync, never
        measured), so dashboards and alerts see "no data", never a missing metric."""
        rt = self._rt
        manifest_age = _gauge(
            "gatehouse_manifest_age_seconds",
            "Age of the manifest the gate judges with (platform time of its last page).",
        )
        if rt.state.manifest_at_ms is not None:
            manifest_age.add_metric([], max(0.0, (now_ms - rt.state.manifest_at_ms) / 1000))
        revocations = _gauge(
            "gatehouse_revocations", "Tickets revoked (refunds, charge-backs, voids)."
        )
        revocations.add_metric([], rt.state.revocation_count)
        depth = _gauge("gatehouse_outbox_depth", "Rows waiting for upload, by stream.", "stream")
        oldest = _gauge(
            "gatehouse_outbox_oldest_unsent_age_seconds",
            "Age of the oldest row not yet on the platform, by stream (0 when none waits).",
            "stream",
        )
        halted = _gauge(
            "gatehouse_outbox_halted",
            "1 when the platform refused a stream's rows as not matching (chain_mismatch).",
            "stream",
        )
        errors = CounterMetricFamily(
            "gatehouse_sync_errors", "Sync rounds that ended with an error since start.", labels=[]
        )
        in_a_row = _gauge(
            "gatehouse_sync_failures_in_a_row", "Failed sync rounds since the last success."
        )
        last_success = _gauge(
            "gatehouse_sync_last_success_time_seconds",
            "When a sync round last succeeded (Unix time).",
        )
        offset = _gauge(
            "gatehouse_clock_offset_seconds",
            "Platform time minus this box's time, as sync last measured it.",
        )
        rtt = _gauge("gatehouse_clock_rtt_seconds", "Round trip of that measurement.")
        if rt.sync is not None:
            snap = rt.sync.snapshot()
            for stream, cursor in sorted(snap.upload_cursors.items()):
                n, first_at = _unsent(rt.reader, stream, cursor)
                depth.add_metric([stream], n)
                age = 0 if first_at is None else max(0.0, (now_ms - first_at) / 1000)
                oldest.add_metric([stream], age)
                halted.add_metric([stream], 1 if stream in snap.halted else 0)
            errors.add_metric([], snap.failed_rounds)
            in_a_row.add_metric([], snap.failures)
            if snap.last_success_ms is not None:
                last_success.add_metric([], snap.last_success_ms / 1000)
            if snap.clock is not None:
                offset.add_metric([], snap.clock.offset_ms / 1000)
                rtt.add_metric([], snap.clock.rtt_ms / 1000)
        yield from (manifest_age, revocations, depth, oldest, halted, errors, in_a_row)
        yield from (last_success, offset, rtt)

    def _devices(self) -> Iterator[Metric]:
        labels = ["lane", "device", "kind", "type"]
        up = GaugeMetricFamily(
            "gatehouse_device_up",
            "1 when a lane's scanner, lights or relay is connected and working.",
            labels=labels,
        )
        errors = CounterMetricFamily(
            "gatehouse_device_errors", "Errors a device reported since start.", labels=labels
        )
        reads = CounterMetricFamily(
            "gatehouse_device_reads",
            "Codes read (inputs) or signals given (outputs) since start.",
            labels=labels,
        )
        devices: list[tuple[str, dict[str, Any]]] = []
        for lane in self._rt.lanes.status():
            for health in (*lane["inputs"], *lane["outputs"]):
                devices.append((str(lane["id"]), health))
        if self._rt.printer is not None:
            devices.append(("", self._rt.printer.health.snapshot()))
        for lane_id, health in devices:
            key = [lane_id, str(health["id"]), str(health["kind"]), str(health["type"])]
            up.add_metric(key, 1 if health["connected"] else 0)
            errors.add_metric(key, int(health.get("errors") or 0))
            reads.add_metric(key, int(health.get("reads") or 0))
        yield from (up, errors, reads)

    def _box_office(self) -> Iterator[Metric]:
        currency = self._rt.config.box_office.currency
        sales = CounterMetricFamily(
            "gatehouse_door_sales", "Door sales recorded, by payment kind.", labels=["method"]
        )
        amount = CounterMetricFamily(
            "gatehouse_door_sales_cents",
            "Takings of door sales in cents of the box office's currency, by payment kind.",
            labels=["method", "currency"],
        )
        voids = CounterMetricFamily(
            "gatehouse_door_voids", "Door sales voided.", value=_count(self._rt.reader, "void")
        )
        for method, n, cents in _sales_by_method(self._rt.reader):
            sales.add_metric([method], n)
            amount.add_metric([method, currency], cents)
        drawer = GaugeMetricFamily(
            "gatehouse_cash_in_drawer_cents",
            "Cash the open tills should hold (floats + cash sales - cash handed back).",
            labels=["currency"],
        )
        drawer.add_metric([currency], _cash_in_drawers(self._rt.reader))
        yield from (sales, amount, voids, drawer)

    def _mesh(self) -> Iterator[Metric]:
        figures = claimer_figures(self._rt.pipeline.claimer)
        yield GaugeMetricFamily(
            "gatehouse_mesh_members", "Boxes in the venue's cluster this box sees (itself too).",
            value=figures.members,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "gatehouse_mesh_expected_members", "Boxes the venue's cluster is configured with.",
            value=figures.expected,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "gatehouse_mesh_quorum", "1 when admission claims reach a quorum of the cluster.",
            value=1 if figures.quorum else 0,
        )  # fmt: skip
        yield figures.claim_latency.family(
            "gatehouse_mesh_claim_seconds", "Cross-gate admission claim latency."
        )

    def _alarms(self) -> Iterator[Metric]:
        """Every alarm code, 1 while raised (a supervisor's halt, a clock known to be
        wrong, a ledger not recording, open files near the limit): one series per code
        that always exists, so an alert rule is ``gatehouse_alarm == 1``."""
        state = _gauge(
            "gatehouse_alarm", "1 while the agent's alarm of this code is raised.", "code"
        )
        since = _gauge(
            "gatehouse_alarm_since_time_seconds",
            "When a raised alarm was raised (Unix time); no sample when it is not.",
            "code",
        )
        active = {alarm.code: alarm for alarm in self._rt.alarms.active()}
        for code in sorted({*CODES, *active}):
            raised = active.get(code)
            state.add_metric([code], 0 if raised is None else 1)
            if raised is not None:
                since.add_metric([code], raised.since_ms / 1000)
        yield from (state, since)


def _gauge(name: str, documentation: str, *labels: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=list(labels))


def _unsent(conn: sqlite3.Connection, stream: str, cursor: int) -> tuple[int, int | None]:
    """(rows after ``cursor``, time of the first of them) — two primary-key lookups."""
    table, seq, at = _STREAMS.get(stream, (None, None, None))
    if table is None:
        return 0, None
    try:
        head = conn.execute(f"SELECT max({seq}) FROM {table}").fetchone()[0]  # noqa: S608
        first = conn.execute(
            f"SELECT {at} FROM {table} WHERE {seq} > ? ORDER BY {seq} LIMIT 1",  # noqa: S608
            (cursor,),
        ).fetchone()
    except sqlite3.Error:
        return 0, None
    return max(0, int(head or 0) - cursor), None if first is None else int(first[0])


def _sales_by_method(conn: sqlite3.Connection) -> list[tuple[str, int, int]]:
    try:
        rows = conn.execute(
            "SELECT coalesce(method, ''), count(*), coalesce(sum(amount_cents), 0) FROM sales"
            " WHERE kind = 'sale' GROUP BY 1 ORDER BY 1"
        ).fetchall()
    except sqlite3.Error:
        return []
    return [(str(m), int(n), int(c)) for m, n, c in rows]


def _cash_in_drawers(conn: sqlite3.Connection) -> int:
    try:
        return cash_in_drawers(conn)
    except sqlite3.Error:
        return 0


def _count(conn: sqlite3.Connection, kind: str) -> int:
    try:
        return int(conn.execute("SELECT count(*) FROM sales WHERE kind = ?", (kind,)).fetchone()[0])
    except sqlite3.Error:
        return 0
