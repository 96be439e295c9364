"""The agent's evidence export from its own ledger — while the agent runs (WAL) with
rows not yet checkpointed (in-process), and as ``edge-agent evidence export`` with the
agent stopped and the platform gone — and ``edge-agent evidence verify`` on the
result, untouched and altered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_agent.config.key_files import read_key_file
from edge_agent.evidence.core.canonical import canonical_json
from edge_agent.evidence.core.verify import verify_pack
from edge_agent.evidence.export import export_pack
from edge_agent.ledger.chain_checkpoints import head_seq, last_checkpoint
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.records import SCAN_FIELDS
from edge_agent.runtime import wall_clock_ms
from tests.edge_agent.evidence.gates import SharedClaims, one_ticket_order, start_gate
from tests.edge_agent.evidence.tools import BIN, html_conclusions, run_cli
from tests.helpers import AiohttpClient
from tests.platform_fixture import running_platform

pytestmark = pytest.mark.integration

AGENT = BIN / "edge-agent"


@pytest.mark.slow
async def test_export_offline_and_while_running(
    tmp_path: Path, aiohttp_client: AiohttpClient
) -> None:
    async with running_platform(tmp_path, gh1=0, plain=0) as platform:
        once = await one_ticket_order(platform, 200)
        later = await one_ticket_order(platform, 201)
        never = await one_ticket_order(platform, 202)
        gate = await start_gate(
            tmp_path / "a", platform, aiohttp_client,
            agent_id="gate-a", gate_id="gate-3", gate_name="Gate 3", claims=SharedClaims(),
        )  # fmt: skip
        for i in range(5):  # other tickets' scans: rows the chain proof must carry
            await gate.scan(f"not-a-ticket-{i}")
        assert (await gate.scan(once[2]))["reason"] == "admitted"
        await gate.scan(once[2])  # refused: already admitted
        config = gate.config

        # while the agent runs: a scan after the last checkpoint is covered by one
        # signed at export (number 0)
        signer = gate.runtime.chain_signer
        assert signer is not None and await signer.sign_now() is not None
        assert (await gate.scan(later[2]))["reason"] == "admitted"
        running = export_pack(
            config, read_key_file(config.agent_key_path), order_id=None, ticket_id=later[1],
            now_ms=wall_clock_ms(),
        )  # fmt: skip
        pack = running.pack
        assert "admitted at Gate 3, Riverside Hall" in pack["conclusion"]["tickets"][0]["text"]
        assert [cp["number"] for cp in pack["ledgers"][0]["checkpoints"]] == [0]
        assert any("checkpoint 0" in note for note in pack["notes"])
        sig = json.dumps(running.signature.to_json_dict()).encode()
        assert verify_pack(running.pack_bytes, sig).ok

        await gate.client.close()  # the agent stops: it signs its head once more
    conn = open_read_connection(config.ledger_path)
    try:
        last = last_checkpoint(conn, "gate-a")
        assert last is not None and last.through_seq == head_seq(conn) and last.number == 2
    finally:
        conn.close()
    # the platform is gone too: the export needs only the ledger and the agent key
    out = tmp_path / "offline"
    code, stdout, stderr = await run_cli(
        AGENT, "evidence", "export", "--config", config.source, "--order", once[0], "--out", out
    )
    assert code == 0, stderr
    assert f"evidence pack written to {out}/" in stdout
    conclusions, _ = html_conclusions(out / "evidence.html")
    assert conclusions[0].startswith(f"Ticket {once[1]} for order {once[0]} was scanned and")
    assert "admitted at Gate 3, Riverside Hall, on 20" in conclusions[0]
    assert "1 refused scan(s) (already_admitted)" in conclusions[0]
    pack_bytes = (out / "evidence.json").read_bytes()
    pack = json.loads(pack_bytes)
    assert (
        pack["assembled"]["by"] == "agent"
        and "only what agent gate-a" in pack["assembled"]["scope"]
    )
    assert pack["order"] is None and once[2] not in pack_bytes.decode()
    assert [s["gate_name"] for s in pack["scans"]] == ["Gate 3", "Gate 3"]
    assert pack["ledgers"][0]["checkpoints"][0]["number"] >= 1  # a stored, uploaded one
    code, stdout, stderr = await run_cli(AGENT, "evidence", "verify", out / "evidence.json")
    assert code == 0, stdout + stderr
    assert "Proven" in stdout and "this agent's view only" in stdout

    # alter the refused scan's row (re-encoded canonically, as a forger would)
    seq = pack["scans"][1]["seq"]
    segment = pack["ledgers"][0]["segments"][0]
    row = segment["rows"][seq - segment["first_seq"]]
    row[SCAN_FIELDS.index("outcome")] = "admit"
    (out / "evidence.json").write_bytes(canonical_json(pack))
    code, stdout, stderr = await run_cli(AGENT, "evidence", "verify", out)
    assert code == 1
    assert f"NOT verified: gate-a seq {seq}: row altered" in stderr

    # a ticket this gate never saw
    never_pack = export_pack(
        config, read_key_file(config.agent_key_path), order_id=never[0], ticket_id=None,
        now_ms=wall_clock_ms(),
    )  # fmt: skip
    [line] = never_pack.pack["conclusion"]["tickets"]
    assert (
        line["text"] == f"Ticket {never[1]} for order {never[0]} was never scanned at agent gate-a."
    )
    sig = json.dumps(never_pack.signature.to_json_dict()).encode()
    assert verify_pack(never_pack.pack_bytes, sig).ok
