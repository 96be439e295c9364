"""``[mesh]``: several boxes at one venue acting as one gate (``docs/mesh.md``).

Declared here with its checks (``validate_mesh``) rather than in ``sections.py``, so
the mesh's keys stay in one place; ``config.example.toml`` documents each of them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from edge_agent.errors import ConfigError

UNCONFIRMED_POLICIES = ("admit", "refuse")
SERVER_MODES = ("child", "external")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_HOST_PORT = re.compile(r"[A-Za-z0-9.\-]{1,253}:[0-9]{1,5}")


@dataclass(frozen=True)
class MeshSection:
    #: Join this box's gates with the venue's other boxes. Off: a venue of one, nothing
    #: started. On and alone: the same, until a second box joins with a code.
    enabled: bool = False
    #: The box's name in the venue ("" = agent.agent_id); letters, digits, - and _.
    name: str = ""
    #: Address the box's NATS server listens on for the other boxes and their agents
    #: (the box's LAN address; "0.0.0.0" = every interface).
    listen: str = "127.0.0.1"
    #: NATS client port (agents; TLS and a member NKEY required).
    client_port: int = 4222
    #: NATS cluster route port (the other boxes' servers; TLS with a pinned member
    #: certificate required).
    route_port: int = 6222
    #: NATS monitoring port on 127.0.0.1 only (health, replicas); 0 = off.
    monitor_port: int = 0
    #: "host:port" the other boxes dial for routes to this one ("" = listen and
    #: route_port; required when listen is "0.0.0.0").
    advertise: str = ""
    #: "host" the other boxes' agents and devices reach this box at ("" = the host of
    #: advertise, else listen).
    public_host: str = ""
    #: Static route addresses ("host:port") of the other boxes; empty = from the
    #: venue's roster, kept current by zeroconf when discover is on.
    peers: tuple[str, ...] = ()
    #: Announce and find the other boxes with zeroconf (_gatehouse-mesh._tcp) on the
    #: interface with address public_host, so a box whose address changed is found.
    discover: bool = False
    #: What the gate does when a claim cannot reach a quorum within claim_budget_ms:
    #: "admit" (keep the doors moving; the admission is marked unconfirmed and checked
    #: when the boxes see each other again) or "refuse" (send the person to a supervisor).
    unconfirmed: str = "admit"
    #: Longest wait for a claim before the verdict is decided here, unconfirmed (ms).
    claim_budget_ms: int = 150
    #: How long a join code stays valid (seconds).
    join_code_ttl_s: int = 600
    #: "child": the agent runs and supervises nats-server; "external": it only writes
    #: the config (data_dir/mesh/nats.conf) for deploy/gatehouse-nats.service.
    server: str = "child"
    #: Most disk the box's JetStream store may use (nats-server size, e.g. "1GB").
    max_store: str = "1GB"

    def member_name(self, agent_id: str) -> str:
        return self.name or agent_id


def validate_mesh(m: MeshSection, agent_id: str, file: str) -> None:
    """Raise ``ConfigError`` naming the first ``mesh.*`` key that is not usable."""

    def bad(key: str, problem: str) -> ConfigError:
        return ConfigError(file, f"mesh.{key}", problem)

    if not m.enabled:
        return
    if not _NAME.fullmatch(m.member_name(agent_id)):
        raise bad("name", "expected letters, digits, - and _ (at most 32); agent_id is not one")
    _address(m.listen, "listen", bad)
    if m.public_host:
        _address(m.public_host, "public_host", bad)
    for key, port in (("client_port", m.client_port), ("route_port", m.route_port)):
        if not 1 <= port <= 65535:
            raise bad(key, "expected 1..65535")
    if not 0 <= m.monitor_port <= 65535:
        raise bad("monitor_port", "expected 0..65535 (0 = off)")
    if len({m.client_port, m.route_port, m.monitor_port} - {0}) < 2 + bool(m.monitor_port):
        raise bad("route_port", "client, route and monitor ports must differ")
    if m.advertise and not _HOST_PORT.fullmatch(m.advertise):
        raise bad("advertise", 'expected "host:port"')
    if m.listen == "0.0.0.0" and not m.advertise:  # noqa: S104 - compared, not bound
        raise bad("advertise", 'required when listen is "0.0.0.0" (which address to dial?)')
    for i, peer in enumerate(m.peers):
        if not _HOST_PORT.fullmatch(peer):
            raise bad(f"peers[{i}]", 'expected "host:port"')
    if m.unconfirmed not in UNCONFIRMED_POLICIES:
        raise bad("unconfirmed", 'expected "admit" or "refuse"')
    if not 20 <= m.claim_budget_ms <= 2000:
        raise bad("claim_budget_ms", "expected 20..2000 ms")
    if not 60 <= m.join_code_ttl_s <= 86_400:
        raise bad("join_code_ttl_s", "expected 60..86400 seconds")
    if m.server not in SERVER_MODES:
        raise bad("server", 'expected "child" or "external"')
    if not re.fullmatch(r"[0-9]+(KB|MB|GB|TB)?", m.max_store):
        raise bad("max_store", 'expected a size such as "1GB"')


def _address(value: str, key: str, bad: Callable[[str, str], ConfigError]) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise bad(key, f"expected an IP address, got {value!r}") from None
