"""Runs ``edge-agent run`` as a real child process and finds where it listens."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "edge_agent.cli.main"]


DEMO = [sys.executable, "-m", "demo"]


def demo_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """``gatehouse-demo ARGS`` as a child process."""
    return subprocess.run(
        [*DEMO, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def set_log(config_path: Path, level: str = "info", fmt: str = "json") -> None:
    text = config_path.read_text()
    head, _, _ = text.partition("[log]")
    config_path.write_text(head + f'[log]\nlevel = "{level}"\nformat = "{fmt}"\n')


class AgentProcess:
    """The agent as a child process; every line it logs is kept in ``log_lines``."""

    def __init__(
        self, config_path: Path, log_level: str = "info", *, nofile: int | None = None
    ) -> None:
        """``nofile``: the child's open-file limit (soft and hard), as a unit would set."""
        set_log(config_path, log_level)
        self.config_path = config_path
        self.log_lines: list[str] = []

        def limit_files() -> None:  # in the child, before exec
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen(
            [*CLI, "run", "--config", str(config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=limit_files if nofile is not None else None,
        )
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        self.url = self._wait_listening()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log_lines.append(line)

    def _wait_listening(self, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for line in self.log_lines[seen:]:
                seen += 1
                try:
                    doc: dict[str, Any] = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if doc.get("msg") == "listening":
                    url: str = doc["urls"][0]
                    return url
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.proc.kill()
        raise AssertionError("agent did not start:\n" + "".join(self.log_lines))

    def pair(self, role: str = "scanner") -> dict[str, str]:
        import urllib.request

        out = cli("pair", "--config", str(self.config_path), "--role", role, "--json")
        assert out.returncode == 0, out.stderr
        code = json.loads(out.stdout)["code"]
        req = urllib.request.Request(
            f"{self.url}/api/v1/pair",
            data=json.dumps({"code": code}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as resp:  # loopback only
            token = json.loads(resp.read())["token"]
        return {"Authorization": f"Bearer {token}"}

    def stop(self, sig: int | None, timeout: float = 20) -> int:
        """Send ``sig`` (None: it was sent already) and wait for the exit status."""
        if sig is not None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self._reader.join(timeout=5)
