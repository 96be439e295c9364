"""A real pretix server on 127.0.0.1 for the ``pretix`` tests (SQLite, generated config).

Started from a copy of the migrated template (``environment``), in its own process group
so ``stop`` ends exactly what it started. ``api`` talks to it with the team token, for
reading back what the agent uploaded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.pretix.environment import HERE, PretixEnv


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PretixServer:
    def __init__(self, env: PretixEnv, workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.run_env = env.write_instance(workdir, self.base_url)
        self.proc: subprocess.Popen[bytes] | None = None
        self.team_token = ""

    def start(self, timeout_s: float = 120) -> None:
        shutil.copyfile(self.env.template, self.workdir / "data" / "db.sqlite3")
        log = (self.workdir / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [
                str(self.env.python),
                "-m",
                "pretix",
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
                "--skip-checks",
            ],
            env=self.run_env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pretix exited: {self.log_tail()}")
            try:
                urllib.request.urlopen(self.base_url + "/api/v1/version", timeout=2)  # loopback
                return
            except urllib.error.HTTPError:
                return  # 401: it answers
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"pretix did not answer: {self.log_tail()}") from None
                time.sleep(0.05)

    def log_tail(self, lines: int = 30) -> str:
        path = self.workdir / "server.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def make_fixtures(self, devices: int) -> dict[str, Any]:
        done = subprocess.run(
            [str(self.env.python), str(HERE / "make_fixtures.py"), self.base_url, str(devices)],
            env=self.run_env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"fixtures failed: {done.stderr[-3000:]}\n{self.log_tail()}")
        doc: dict[str, Any] = json.loads(done.stdout)
        self.team_token = doc["team_token"]
        return doc

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """``/api/v1`` + path with the team token; (status, JSON)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base_url}/api/v1{path}", data=data, method=method)
        req.add_header("Authorization", f"Token {self.team_token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:  # loopback only
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def all_pages(self, path: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        sep = "&" if "?" in path else "?"
        page = 1
        while True:
            status, doc = self.api("GET", f"{path}{sep}page={page}&page_size=50")
            assert status == 200, doc
            out += doc["results"]
            if not doc["next"]:
                return out
            page += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group this object started
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
