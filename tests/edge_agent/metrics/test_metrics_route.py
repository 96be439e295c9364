"""``GET /metrics``: Prometheus text read with a ``metrics`` token only; verdicts by
verdict/reason/lane, latency histograms, ledger, devices, box office and the mesh seam."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from demo.event import DemoEvent
from edge_agent.devices.roles import Role
from edge_agent.metrics.histogram import LatencyHistogram
from edge_agent.metrics.mesh_seam import ALONE, MeshFigures, claimer_figures
from tests.helpers import pair
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def scrape(client: Client, headers: dict[str, str]) -> dict[Any, float]:
    resp = await client.get("/metrics", headers=headers)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain; version=")
    return samples(await resp.text())


async def test_metrics_need_a_metrics_token_and_that_token_reads_nothing_else(
    client: Client,
) -> None:
    assert (await client.get("/metrics")).status == 401
    for role in (Role.SCANNER, Role.BOX_OFFICE, Role.SUPERVISOR, Role.PEER):
        resp = await client.get("/metrics", headers=await pair(client, role))
        assert resp.status == 403, role
    metrics = await pair(client, Role.METRICS)
    assert (await client.get("/metrics", headers=metrics)).status == 200
    resp = await client.get("/api/v1/status", headers=metrics)
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "forbidden"


async def test_scans_are_counted_by_verdict_reason_and_lane(
    client: Client, scanner: dict[str, str], event: DemoEvent
) -> None:
    metrics = await pair(client, Role.METRICS)
    for code, lane in ((event.valid[0], "lane-1"), (event.valid[0], "lane-2")):
        resp = await client.post(
            "/api/v1/scans", json={"code": code, "lane": lane}, headers=scanner
        )
        assert resp.status == 200
    got = await scrape(client, metrics)
    admit = (
        "gatehouse_scans_total",
        (("lane", "lane-1"), ("reason", "admitted"), ("verdict", "admit")),
    )
    refused = (
        "gatehouse_scans_total",
        (("lane", "lane-2"), ("reason", "already_admitted"), ("verdict", "refuse")),
    )
    assert got[admit] == 1
    assert got[refused] == 1
    assert got[("gatehouse_verdict_seconds_count", ())] == 2
    assert 0 < got[("gatehouse_verdict_seconds_sum", ())] < 5
    assert got[("gatehouse_verdict_seconds_bucket", (("le", "+Inf"),))] == 2
    assert got[("gatehouse_ledger_commit_seconds_count", ())] >= 2
    assert got[("gatehouse_ledger_head_seq", ())] == 2
    assert got[("gatehouse_tickets_admitted", ())] == 1
    assert got[("gatehouse_data_dir_free_bytes", ())] > 0
    assert got[("gatehouse_mesh_members", ())] == 1
    assert got[("gatehouse_mesh_quorum", ())] == 1
    assert got[("gatehouse_cash_in_drawer_cents", (("currency", "EUR"),))] == 0
    info = [k for k in got if k[0] == "gatehouse_agent_info"]
    assert info and dict(info[0][1])["event_id"] == str(event.config.event.event_id)
    assert all(name.startswith("gatehouse_") for name, _ in got)


async def test_a_supervisors_halt_is_an_alarm_series_that_goes_to_1_and_back(
    client: Client,
) -> None:
    metrics = await pair(client, Role.METRICS)
    sup = await pair(client, Role.SUPERVISOR)
    halted = ("gatehouse_alarm", (("code", "admissions_halted"),))
    since = ("gatehouse_alarm_since_time_seconds", (("code", "admissions_halted"),))
    got = await scrape(client, metrics)
    # every code is a series from the start, 0 while not raised
    codes = {dict(labels)["code"] for name, labels in got if name == "gatehouse_alarm"}
    assert codes == {
        "admissions_halted", "clock_untrusted", "ledger_not_recording", "open_files_near_limit"
    }  # fmt: skip
    assert got[halted] == 0 and since not in got
    before = time.time()
    r = await client.post("/api/v1/gate/halt", json={"reason": "crush at door 2"}, headers=sup)
    assert r.status == 200
    got = await scrape(client, metrics)
    assert got[halted] == 1
    assert before - 1 <= got[since] <= time.time() + 1
    assert got[("gatehouse_alarm", (("code", "ledger_not_recording"),))] == 0
    r = await client.post("/api/v1/gate/resume", json={"reason": "door 2 clear"}, headers=sup)
    assert r.status == 200
    got = await scrape(client, metrics)
    assert got[halted] == 0 and since not in got


def test_histogram_buckets_are_cumulative() -> None:
    h = LatencyHistogram((0.001, 0.01))
    for seconds in (0.0005, 0.001, 0.005, 0.5):
        h.observe(seconds)
    family = h.family("gatehouse_x_seconds", "x")
    buckets = {s.labels["le"]: s.value for s in family.samples if s.name.endswith("_bucket")}
    assert buckets == {"0.001": 2, "0.01": 3, "+Inf": 4}
    assert h.count == 4 and h.sum == pytest.approx(0.5065)


def test_the_mesh_seam_reads_a_claimers_figures_or_says_alone() -> None:
    class MeshClaimer:
        def mesh_figures(self) -> MeshFigures:
            return MeshFigures(configured=True, members=2, expected=3, quorum=True)

    assert claimer_figures(object()) is ALONE
    assert claimer_figures(MeshClaimer()).members == 2


async def test_the_grafana_dashboard_queries_only_metrics_the_agent_exposes(
    client: Client,
) -> None:
    dashboard = json.loads((REPO_ROOT / "deploy/grafana/gatehouse-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"\bgatehouse_[a-z_]+", e)}
    resp = await client.get("/metrics", headers=await pair(client, Role.METRICS))
    text = await resp.text()
    exposed = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    exposed |= {f"{n}{suffix}" for n in exposed for suffix in ("_total", "_bucket", "_sum")}
    assert used and used <= exposed, used - exposed
