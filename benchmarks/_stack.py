"""The real processes the end-to-end benchmarks run against, and how they read figures.

Why one module: ``boxoffice.py`` and ``sync.py`` (and whatever measures the whole stack
next) each started a ``gatehouse-platform serve`` child, enrolled an ``edge-agent run``
child with it as docs/install.md says, waited for it to be ready and took percentiles —
copies that drifted (one agent checked its exit code, the other not). Everything here runs
on loopback as it does at a venue; benchmarks must not import from ``tests/``.

Import it as ``benchmarks._stack`` after the benchmark's own path fix, which must run
before anything of the project is imported (so it cannot live here): a benchmark is run as
``python benchmarks/NAME.py``, so ``benchmarks/`` comes first on ``sys.path`` and
``benchmarks/sync.py`` would shadow the ``sync`` package. The fix takes that directory off
``sys.path`` and puts the checkout on::

    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.path.insert(0, str(_HERE.parent))
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.cli.control_client import control_request
from edge_agent.config.key_files import write_key_file
from edge_agent.config.loading import load_config
from edge_agent.config.sections import Config
from edge_agent.domain.agent_certificate import b64url_encode
from reference_platform.admin_client import AdminClient
from reference_platform.data_dir import read_admin_token

BIN = Path(sys.executable).parent
PLATFORM = str(BIN / "gatehouse-platform")
AGENT = str(BIN / "edge-agent")
#: How often a wait polls the agent's control socket.
POLL_S = 0.1
#: An enrolled agent's config: ``[sync]`` points at the platform, nothing else is tuned.
CONFIG = """\
[agent]
agent_id = "{agent_id}"
data_dir = "data"

[event]
event_id = {event_id}
keyring = "keyring.json"

[api]
listen = ["127.0.0.1"]
port = 0

[sync]
platform_url = "{url}"
token_file = "agent.token"
manifest_interval_s = 3600
upload_interval_s = 3600

