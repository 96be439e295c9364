"""``gatehouse-demo --stay``: the printed pairing link works, the page sells, Ctrl-C ends."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import uuid
from pathlib import Path

import aiohttp
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]


async def test_demo_stays_up_and_its_pairing_code_sells_a_ticket(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "demo", "--dir", str(tmp_path / "demo"),
        "--scans", "3", "--rate", "0", "--no-camera", "--stay",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        async with asyncio.timeout(90):
            while line := (await proc.stdout.readline()).decode():
                lines.append(line)
                if "press Ctrl-C to finish" in line:
                    break
        text = "".join(lines)
        assert "press Ctrl-C to finish" in text, text
        m = re.search(r"open (http://127\.0\.0\.1:\d+)/api/v1/pair\?code=([A-Z0-9-]+) ", text)
        assert m, text
        url, code = m.groups()
        timeout = aiohttp.ClientTimeout(total=15)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(f"{url}/api/v1/pair?code={code}") as r:  # the QR's link
                assert r.status == 200 and str(r.url).endswith("/boxoffice/")
                assert "Gatehouse box office" in await r.text()
            async with http.post(f"{url}/api/v1/pair", json={"code": code}) as r:
                assert r.status == 201
                doc = await r.json()
                assert doc["role"] == "box_office"
            till = {"Authorization": f"Bearer {doc['token']}"}
            body = {"operator": "Newcomer", "float_cents": 0}
            async with http.post(f"{url}/api/v1/boxoffice/sessions", json=body, headers=till) as r:
                assert r.status == 201
            sale = {
                "request_id": str(uuid.uuid4()),
                "items": [{"ticket_type": 0, "quantity": 1}],
                "payment": {"method": "cash", "tendered_cents": 5000},
                "delivery": "screen",
            }
            async with http.post(f"{url}/api/v1/boxoffice/sales", json=sale, headers=till) as r:
                assert r.status == 201, await r.text()
                receipt = await r.json()
        assert receipt["payment"]["change_cents"] == 500
        assert len(receipt["tickets"]) == 1
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        rest = out.decode()
        assert "Summary" in rest and "ledger OK" in rest
        assert "Traceback" not in err.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.communicate()
