"""A venue on disk for the rules' integration tests: a platform key, its keyring, a
config with rule tables, GH1 codes, and a clock the test moves (the agent's clocks are
swapped for it, so a real agent lives through a whole evening)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from demo.event import issue, raw_public
from edge_agent.config.loading import load_config
from edge_agent.config.sections import Config
from edge_agent.domain.keyring import dump_keyring, keyring_entry_for_platform
from edge_agent.domain.ticket_codec import parse_gh1

BERLIN = ZoneInfo("Europe/Berlin")

HEAD = """\
[agent]
agent_id = "rules-box"
data_dir = "data"

[event]
event_id = {main}
keyring = "keyring.json"

[gate]
id = "gate-1"
name = "Gate 1"
timezone = "Europe/Berlin"
{gate}
[api]
listen = ["127.0.0.1"]
port = 0

[log]
level = "warning"
format = "text"
"""


@dataclass
class Clock:
    """The venue's time: the agent's wall *and* monotonic clocks (``runtime.clock_sources``),
    so moving it is time passing, not a wall clock jumping. Starts at the real time."""

    now_ms: int = field(default_factory=lambda: time.time_ns() // 1_000_000)

    def __call__(self) -> int:
        return self.now_ms

    def set(self, day: str, clock: str) -> None:
        """Local Berlin wall-clock time, e.g. ``set("2026-07-03", "18:30")``."""
        self.now_ms = int(
            datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=BERLIN).timestamp() * 1000
        )


@dataclass
class Venue:
    root: Path
    key: Ed25519PrivateKey
    config_path: Path
    clock: Clock = field(default_factory=Clock)

    @property
    def config(self) -> Config:
        return load_config(self.config_path)

    def code(self, event_id: int, ticket_type: int) -> str:
        return issue(self.key, event_id, ticket_type)


def ticket_id(code: str) -> str:
    return parse_gh1(code).body.ticket_id_hex


def make_venue(
    root: Path, main: int, rules: str, monkeypatch: pytest.MonkeyPatch, gate: str = ""
) -> Venue:
    """``gate``: more ``[gate]`` keys (``lists = [...]``, ``zone = "..."``)."""
    root.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    (root / "keyring.json").write_text(
        json.dumps(dump_keyring([keyring_entry_for_platform(raw_public(key))]))
    )
    path = root / "config.toml"
    path.write_text(HEAD.format(main=main, gate=gate) + "\n" + rules)
    venue = Venue(root, key, path)
    use_clock(monkeypatch, venue.clock)
    return venue


def use_clock(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    """The agent started after this lives on ``clock`` (its trusted clock's wall and
    monotonic sources, and the runtime's own ``wall_clock_ms``)."""
    monkeypatch.setattr("edge_agent.runtime.wall_clock_ms", clock)
    monkeypatch.setattr("edge_agent.runtime.clock_sources", lambda: (clock, clock))
