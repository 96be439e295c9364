"""A slowloris against a real agent process while a paired scanner keeps scanning.
Prints one JSON object (``docs/hardening.md``, "The venue network").

The agent runs as a child with a lowered open-file limit (``--nofile``, soft and hard),
as the systemd unit's default of 1,024 would leave it, scaled down so the run is short.
``--connections`` sockets each send half a request (a request line and one header, never
the blank line) and then nothing; meanwhile a paired scanner posts a new ticket every
``--interval-ms``, half over one kept-alive connection and half over a fresh connection
each time. Figures: how many hostile sockets the agent still holds at the end, the
scanner's latencies and failures, and how many bytes the agent logged.

Everything runs on 127.0.0.1 and is bounded: ``--connections`` (default 300) and
``--seconds`` (default 20).
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import aiohttp  # noqa: E402

from demo.event import make_demo_event  # noqa: E402
from edge_agent.cli.control_client import control_request  # noqa: E402
from edge_agent.config.loading import load_config  # noqa: E402
from edge_agent.errors import GatehouseError  # noqa: E402

CLI = [sys.executable, "-m", "edge_agent.cli.main"]
HALF_REQUEST = b"POST /api/v1/scans HTTP/1.1\r\nHost: gate\r\nContent-Type: application/json\r\n"


class Agent:
    """``edge-agent run`` with RLIMIT_NOFILE lowered; counts the bytes it logs."""

    def __init__(self, config: Path, nofile: int) -> None:
        self.log_bytes = 0
        self.lines: list[str] = []

        def limit() -> None:  # in the child, before exec
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
            # the agent dies with this script, however it ends (PR_SET_PDEATHSIG)
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)

        self.config = config
        self.proc = subprocess.Popen(
            [*CLI, "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=limit,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.log_bytes += len(raw)
            if len(self.lines) < 100_000:
                self.lines.append(raw.decode("utf-8", "replace"))

    def _wait(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for line in list(self.lines):
                try:
                    doc = json.loads(line)
                except ValueError:
                    continue
                if doc.get("msg") == "listening":
                    return str(doc["urls"][0])
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.proc.kill()
        raise SystemExit("agent did not start:\n" + "".join(self.lines[-20:]))

    def pair_scanner(self, trust: ssl.SSLContext) -> dict[str, str]:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "edge_agent.cli.main",
                "pair",
                "--config",
                str(self.config),
                "--role",
                "scanner",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        code = json.loads(out.stdout)["code"]
        import urllib.request

        req = urllib.request.Request(
            f"{self.url}/api/v1/pair",
            data=json.dumps({"code": code}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10, context=trust) as resp:
            return {"Authorization": f"Bearer {json.loads(resp.read())['token']}"}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)


#: Loopback source addresses the hostile sockets come from (``--addresses``): 127.0.0.2…
SOURCES: list[str] = ["127.0.0.1"]


def open_hostile(
    host: str, port: int, n: int, deadline: float, data: bytes = HALF_REQUEST
) -> list[socket.socket]:
    """``n`` sockets with half a request each (connect failures are counted, not raised)."""
    socks = []
    for i in range(n):
        if time.monotonic() > deadline:
            break
        s = socket.socket()
        s.settimeout(2)
        try:
            s.bind((SOURCES[i % len(SOURCES)], 0))
            s.connect((host, port))
            if data:
                s.sendall(data)
        except OSError:
            s.close()
            continue
        s.setblocking(False)
        socks.append(s)
    return socks


def is_open(s: socket.socket) -> bool:
    """Not closed by the agent (no EOF, no reset, no answer waiting)."""
    try:
        s.recv(1, socket.MSG_PEEK)  # b"" (EOF: closed) or an answer: not held silently
    except BlockingIOError:
        return True  # nothing yet: still held open by the agent
    except OSError:
        return False  # reset
    return False


def still_open(socks: list[socket.socket]) -> int:
    return sum(1 for s in socks if is_open(s))


def keep_attacking(
    host: str, port: int, socks: list[socket.socket], stop_at: float, budget: int, data: bytes
) -> dict[str, int]:
    """Re-open every socket the agent closes (up to ``budget`` more), sampling how many
    the agent holds each half second: the attacker never lets go."""
    held_max, reopened = 0, 0
    while time.monotonic() < stop_at:
        alive = [s for s in socks if is_open(s)]
        held_max = max(held_max, len(alive))
        for s in socks:
            if s not in alive:
                s.close()
        want = min(len(socks) - len(alive), budget - reopened)
        reopened += max(0, want)
        socks[:] = alive + open_hostile(host, port, max(0, want), stop_at, data)
        time.sleep(0.5)
    return {"held_max": held_max, "reopened": reopened}


async def scanner(
    url: str,
    headers: dict[str, str],
    codes: list[str],
    stop_at: float,
    interval_s: float,
    trust: ssl.SSLContext,
) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=5)
    lat: dict[str, list[float]] = {"keepalive": [], "fresh": []}
    failed: dict[str, int] = {"keepalive": 0, "fresh": 0}
    i = 0
    kept_conn = aiohttp.TCPConnector(ssl=trust)
    async with aiohttp.ClientSession(timeout=timeout, connector=kept_conn) as kept:
        while time.monotonic() < stop_at and i < len(codes):
            kind = "keepalive" if i % 2 == 0 else "fresh"
            t0 = time.perf_counter()
            try:
                if kind == "keepalive":
                    async with kept.post(
                        f"{url}/api/v1/scans", json={"code": codes[i]}, headers=headers
                    ) as r:
                        ok = r.status == 200
                        await r.read()
                else:
                    conn = aiohttp.TCPConnector(force_close=True, ssl=trust)
                    async with (
                        aiohttp.ClientSession(timeout=timeout, connector=conn) as fresh,
                        fresh.post(
                            f"{url}/api/v1/scans", json={"code": codes[i]}, headers=headers
                        ) as r,
                    ):
                        ok = r.status == 200
                        await r.read()
            except (TimeoutError, aiohttp.ClientError, OSError):
                ok = False
            if ok:
                lat[kind].append((time.perf_counter() - t0) * 1000)
            else:
                failed[kind] += 1
            i += 1
            await asyncio.sleep(interval_s)

    def figures(xs: list[float]) -> dict[str, float | None]:
        if not xs:
            return {"p50_ms": None, "p99_ms": None, "max_ms": None}
        xs = sorted(xs)
        return {
            "p50_ms": round(statistics.median(xs), 2),
            "p99_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.99))], 2),
            "max_ms": round(xs[-1], 2),
        }

    return {
        kind: {"answered": len(lat[kind]), "failed": failed[kind], **figures(lat[kind])}
        for kind in lat
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this side needs its own fds
    with tempfile.TemporaryDirectory() as tmp:
        ev = make_demo_event(
            Path(tmp) / "event", tickets=2000, now_s=int(time.time()), rng=random.Random(3)
        )
        text = ev.config_path.read_text().partition("[log]")[0]
        if args.https:  # loopback stands in for a LAN address: HTTPS, TLS handshakes
            text += "[tls]\nloopback = true\n\n"
        ev.config_path.write_text(text + '[log]\nlevel = "info"\nformat = "json"\n')
        agent = Agent(ev.config_path, args.nofile)
        config = load_config(ev.config_path)
        ca = config.tls_dir / "venue-ca.crt"  # (a version before TLS has none)
        trust = ssl.create_default_context(cafile=str(ca) if ca.exists() else None)
        try:
            headers = agent.pair_scanner(trust)
            host, port = agent.url.split("://", 1)[1].rsplit(":", 1)
            t0 = time.monotonic()
            stop_at = t0 + args.seconds
            loop = asyncio.get_running_loop()
            scans = asyncio.create_task(
                scanner(agent.url, headers, ev.valid, stop_at, args.interval_ms / 1000, trust)
            )
            # over HTTPS a stranger opens the connection and never starts the handshake
            data = b"" if args.https else HALF_REQUEST
            socks = await loop.run_in_executor(
                None, open_hostile, host, int(port), args.connections, stop_at, data
            )
            opened = len(socks)
            opened_s = time.monotonic() - t0
            log_at_attack = agent.log_bytes
            pressure = {"held_max": still_open(socks), "reopened": 0}
            if args.sustain:
                pressure = await loop.run_in_executor(
                    None,
                    keep_attacking,
                    host,
                    int(port),
                    socks,
                    stop_at,
                    args.connections * 20,
                    data,
                )
            result = await scans
            held = still_open(socks)
            try:  # the agent's own count (a version before the bounds has none)
                status = await asyncio.wait_for(
                    control_request(config.control_socket, "GET", "/control/status", None), 5
                )
                conns = status.get("connections")
            except (GatehouseError, TimeoutError):  # (an agent out of files answers nothing)
                conns = None
            for s in socks:
                s.close()
            elapsed = time.monotonic() - t0
        finally:
            agent.stop()
    return {
        "nofile": args.nofile,
        "connections_tried": args.connections,
        "addresses": args.addresses,
        "connections_opened": opened,
        "opened_in_s": round(opened_s, 2),
        "sustained": args.sustain,
        "seconds": round(elapsed, 1),
        "held_open_max": max(pressure["held_max"], held),
        "held_open_at_end": held,
        "agent_connections": conns,
        "https": args.https,
        "reopened": pressure["reopened"],
        "scans": result,
        "log_bytes": agent.log_bytes,
        "log_bytes_during_attack": agent.log_bytes - log_at_attack,
        "log_lines": len(agent.lines),
        "log_bytes_per_s": round(agent.log_bytes / max(elapsed, 0.001)),
        "client_fd_limit": [soft, hard],
        "log_sample": sorted({_msg(line) for line in agent.lines})[:8] if args.show_log else None,
    }


def _msg(line: str) -> str:
    try:
        doc = json.loads(line)
    except ValueError:
        return line[:160]
    return f"{doc.get('level')} {doc.get('logger')}: {str(doc.get('msg'))[:120]}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--connections", type=int, default=300)
    p.add_argument("--nofile", type=int, default=256, help="the agent's open-file limit")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--interval-ms", type=float, default=100.0)
    p.add_argument("--show-log", action="store_true", help="the distinct log lines seen")
    p.add_argument("--https", action="store_true", help="the agent serves HTTPS ([tls] loopback)")
    p.add_argument(
        "--addresses",
        type=int,
        default=1,
        help="spread the hostile sockets over this many loopback addresses (127.0.0.2…)",
    )
    p.add_argument(
        "--sustain",
        action="store_true",
        help="re-open every socket the agent closes (up to 20x --connections more)",
    )
    p.add_argument("--json", action="store_true", help="(always JSON; kept for make bench)")
    p.add_argument("--short", action="store_true", help="100 connections, 8 s")
    args = p.parse_args()
    if args.short:
        args.connections, args.seconds = min(args.connections, 100), min(args.seconds, 8.0)
    if not 1 <= args.connections <= 5000 or not 1 <= args.seconds <= 300:
        raise SystemExit("bounded: --connections 1..5000, --seconds 1..300")
    if not 1 <= args.addresses <= 250:
        raise SystemExit("bounded: --addresses 1..250")
    if args.addresses > 1:
        SOURCES[:] = [f"127.0.0.{2 + i}" for i in range(args.addresses)]
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
