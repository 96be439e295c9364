"""The link to pretix breaks mid-upload (answers lost after pretix committed, requests cut,
500s, the link down while the gate keeps scanning) and every check-in still reaches
pretix exactly once, with the gate's time."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.faultproxy import Fault, FaultProxy
from tests.pretix.gate import Gate, at_ms
from tests.pretix.server import PretixServer

pytestmark = [pytest.mark.pretix, pytest.mark.integration]


@pytest.fixture
async def proxy(pretix: PretixServer) -> AsyncIterator[FaultProxy]:
    p = FaultProxy("127.0.0.1", urlsplit(pretix.base_url).port or 80)
    await p.start()
    try:
        yield p
    finally:
        await p.close()


async def test_uploads_survive_a_broken_link_exactly_once(
    pretix: PretixServer,
    fixtures: dict[str, Any],
    device_tokens: Any,
    proxy: FaultProxy,
    tmp_path: Path,
) -> None:
    ev = fixtures["events"]["sig"]
    list_id = ev["lists"]["vip_only"]  # a list of its own: nothing else checks in here
    gate = Gate(
        tmp_path / "gate", agent_id="px-faults", url=proxy.url, event="sig", checkin_list=list_id
    )
    await gate.enrol(next(device_tokens))
    await gate.start()
    try:
        await gate.synced()
        uploads = "/api/v1/organizers/gh/events/sig/checkinlists/"
        proxy.add(Fault.LOSE_RESPONSE, method="POST", path_prefix=uploads, times=3)
        proxy.add(Fault.RESET_REQUEST, method="POST", path_prefix=uploads, times=2)
        proxy.add(Fault.STATUS_500, method="POST", path_prefix=uploads, times=2)
        bulk = [ev["orders"][f"bulk{i}"]["positions"][0] for i in range(12)]
        vip = ev["orders"]["vip"]["positions"][0]
        verdicts = [await gate.scan(vip["secret"])]
        # every bulk ticket is a regular ticket: not on the VIP list, refused at this gate
        verdicts += [await gate.scan(p["secret"]) for p in bulk[:6]]
        verdicts.append(await gate.scan(vip["secret"], "out"))
        await gate.sync_now()  # runs into the faults; backs off; the next rounds retry
        await proxy.down()  # the link is gone: the gate keeps deciding and recording
        verdicts.append(await gate.scan(vip["secret"]))
        verdicts += [await gate.scan(p["secret"]) for p in bulk[6:]]
        verdicts.append(await gate.scan("NOT-A-TICKET"))
        sync = await gate.sync_now()
        assert sync["last_error"]  # it tried and could not reach pretix
        await proxy.up()
        await gate.synced(timeout_s=90)
        applied = Counter(proxy.faults_applied())
        assert applied == {Fault.LOSE_RESPONSE: 3, Fault.RESET_REQUEST: 2, Fault.STATUS_500: 2}

        rows = pretix.all_pages(f"/organizers/gh/events/sig/checkins/?list={list_id}")
        ok = sorted((r["type"], at_ms(r["datetime"])) for r in rows if r["successful"])
        want = sorted(
            ("entry" if v["direction"] == "in" else "exit", at_ms(v["at"]))
            for v in verdicts
            if v["outcome"] != "refuse"
        )
        assert [v["reason"] for v in verdicts if v["outcome"] != "refuse"] == [
            "admitted",
            "exited",
            "readmitted",
        ]
        assert ok == want  # each admit and exit once, at the gate's time
        failed = [r for r in rows if not r["successful"]]
        refused = [v for v in verdicts if v["outcome"] == "refuse"]
        assert len(failed) == len(refused) == 13
        assert Counter(r["error_reason"] for r in failed) == {"product": 12, "invalid": 1}
        assert {r["position"] for r in failed if r["error_reason"] == "product"} == {
            p["id"] for p in bulk
        }
    finally:
        await gate.stop()
