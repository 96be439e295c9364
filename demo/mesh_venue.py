"""A venue of several real boxes on loopback: one demo event, N agents with ``[mesh]``.

Each box is a real ``edge-agent run`` process with its own data dir, LAN API port and
NATS client/route ports (its ``nats-server`` is the agent's supervised child); the
first box issues join codes and the others join through the real CLI path (the
control socket, then the member's ``POST /api/v1/mesh/join``). Used by
``gatehouse-demo --gates 3``, the mesh's tests and ``benchmarks/mesh.py``, so all three
run the same venue. Everything binds 127.0.0.1.

``routes`` lets a caller (the partition test) put its own proxy between the servers:
it maps a box name to the static ``[mesh] peers`` of that box, and the boxes then
advertise an address nobody listens on, so no route can bypass the proxy.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from demo.event import DemoEvent, make_demo_event
from edge_agent.cli.control_client import control_call

CLI = [sys.executable, "-m", "edge_agent.cli.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Box:
    name: str
    gate: str
    root: Path
    api_port: int
    client_port: int
    route_port: int
    proc: subprocess.Popen[str] | None = None
    log_lines: list[str] = field(default_factory=list)
    token: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def config_path(self) -> Path:
        return self.root / "config.toml"

    @property
    def control_socket(self) -> Path:
        return self.root / "data" / "control.sock"

    @property
    def ledger(self) -> Path:
        return self.root / "data" / "ledger.sqlite3"

    @property
    def server_pid(self) -> int | None:
        try:
            return int((self.root / "data" / "mesh" / "nats.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return control_call(self.control_socket, method, path, body)

    def status(self) -> dict[str, Any]:
        doc: dict[str, Any] = self.control("GET", "/control/mesh")
        return doc


class MeshVenue:
    def __init__(
        self,
        root: Path,
        n: int = 3,
        *,
        tickets: int = 60,
        unconfirmed: str = "admit",
        budget_ms: int = 150,
        routes: dict[str, list[str]] | None = None,
        log_level: str = "info",
        extra_config: str = "",
    ) -> None:
        self.root = root
        self.event: DemoEvent = make_demo_event(
            root / "event", tickets=tickets, now_s=int(time.time()), reentry=True
        )
        self.unconfirmed = unconfirmed
        self.budget_ms = budget_ms
        self.routes = routes or {}
        self.log_level = log_level
        #: TOML appended to every box's config (e.g. the gate rules' zones and lanes).
        self.extra_config = extra_config
        names = [f"box-{chr(ord('a') + i)}" for i in range(n)]
        self.boxes = [
            Box(
                name, f"Gate {name[-1].upper()}", root / name, free_port(), free_port(), free_port()
            )
            for name in names
        ]
        self.dead_port = free_port()
        #: Every box started, whether or not it is still in ``boxes`` (a test that
        #: removes a member keeps only the others there): ``stop_all`` stops them all.
        self.started: list[Box] = []
        for box in self.boxes:
            self.write_config(box)

    def box(self, name: str) -> Box:
        return next(b for b in self.boxes if b.name == name)

    def lone_box(self, name: str = "lone") -> Box:
        """A box of the same event without ``[mesh]`` (the benchmark's baseline)."""
        box = Box(name, "Gate L", self.root / name, free_port(), free_port(), free_port())
        self.write_config(box, mesh=False)
        return box

    def write_config(self, box: Box, *, mesh: bool = True) -> None:
        box.root.mkdir(parents=True, exist_ok=True)
        peers = self.routes.get(box.name, [])
        advertise = f"127.0.0.1:{self.dead_port}" if box.name in self.routes else ""
        keyring = self.event.root / "keyring.json"
        box.config_path.write_text(
            f"""[agent]
agent_id = "{box.name}"
data_dir = "data"
venue = "Demo Hall"

[event]
event_id = 1001
keyring = "{keyring}"

[gate]
id = "gate-{box.name[-1]}"
name = "{box.gate}"

[policy]
reentry = true
exit_scans = true

[api]
listen = ["127.0.0.1"]
port = {box.api_port}

[mesh]
enabled = {"true" if mesh else "false"}
listen = "127.0.0.1"
client_port = {box.client_port}
route_port = {box.route_port}
advertise = "{advertise}"
peers = {json.dumps(peers)}
unconfirmed = "{self.unconfirmed}"
claim_budget_ms = {self.budget_ms}

[log]
level = "{self.log_level}"
format = "json"
{self.extra_config}"""
        )

    # ---------------------------------------------------------------- processes
    def start(self, box: Box, timeout_s: float = 30.0) -> None:
        box.log_lines = []
        if all(box is not x for x in self.started):
            self.started.append(box)
        box.proc = subprocess.Popen(  # noqa: S603 - our own CLI, our own config
            [*CLI, "run", "--config", str(box.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        proc = box.proc

        log_file = box.root / "agent.log"  # every start appends: kept for a failed test

        def read() -> None:
            assert proc.stderr is not None
            with log_file.open("a", encoding="utf-8") as out:
                for line in proc.stderr:
                    box.log_lines.append(line)
                    out.write(line)
                    out.flush()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if box.control_socket.exists() and _accepts(box.api_port):
                return
            if proc.poll() is not None:
                break
            time.sleep(0.02)
        proc.kill()
        raise RuntimeError(f"{box.name} did not start:\n" + "".join(box.log_lines[-30:]))

    def kill(self, box: Box) -> None:
        """SIGKILL the agent and its nats-server (a box losing power)."""
        pid = box.server_pid
        if box.proc is not None and box.proc.poll() is None:
            box.proc.kill()
            box.proc.wait(10)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self, box: Box, timeout_s: float = 30.0) -> int | None:
        if box.proc is None or box.proc.poll() is not None:
            return None if box.proc is None else box.proc.returncode
        box.proc.send_signal(signal.SIGTERM)
        try:
            return box.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill(box)
            return None

    def stop_all(self) -> None:
        for box in [*self.boxes, *(x for x in self.started if all(x is not b for b in self.boxes))]:
            self.stop(box)

    # -------------------------------------------------------------------- venue
    def form(self, timeout_s: float = 60.0) -> None:
        """Start every box, join the others to the first, wait for quorum everywhere."""
        for box in self.boxes:
            self.start(box)
        first = self.boxes[0]
        for box in self.boxes[1:]:
            code = first.control("POST", "/control/mesh/join-codes")["code"]
            box.control("POST", "/control/mesh/join", {"via": first.url, "code": code})
        self.wait_quorum(self.boxes, timeout_s)

    def wait_quorum(self, boxes: list[Box], timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        waiting = list(boxes)
        while waiting and time.monotonic() < deadline:
            waiting = [b for b in waiting if not _ready(b.status(), len(self.boxes))]
            time.sleep(0.1)
        if waiting:
            raise RuntimeError(
                "no quorum at " + ", ".join(b.name for b in waiting) + ": "
                + json.dumps([b.status() for b in waiting])[:2000]
            )  # fmt: skip

    def pair(self, box: Box, role: str = "scanner") -> str:
        """A device token (paired at ``box``; it works at every member)."""
        code = box.control("POST", "/control/pairing-codes", {"role": role, "name": role})["code"]
        answer = http_json(f"{box.url}/api/v1/pair", {"code": code})
        token: str = answer["token"]
        return token


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _ready(status: dict[str, Any] | None, size: int) -> bool:
    if not status or not status.get("quorum") or status.get("expected") != size:
        return False
    stores = status.get("stores", {})
    want = min(3, size)
    return len(stores) == 2 and all(
        s.get("leader")
        and s.get("replicas_wanted") == want
        and sum(1 for r in s.get("replicas", []) if r.get("current")) == want
        for s in stores.values()
    )


def http_json(
    url: str, body: dict[str, Any] | None = None, token: str = "", timeout: float = 5.0
) -> Any:
    """One JSON request on loopback (errors' bodies are returned too, with ``_status``)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("the demo venue talks to loopback only")
    req = urllib.request.Request(  # noqa: S310 - http on loopback, checked above
        url, data=data, headers=headers, method="POST" if data else "GET"
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        doc = json.loads(exc.read() or b"{}")
        doc["_status"] = exc.code
        return doc
