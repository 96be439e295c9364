"""The member's ``nats-server`` config, rendered from the roster (a pure function).

What the config says, and why:

- **TLS first, mutual, pinned** on the client listener: ``handshake_first`` makes a
  stranger's first bytes a TLS ClientHello, so it never even sees the server's INFO
  (names, addresses); ``verify`` demands a client certificate from the venue CA, and
  ``pinned_certs`` narrows that to the members' own keys (a removed member's pin is
  dropped on reload and its connections are closed).
- **Accounts with NKEY users**: account ``VENUE`` (JetStream) has one user per member
  agent; ``SYS`` has one admin user per member (peer removal, step-downs). A valid
  certificate without a member's NKEY seed still gets "Authorization Violation".
- **Routes**: mutual TLS with the same pins; ``routes`` lists the other members (or the
  static ``[mesh] peers``). ``advertise`` is what other servers learn to dial.
- **JetStream** stores under the agent's data dir. The agent stops the server with
  SIGTERM, which hands stream leadership over (tens of ms) instead of leaving the
  others to a 4–9 s election.

A venue of one box renders nothing (``docs/mesh.md``: a cluster block without routes is
fatal to nats-server, and a standalone store cannot later join a cluster).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from edge_agent.mesh.roster import Roster

CLUSTER_NAME = "gatehouse"


@dataclass(frozen=True)
class ServerPaths:
    ca: Path
    cert: Path
    key: Path
    store_dir: Path
    pid_file: Path
    log_file: Path


@dataclass(frozen=True)
class ServerPorts:
    listen: str
    client_port: int
    route_port: int
    #: Monitoring (healthz, jsz) on 127.0.0.1 only; 0 = off.
    monitor_port: int = 0
    #: "host:port" other servers are told to dial for routes ("" = listen:route_port).
    advertise: str = ""


def _q(value: str) -> str:
    """A quoted HOCON string (JSON string syntax is valid HOCON)."""
    return json.dumps(value)


def route_urls(roster: Roster, me: str, peers: Sequence[str] = ()) -> list[str]:
    """Where this member's server dials: the static peers when configured, else every
    other member's advertised route address."""
    targets = list(peers) if peers else [m.route for m in roster.members if m.name != me]
    return [f"nats-route://{t}" for t in targets]


def render_config(
    roster: Roster,
    me: str,
    paths: ServerPaths,
    ports: ServerPorts,
    *,
    peers: Sequence[str] = (),
    max_file_store: str = "1GB",
) -> str:
    """The config text for member ``me`` of ``roster`` (which must have 2+ members)."""
    if roster.size < 2 or roster.member(me) is None:
        raise ValueError("a server config needs this member and at least one other")
    pins = "\n".join(f"      {_q(m.pin)}  # {m.name}" for m in roster.members)
    venue_users = "\n".join(f"      {{ nkey: {m.agent_nkey} }}  # {m.name}" for m in roster.members)
    admin_users = "\n".join(f"      {{ nkey: {m.admin_nkey} }}  # {m.name}" for m in roster.members)
    routes = "\n".join(f"    {_q(u)}" for u in route_urls(roster, me, peers))
    advertise = f"  advertise: {_q(ports.advertise)}\n" if ports.advertise else ""
    monitor = f"http: {_q(f'127.0.0.1:{ports.monitor_port}')}\n" if ports.monitor_port else ""
    tls_files = (
        f"    cert_file: {_q(str(paths.cert))}\n"
        f"    key_file: {_q(str(paths.key))}\n"
        f"    ca_file: {_q(str(paths.ca))}\n"
    )
    return f"""# Written by edge-agent for mesh member {me} of venue {roster.venue_id}.
# Do not edit: the agent renders it again from the roster at every change.
server_name: {_q(me)}
listen: {_q(f"{ports.listen}:{ports.client_port}")}
{monitor}pid_file: {_q(str(paths.pid_file))}
log_file: {_q(str(paths.log_file))}
logfile_size_limit: 10MB
max_payload: 4MB

tls {{
{tls_files}    verify: true
    timeout: 2
    handshake_first: true
    pinned_certs: [
{pins}
    ]
}}

jetstream {{
  store_dir: {_q(str(paths.store_dir))}
  max_memory_store: 64MB
  max_file_store: {max_file_store}
}}

accounts {{
  VENUE: {{
    jetstream: enabled
    users: [
{venue_users}
    ]
  }}
  SYS: {{
    users: [
{admin_users}
    ]
  }}
}}
system_account: SYS

cluster {{
  name: {CLUSTER_NAME}
  listen: {_q(f"{ports.listen}:{ports.route_port}")}
{advertise}  tls {{
{tls_files}    verify: true
    timeout: 2
    pinned_certs: [
{pins}
    ]
  }}
  routes: [
{routes}
  ]
}}
"""
