"""Platform packs from two real agents uploading to one real reference platform:
admitted once; admitted, exited and re-entered; refused as already admitted at the
other gate; never scanned; and a gate that was offline all night. Every pack verifies
with the platform key pinned, names what it proves, and carries no raw code."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from edge_agent.evidence.core.canonical import parse_canonical
from edge_agent.evidence.core.verify import verify_pack
from reference_platform.admin_client import AdminApiError
from tests.edge_agent.evidence.gates import SharedClaims, one_ticket_order, start_gate
from tests.edge_agent.evidence.tools import BIN, html_conclusions, pdf_text, run_cli
from tests.helpers import AiohttpClient
from tests.platform_fixture import PlatformFixture, running_platform

pytestmark = pytest.mark.integration

NIGHT_MS = 8 * 3600 * 1000


async def platform_trust(platform: PlatformFixture) -> dict[str, Any]:
    """The platform's published key (what a reviewer pins): its keyring's platform entry."""
    keyring = (await platform.admin.event(platform.event_id))["keyring"]
    return {"keys": [k for k in keyring["keys"] if k["role"] == "platform"]}


async def fetch(
    platform: PlatformFixture, order_id: str, trust: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    doc = await platform.admin.evidence(order_id)
    pack_bytes = doc["evidence_json"].encode()
    report = verify_pack(pack_bytes, json.dumps(doc["signature"]).encode(), trust)
    assert report.ok, report.problems
    return parse_canonical(pack_bytes), report.text()


@pytest.mark.slow
async def test_two_gates_one_platform(tmp_path: Path, aiohttp_client: AiohttpClient) -> None:
    async with running_platform(tmp_path, gh1=0, plain=0) as platform:
        names = ("once", "reentry", "double", "never")
        orders = {n: await one_ticket_order(platform, 100 + i) for i, n in enumerate(names)}
        claims = SharedClaims()
        a = await start_gate(
            tmp_path / "a", platform, aiohttp_client,
            agent_id="gate-a", gate_id="gate-3", gate_name="Gate 3", claims=claims,
        )  # fmt: skip
        b = await start_gate(
            tmp_path / "b", platform, aiohttp_client,
            agent_id="gate-b", gate_id="gate-7", gate_name="Gate 7", claims=claims,
        )  # fmt: skip
        assert (await a.scan(orders["once"][2]))["reason"] == "admitted"
        code = orders["reentry"][2]
        assert [(await a.scan(code, d))["reason"] for d in ("in", "out", "in")] == [
            "admitted", "exited", "readmitted",
        ]  # fmt: skip
        code = orders["double"][2]
        assert (await b.scan(code))["reason"] == "admitted"
        assert (await a.scan(code))["reason"] == "already_admitted"
        for gate in (a, b):
            await gate.checkpoint_and_upload()
        trust = await platform_trust(platform)

        once, report = await fetch(platform, orders["once"][0], trust)
        assert "hash chain recomputed and equal to the value the agent signed" in report
        [line] = once["conclusion"]["tickets"]
        assert line["status"] == "admitted"
        assert f"Ticket {orders['once'][1]} for order {orders['once'][0]}" in line["text"]
        assert "was scanned and admitted at gate-3, Riverside Hall, on 20" in line["text"]
        [scan] = once["scans"]
        assert scan["agent_id"] == "gate-a" and scan["outcome"] == "admit"
        assert scan["received_at_ms"] >= scan["door_time_ms"]
        assert scan["connectivity"].startswith("online")
        assert scan["clock"]["source"].startswith("signed checkpoint")
        assert scan["signature_check"]["result"] == "verified"
        assert scan["proof"]["checkpoint"] >= 1
        assert once["order"]["payment"] == {
            "brand": "visa",
            "last4": "4242",
            "three_ds": "authenticated",
        }
        assert once["order"]["purchase"]["ip"].startswith("198.51.100.")

        reentry, _ = await fetch(platform, orders["reentry"][0], trust)
        assert [s["reason"] for s in reentry["scans"]] == ["admitted", "exited", "readmitted"]
        assert [s["direction"] for s in reentry["scans"]] == ["in", "out", "in"]
        text = reentry["conclusion"]["tickets"][0]["text"]
        assert "1 exit scan(s)" in text and "1 re-admission(s)" in text

        double, report = await fetch(platform, orders["double"][0], trust)
        assert [(s["agent_id"], s["reason"]) for s in double["scans"]] == [
            ("gate-b", "admitted"), ("gate-a", "already_admitted"),
        ]  # fmt: skip
        assert sorted(ledger["agent_id"] for ledger in double["ledgers"]) == ["gate-a", "gate-b"]
        text = double["conclusion"]["tickets"][0]["text"]
        assert "admitted at gate-7" in text and "1 refused scan(s) (already_admitted)" in text
        assert "gate-a rows" in report and "gate-b rows" in report

        one = await platform.admin.evidence(orders["double"][0], orders["double"][1])
        assert json.loads(one["evidence_json"])["subject"]["ticket_ids"] == [orders["double"][1]]
        with pytest.raises(AdminApiError, match="unknown_ticket"):
            await platform.admin.evidence(orders["double"][0], orders["once"][1])
        with pytest.raises(AdminApiError, match="unknown_order"):
            await platform.admin.evidence("O-NOSUCHORDER")

        never, _ = await fetch(platform, orders["never"][0], trust)
        assert never["scans"] == [] and never["ledgers"] == []
        assert never["conclusion"]["tickets"][0]["status"] == "never_scanned"
        assert "was never scanned at any gate" in never["conclusion"]["tickets"][0]["text"]

        # privacy: no raw code in any pack; what was left out is listed
        for name in names:
            doc = await platform.admin.evidence(orders[name][0])
            assert all(orders[n][2] not in doc["evidence_json"] for n in names)
        assert any("card numbers" in o for o in once["omitted"])

        # the CLI writes the files; the verifier CLI (a reviewer's) accepts them
        out = tmp_path / "pack-once"
        trust_file = tmp_path / "platform-keyring.json"
        trust_file.write_text(json.dumps(trust))
        token_file = platform.data_dir / "admin.token"
        code_, stdout, stderr = await run_cli(
            BIN / "gatehouse-platform", "evidence", "--url", platform.url,
            "--token-file", token_file, "--order", orders["once"][0], "--out", out,
        )  # fmt: skip
        assert code_ == 0, stderr
        assert "admitted at gate-3" in json.loads(stdout)["conclusion"][0]
        code_, stdout, stderr = await run_cli(
            BIN / "edge-agent", "evidence", "verify", out, "--trust", trust_file
        )
        assert code_ == 0, stdout + stderr
        assert stdout.startswith("evidence pack VERIFIED")
        conclusions, tables = html_conclusions(out / "evidence.html")
        assert conclusions[0] == line["text"] and conclusions[-1].startswith("Clock:")
        assert tables >= 3
        assert "admitted at gate-3" in " ".join(pdf_text(out / "evidence.pdf").split())


async def test_a_gate_offline_all_night(tmp_path: Path, aiohttp_client: AiohttpClient) -> None:
    """The platform is unreachable while the gate scans; it gets the rows 8 hours later
    (its clock moved on): the pack shows door time vs receive time, and the clock offset
    the gate had measured (and signed) before the night."""
    shift = [0]

    def clock() -> int:
        return time.time_ns() // 1_000_000 + shift[0]

    async with running_platform(tmp_path, gh1=0, plain=0, clock=clock) as platform:
        order_id, _ticket, code = await one_ticket_order(platform, 300)
        gate = await start_gate(
            tmp_path / "a", platform, aiohttp_client,
            agent_id="gate-a", gate_id="gate-3", gate_name="Gate 3", claims=SharedClaims(),
        )  # fmt: skip
        await platform.stop()  # the venue's uplink is down all night
        assert (await gate.scan(code))["reason"] == "admitted"
        signer = gate.runtime.chain_signer
        assert signer is not None and (await signer.sign_now()) is not None
        shift[0] = NIGHT_MS
        await platform.restart()
        await gate.sync()
        await gate.sync()
        pack, _ = await fetch(platform, order_id, await platform_trust(platform))
        [scan] = pack["scans"]
        late = scan["received_at_ms"] - scan["door_time_ms"]
        assert NIGHT_MS <= late < NIGHT_MS + 60_000
        assert scan["connectivity"].startswith("offline or LAN-only: the platform received it 8 h")
        assert scan["clock"]["source"].startswith("signed checkpoint 1 of gate-a")
        assert abs(scan["clock"]["offset_ms"]) < 60_000  # measured before the night
        assert scan["clock"]["status"].startswith("synchronised: gate clock")
