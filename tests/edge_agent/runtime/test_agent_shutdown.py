"""The real process stops at once on SIGTERM even with WebSockets open: a phone keeps its
scan socket open all evening, and an iPad its box-office socket, so the agent must close
them itself rather than wait out the server's shutdown timeout for each."""

from __future__ import annotations

import asyncio
import signal
import time

import aiohttp
import pytest

from demo.event import DemoEvent
from tests.agent_process import AgentProcess

pytestmark = [pytest.mark.slow, pytest.mark.integration]

#: Well under the server's 5 s shutdown timeout (``cli/run_cmd.py``), which is what an
#: open socket used to cost.
PROMPT_S = 2.5


async def test_sigterm_with_open_websockets_stops_at_once(event: DemoEvent) -> None:
    agent = AgentProcess(event.config_path)
    try:
        scanner = agent.pair("scanner")
        till = agent.pair("box_office")
        async with aiohttp.ClientSession() as http:
            scan_ws = await http.ws_connect(f"{agent.url}/api/v1/scans/ws", headers=scanner)
            await scan_ws.send_json({"code": event.valid[0]})
            assert (await scan_ws.receive_json(timeout=10))["outcome"] == "admit"
            # a browser that has not authenticated yet is closed too
            waiting = await http.ws_connect(f"{agent.url}/api/v1/scans/ws")
            box_ws = await http.ws_connect(f"{agent.url}/api/v1/boxoffice/ws", headers=till)
            assert (await box_ws.receive_json(timeout=10))["type"] == "figures"
            t0 = time.monotonic()
            loop = asyncio.get_running_loop()
            rc = await loop.run_in_executor(None, agent.stop, signal.SIGTERM)
            elapsed = time.monotonic() - t0
            assert rc == 0, "".join(agent.log_lines)
            assert elapsed < PROMPT_S, f"took {elapsed:.1f} s to stop"
            for ws in (scan_ws, waiting, box_ws):  # each was told why, not just dropped
                msg = await ws.receive(timeout=5)
                assert msg.type is aiohttp.WSMsgType.CLOSE, msg
                assert msg.data == aiohttp.WSCloseCode.GOING_AWAY, msg
    finally:
        if agent.proc.poll() is None:
            agent.proc.kill()
