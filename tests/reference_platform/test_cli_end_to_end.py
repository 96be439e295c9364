"""``gatehouse-platform`` as an operator uses it: real subprocesses, a real server,
SIGTERM to stop; and a platform restart that keeps what it acknowledged."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.agent_certificate import b64url_encode
from reference_platform.cli import main
from tests.platform_fixture import EVENT_ID, running_platform
from tests.reference_platform.ledger_rows import ledger_rows, upload

BIN = str(Path(sys.executable).parent / "gatehouse-platform")
pytestmark = [pytest.mark.slow, pytest.mark.integration]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60, check=False)


class Cli:
    """The CLI's ``main`` in-process (each subprocess start costs ~1 s of imports on the
    test machine); ``init`` and ``serve`` are also run as real subprocesses below."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str) -> Any:
        assert main(list(args)) == 0, self.capsys.readouterr().err
        return json.loads(self.capsys.readouterr().out)

    def fails(self, *args: str) -> str:
        assert main(list(args)) == 2
        return self.capsys.readouterr().err


def test_operator_workflow_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(capsys)
    cli_fails = cli.fails
    data = str(tmp_path / "pf")
    init = run_cli("init", "--data", data)
    assert init.returncode == 0 and json.loads(init.stdout)["created"] is True
    assert cli("init", "--data", data)["created"] is False  # never replaces the token
    assert os.stat(Path(data) / "admin.token").st_mode & 0o777 == 0o600
    assert os.stat(data).st_mode & 0o777 == 0o700
    server = subprocess.Popen(
        [BIN, "serve", "--data", data, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        ready = json.loads(server.stdout.readline())
        assert ready["msg"] == "listening" and ready["url"].startswith("http://127.0.0.1:")
        d = ("--data", data)
        cli("event", "create", *d, "--event", "1001", "--name", "Gala", "--venue", "Hall",
            "--starts-at", "2026-12-31T20:00")  # fmt: skip
        cli("ticket-type", "add", *d, "--event", "1001", "--type", "1", "--name", "VIP",
            "--capacity", "3", "--price-cents", "9900")  # fmt: skip
        order = cli("order", "create", *d, "--event", "1001", "--customer-name", "Ada",
                    "--customer-email", "ada@example.org", "--ticket", "1",
                    "--ticket", "1:plain:Bob", "--brand", "visa", "--last4", "4242",
                    "--three-ds", "authenticated", "--ip", "203.0.113.9")  # fmt: skip
        gh1, plain = order["tickets"]
        assert gh1["code"].startswith("GH1:") and plain["code"].startswith("GHP-")
        assert "sold_out" in cli_fails(
            "order", "create", *d, "--event", "1001", "--customer-name", "X",
            "--customer-email", "x@example.org", "--ticket", "1", "--ticket", "1",
        )  # fmt: skip
        key = Ed25519PrivateKey.generate()
        public = b64url_encode(key.public_key().public_bytes_raw())
        # "=" form: a base64url key may start with "-", which argparse would take for
        # an option (one run in 64 failed that way before).
        enrolled = cli("enrol", *d, "--event", "1001", "--agent-id", "gate-a",
                       f"--public-key={public}")  # fmt: skip
        refunded = cli("refund", *d, "--ticket", gh1["ticket_id"], "--reason", "customer")
        assert refunded["kind"] == "refunded"
        assert "already_revoked" in cli_fails("cancel", *d, "--ticket", gh1["ticket_id"])
        reissued = cli("reissue", *d, "--ticket", plain["ticket_id"])
        shown = cli("order", "show", *d, "--order", order["order_id"])
        assert len(shown["tickets"]) == 3
        seeded = cli("seed", *d, "--event", "1001", "--tickets", "2500", "--type", "2")
        assert seeded["tickets"] == 2500 and seeded["code_kind"] == "plain"
        assert cli("conflicts", *d, "--event", "1001") == {"event_id": 1001, "conflicts": []}

        async def manifest() -> list[dict[str, Any]]:
            pages, since = [], ""
            headers = {"Authorization": f"Bearer {enrolled['token']}"}
            async with aiohttp.ClientSession() as session:
                while True:
                    async with session.get(
                        f"{ready['url']}/v1/events/1001/manifest",
                        params={"since": since, "limit": "1000"},
                        headers=headers,
                    ) as resp:
                        assert resp.status == 200
                        page = await resp.json()
                    pages.append(page)
                    since = page["cursor"]
                    if not page["more"]:
                        return pages

        pages = asyncio.run(manifest())
        assert len(pages) == 3
        assert sum(len(p["tickets"]) for p in pages) == 2 + 1 + 2500
        revoked = {(r["ticket_id"], r["kind"]) for p in pages for r in p["revocations"]}
        assert revoked == {(gh1["ticket_id"], "refunded"), (plain["ticket_id"], "reissued")}
        assert reissued["replacement"]["ticket_id"] in {t["ticket_id"] for t in pages[0]["tickets"]}
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) == 0
    assert not (Path(data) / "serve.json").exists()
    assert "not an initialised" in run_cli("serve", "--data", str(tmp_path / "nowhere")).stderr


@pytest.mark.parametrize("as_process", [True, False], ids=["process", "in-process"])
async def test_restart_keeps_every_acknowledged_row(tmp_path: Path, as_process: bool) -> None:
    rows = await ledger_rows(tmp_path / "gate-a.sqlite3", "gate-a", 300)
    async with running_platform(tmp_path, gh1=2, plain=0, subprocess=as_process) as fx:
        token = await fx.enrol("gate-a", Ed25519PrivateKey.generate())
        async with aiohttp.ClientSession() as session:
            assert (await upload(session, fx, token, "gate-a", rows[:200]))[0] == 200
            await fx.restart()
            status, doc = await upload(session, fx, token, "gate-a", rows[100:300])
        assert (status, doc) == (200, {"stored_through_seq": 300, "received": 100,
                                       "duplicates": 100})  # fmt: skip
        stored = await fx.admin.stored_rows("gate-a", limit=1000)
        assert [s["row"] for s in stored] == rows
        assert fx.event_id == EVENT_ID