[log]
level = "info"
format = "json"
"""


# ------------------------------------------------------------------ figures


def percentile(values: Sequence[float], q: float) -> float:
    """The value below which a fraction ``q`` of ``values`` lie (nearest rank, no
    interpolation: a figure that was measured)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def stats(ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and max of timings in milliseconds, rounded to 0.01 ms."""
    return {
        "p50": round(statistics.median(ms), 2),
        "p95": round(percentile(ms, 0.95), 2),
        "max": round(max(ms), 2),
    }


# ------------------------------------------------------------------ the agent


class Agent:
    """``edge-agent run`` as a child; each JSON log line is stamped when it arrives."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.lines: list[tuple[float, dict[str, Any]]] = []
        self.spawned = time.perf_counter()
        self.proc = subprocess.Popen(
            [AGENT, "run", "--config", str(config.source)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = ""

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            stamp = time.perf_counter()
            try:
                doc = json.loads(line)
            except json.JSONDecodeError:
                doc = {"msg": line.rstrip()}
            self.lines.append((stamp, doc))

    def seen(self, msg: str) -> tuple[float, dict[str, Any]] | None:
        """The first log line with this ``msg`` and when it arrived, if it has."""
        for stamp, doc in list(self.lines):
            if doc.get("msg") == msg:
                return stamp, doc
        return None

    async def listening(self, timeout_s: float = 60) -> float:
        """Seconds from spawn to the "listening" line (which also gives ``url``)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            hit = self.seen("listening")
            if hit is not None:
                self.url = hit[1]["urls"][0]
                return hit[0] - self.spawned
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.01)
        self.proc.kill()
        raise RuntimeError("agent did not start:\n" + "\n".join(str(d) for _, d in self.lines))

    async def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await control_request(self.config.control_socket, method, path, body)

    async def sync_status(self) -> dict[str, Any]:
        status = await self.control("GET", "/control/status")
        doc: dict[str, Any] = status["sync"]
        return doc

    async def wait_for(self, done: Callable[[dict[str, Any]], bool], timeout_s: float) -> float:
        """Poll the sync status until ``done(status)``; perf_counter when it was."""
        deadline = time.monotonic() + timeout_s
        doc: dict[str, Any] = {}
        while time.monotonic() < deadline:
            doc = await self.sync_status()
            if done(doc):
                return time.perf_counter()
            if self.proc.poll() is not None:
                raise RuntimeError(f"agent exited with {self.proc.returncode}")
            await asyncio.sleep(POLL_S)
        raise RuntimeError(f"timed out after {timeout_s} s; sync status: {doc}")

    async def manifest_applied(self, timeout_s: float = 60) -> float:
        """Wait until the agent has applied the platform's first manifest."""
        return await self.wait_for(lambda s: s["manifest"]["at"] is not None, timeout_s)

    async def sync_now(self) -> None:
        answer = await self.control("POST", "/control/sync/now")
        if not answer["completed"] or answer["sync"]["last_error"]:
            raise RuntimeError(f"sync now: {answer}")

    async def pairing_code(self, role: str) -> str:
        code: str = (await self.control("POST", "/control/pairing-codes", {"role": role}))["code"]
        return code

    async def pair(self, http: aiohttp.ClientSession, role: str) -> dict[str, str]:
        """A new paired device of ``role``: its Authorization header, for ``http``."""
        code = await self.pairing_code(role)
        async with http.post(f"{self.url}/api/v1/pair", json={"code": code}) as r:
            token = (await r.json())["token"]
        return {"Authorization": f"Bearer {token}"}

    async def pair_scanner(self) -> str:
        """A new paired scanner's token, paired without an HTTP session (``scan``)."""
        code = await self.pairing_code("scanner")
        answer = await asyncio.to_thread(self._post, "/api/v1/pair", {"code": code}, None)
        token: str = answer["token"]
        return token

    def _post(self, path: str, body: dict[str, Any], token: str | None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(
            self.url + path, json.dumps(body).encode(), headers, method="POST"
        )
        with urllib.request.urlopen(req, timeout=10) as resp:  # loopback only
            return json.loads(resp.read())

    async def scan(self, token: str, code: str) -> str:
        """One ``POST /api/v1/scans``; its ``outcome:reason``."""
        answer = await asyncio.to_thread(self._post, "/api/v1/scans", {"code": code}, token)
        return f"{answer['outcome']}:{answer['reason']}"

    async def stop(self) -> None:
        """SIGTERM and wait; an agent that does not exit cleanly fails the benchmark."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(self.proc.wait, 60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self._reader.join(timeout=5)
        if code != 0:
            raise RuntimeError(f"agent exited with {code}")


# ------------------------------------------------------------------ the platform


@dataclass
class Platform:
    """``gatehouse-platform serve`` as a child, and an admin client for it."""

    data_dir: Path
    proc: subprocess.Popen[str]
    url: str
    admin: AdminClient

    @classmethod
    async def start(cls, data_dir: Path) -> Platform:
        proc, url = await asyncio.to_thread(_serve_platform, data_dir)
        return cls(data_dir, proc, url, AdminClient(url, read_admin_token(data_dir)))

    async def create_event(self, event_id: int, capacity: int = 100) -> None:
        """The event and its ticket type 0 ("General admission", 45.00)."""
        await self.admin.create_event(
            event_id, "Benchmark night", "Loopback Hall", 1_798_747_200_000
        )
        await self.admin.put_ticket_type(event_id, 0, "General admission", capacity, 4500)

    def seed(self, event_id: int, tickets: int) -> float:
        """``gatehouse-platform seed``: ``tickets`` plain-code tickets; seconds it took."""
        t0 = time.perf_counter()
        subprocess.run(
            [PLATFORM, "seed", "--data", str(self.data_dir), "--event", str(event_id),
             "--tickets", str(tickets), "--type", "0"],
            check=True, capture_output=True,
        )  # fmt: skip
        return time.perf_counter() - t0

    async def issue_plain(self, event_id: int, count: int) -> list[str]:
        """``count`` plain-code tickets of type 0 sold through the admin API (orders of
        at most 50); their codes."""
        codes: list[str] = []
        while len(codes) < count:
            order = {
                "customer_name": "Bench Customer",
                "customer_email": "bench@example.org",
                "purchased_at_ms": 1_767_000_000_000,
                "payment": {"brand": "visa", "last4": "4242"},
                "tickets": [
                    {"ticket_type": 0, "code": "plain"} for _ in range(min(50, count - len(codes)))
                ],
            }
            doc = await self.admin.create_order(event_id, order)
            codes += [t["code"] for t in doc["tickets"]]
        return codes

    async def enrol_agent(self, root: Path, agent_id: str, event_id: int) -> Config:
        """An agent enrolled as docs/install.md says: key → ``enrol`` → token file 0600.

        The private key goes where the agent signs with it (door-sold tickets, chain
        checkpoints): a checkpoint signed with any other key is refused by the platform,
        which halts that upload stream and fails ``sync now``.
        """
        key = Ed25519PrivateKey.generate()
        public = b64url_encode(key.public_key().public_bytes_raw())
        token = (await self.admin.enrol(event_id, agent_id, public))["token"]
        text = CONFIG.format(agent_id=agent_id, event_id=event_id, url=self.url)
        config = await asyncio.to_thread(_write_agent_files, root, token, text)
        config.agent.data_dir.mkdir(parents=True, mode=0o700)
        write_key_file(config.agent_key_path, key)
        return config

    async def stop(self) -> None:
        await self.admin.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.proc.wait, 30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _serve_platform(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    subprocess.run([PLATFORM, "init", "--data", str(data_dir)], check=True, capture_output=True)
    proc = subprocess.Popen(
        [PLATFORM, "serve", "--data", str(data_dir), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    url: str = json.loads(proc.stdout.readline())["url"]
    return proc, url


def _write_agent_files(root: Path, token: str, config_text: str) -> Config:
    """What docs/install.md has the operator do: token file 0600, config with [sync]."""
    root.mkdir(parents=True)
    fd = os.open(root / "agent.token", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    (root / "keyring.json").write_text('{"keys": []}\n')
    path = root / "config.toml"
    path.write_text(config_text)
    return load_config(path)
