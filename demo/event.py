"""Builds a complete demo event on disk: keys, keyring, tickets, manifest, config.

Used by ``gatehouse-demo``, the integration tests and the benchmarks, so all three
exercise the same, realistic set-up (a platform key scoped to the event, GH1 tickets of
several types, plain codes, revocations of every kind, forged and foreign codes).
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from edge_agent.config.key_files import write_key_file
from edge_agent.config.loading import load_config
from edge_agent.config.sections import Config
from edge_agent.domain.base45 import b45decode, b45encode
from edge_agent.domain.keyring import dump_keyring, keyring_entry_for_platform
from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import encode_gh1, parse_gh1
from edge_agent.domain.trusted_key import key_id_of
from edge_agent.platform_link.manifest_file import Manifest, parse_manifest

GH1_PREFIX = "GH1:"
EVENT_ID = 1001
OTHER_EVENT_ID = 1002
TICKET_TYPES = {0: "General admission", 1: "VIP", 2: "Student", 3: "Backstage"}
#: The demo gate admits every type but backstage (which has its own door).
GATE_TYPES = (0, 1, 2)


@dataclass
class DemoCodes:
    """Scannable texts of the demo event, one list per kind of verdict they produce."""

    valid: list[str] = field(default_factory=list)
    backstage: list[str] = field(default_factory=list)
    revoked: dict[str, RevocationKind] = field(default_factory=dict)
    wrong_event: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    forged: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class DemoEvent(DemoCodes):
    root: Path
    config_path: Path
    config: Config
    manifest: Manifest
    platform_key: Ed25519PrivateKey


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def issue(
    key: Ed25519PrivateKey,
    event_id: int,
    ticket_type: int,
    *,
    valid_from: int = 0,
    valid_until: int = 0,
) -> str:
    body = TicketBody(
        key_id=key_id_of(raw_public(key)),
        event_id=event_id,
        ticket_id=secrets.token_bytes(16),
        ticket_type=ticket_type,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    return encode_gh1(body, key)


def forge(code: str) -> str:
    """Same body, a signature with one bit flipped: parses fine, must not verify."""
    raw = bytearray(b45decode(code[len(GH1_PREFIX) :]))
    raw[-1] ^= 0x01
    return GH1_PREFIX + b45encode(bytes(raw))


def make_demo_event(
    root: Path,
    *,
    tickets: int = 300,
    port: int = 0,
    now_s: int,
    reentry: bool = True,
    rng: random.Random | None = None,
) -> DemoEvent:
    rng = rng or random.Random()
    root.mkdir(parents=True, exist_ok=True)
    platform = Ed25519PrivateKey.generate()
    other_platform = Ed25519PrivateKey.generate()
    keyring = dump_keyring(
        [keyring_entry_for_platform(raw_public(platform), [EVENT_ID, OTHER_EVENT_ID])]
    )
    (root / "keyring.json").write_text(json.dumps(keyring, indent=2))
    keys_dir = root / "keys"
    keys_dir.mkdir(exist_ok=True, mode=0o700)
    key_file = keys_dir / "platform.key.json"
    write_key_file(key_file, platform)  # so `ticket issue --key` works on the demo
    ev = DemoCodes()
    for _ in range(tickets):
        ev.valid.append(issue(platform, EVENT_ID, rng.choice(GATE_TYPES)))
    for _ in range(max(3, tickets // 50)):
        ev.backstage.append(issue(platform, EVENT_ID, 3))
        ev.wrong_event.append(issue(platform, OTHER_EVENT_ID, 0))
        ev.foreign.append(issue(other_platform, EVENT_ID, 0))
        ev.expired.append(issue(platform, EVENT_ID, 0, valid_until=now_s - 86_400))
        ev.forged.append(forge(issue(platform, EVENT_ID, 0)))
    revocations = []
    kinds = list(RevocationKind)
    for i in range(max(len(kinds), tickets // 30)):
        code = issue(platform, EVENT_ID, 0)
        kind = kinds[i % len(kinds)]
        ev.revoked[code] = kind
        revocations.append({"ticket_id": parse_gh1(code).body.ticket_id_hex, "kind": kind.value})
    plain_rows = []
    for i in range(max(5, tickets // 20)):
        text = f"PLAIN-{rng.randrange(10**9):09d}-{i}"
        ev.plain.append(text)
        plain_rows.append({"code": text, "ticket_id": secrets.token_hex(16), "ticket_type": 0})
    manifest_doc = {
        "event_id": EVENT_ID,
        "ticket_types": [{"ticket_type": t, "name": n} for t, n in TICKET_TYPES.items()],
        "plain_codes": plain_rows,
        "revocations": revocations,
    }
    (root / "manifest.json").write_text(json.dumps(manifest_doc, indent=2))
    config_path = root / "config.toml"
    config_path.write_text(
        DEMO_CONFIG.format(
            port=port, types=", ".join(map(str, GATE_TYPES)), reentry=str(reentry).lower()
        )
    )
    return DemoEvent(
        root=root,
        config_path=config_path,
        config=load_config(config_path),
        manifest=parse_manifest(manifest_doc, str(root / "manifest.json"), now_s * 1000),
        platform_key=platform,
        **vars(ev),
    )


DEMO_CONFIG = """\
# Written by gatehouse-demo. Every key is documented in config.example.toml.
[agent]
agent_id = "demo-gate-box"
data_dir = "data"
venue = "Demo Hall"

[event]
event_id = 1001
keyring = "keyring.json"

[gate]
id = "gate-3"
name = "Gate 3"
allowed_ticket_types = [{types}]

[policy]
reentry = {reentry}
exit_scans = true
clock_skew_grace_s = 120

[api]
listen = ["127.0.0.1"]
port = {port}

[log]
level = "warning"
format = "text"
"""
