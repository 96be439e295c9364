"""``edge-agent keys ...``: a venue tech's key tooling.

Enough to run a gate test without the platform: make a platform key, write a keyring
for it, certify a door agent's key, then ``ticket issue`` and scan. Private keys only
ever go to files created with mode 0600; nothing here prints one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.config.key_files import (
    KeyFile,
    KeyFileError,
    read_json_file,
    read_key_file,
    write_json_file,
    write_key_file,
)
from edge_agent.domain.agent_certificate import U32_MAX, b64url_encode, issue_certificate
from edge_agent.domain.errors import KeyringError
from edge_agent.domain.keyring import (
    dump_keyring,
    keyring_entry_for_agent,
    keyring_entry_for_platform,
    keyring_entry_for_pretix,
    load_keyring,
    rotation_entry,
)
from edge_agent.domain.pretix_keys import read_valid_keys
from edge_agent.domain.rotating import event_secret
from edge_agent.errors import GatehouseError


class KeysUsageError(GatehouseError):
    """Arguments that parse but make no sense together (e.g. an inverted window)."""


def u32(text: str) -> int:
    """argparse type: an unsigned 32-bit integer (event ids and unix times in GH1)."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= value <= U32_MAX:
        raise argparse.ArgumentTypeError(f"{value} is outside 0..4294967295")
    return value


def event_list(text: str) -> list[int]:
    """argparse type: ``1001,1002`` → ``[1001, 1002]`` (order kept, duplicates dropped)."""
    events: list[int] = []
    for part in text.split(","):
        value = u32(part.strip())
        if value not in events:
            events.append(value)
    return events


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    keys = sub.add_parser("keys", help="make keys, keyrings and agent certificates")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="KEYS_COMMAND")
    keys_sub.required = True

    new = keys_sub.add_parser("new", help="create an Ed25519 key file (mode 0600)")
    new.add_argument("--out", type=Path, required=True, help="key file to create")
    new.set_defaults(func=cmd_new)

    show = keys_sub.add_parser("show", help="print a key file's public key and key id")
    show.add_argument("file", type=Path, metavar="FILE")
    show.set_defaults(func=cmd_show)

    ring = keys_sub.add_parser("keyring", help="write a keyring for a platform key")
    ring.add_argument("--platform-key", type=Path, required=True, metavar="KEYFILE")
    ring.add_argument(
        "--events",
        type=event_list,
        default=None,
        help="events the platform key may sign, e.g. 1001,1002 (default: any event)",
    )
    ring.add_argument(
        "--agent-entry",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="agent entry from 'keys certify' (repeatable)",
    )
    ring.add_argument(
        "--rotating",
        action="store_true",
        help="add each --events event's rotation secret, so gates can check rotating codes"
        " (docs/formats/rotating-v1.md); the file then holds secrets (written 0600)",
    )
    ring.add_argument("--out", type=Path, required=True, help="keyring file to write")
    ring.set_defaults(func=cmd_keyring)

    certify = keys_sub.add_parser("certify", help="certify a door agent's key")
    certify.add_argument("--issuer", type=Path, required=True, metavar="PLATFORM_KEYFILE")
    certify.add_argument("--agent-key", type=Path, required=True, metavar="AGENT_KEYFILE")
    certify.add_argument("--agent-id", required=True)
    certify.add_argument("--events", type=event_list, required=True, help="e.g. 1001,1002")
    certify.add_argument("--not-before", type=u32, required=True, metavar="UNIX")
    certify.add_argument("--not-after", type=u32, required=True, metavar="UNIX")
    certify.add_argument("--out", type=Path, default=None, help="write the entry here")
    certify.set_defaults(func=cmd_certify)

    pretix = keys_sub.add_parser(
        "import-pretix", help="add a pretix event's signing keys (valid_keys) to a keyring"
    )
    pretix.add_argument(
        "--valid-keys",
        type=Path,
        required=True,
        metavar="FILE",
        help='pretix\'s {"pretix_sig1": [...]} object (or the event JSON holding it)',
    )
    pretix.add_argument("--event", type=u32, required=True, metavar="ID", help="Gatehouse event")
    pretix.add_argument(
        "--keyring", type=Path, required=True, metavar="FILE", help="created if missing"
    )
    pretix.set_defaults(func=cmd_import_pretix)


def _read_key(path: Path) -> KeyFile:
    key = read_key_file(path)
    for warning in key.warnings:
        print(f"edge-agent: warning: {warning}", file=sys.stderr)
    return key


def cmd_new(args: argparse.Namespace) -> int:
    out: Path = args.out
    private_key = Ed25519PrivateKey.generate()
    write_key_file(out, private_key)
    key = read_key_file(out)
    print(f"wrote {out} (key id {key.key_id.hex()})")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    key = _read_key(args.file)
    doc = {"public_key": b64url_encode(key.public_raw), "key_id": key.key_id.hex()}
    print(json.dumps(doc))
    return 0


def cmd_keyring(args: argparse.Namespace) -> int:
    platform = _read_key(args.platform_key)
    entries = [keyring_entry_for_platform(platform.public_raw, args.events)]
    for path in args.agent_entry:
        entry = read_json_file(path, "agent entry")
        if not isinstance(entry, dict) or entry.get("role") != "agent":
            raise KeyFileError(path, "not an agent keyring entry (make one with 'keys certify')")
        entries.append(entry)
    rotation = []
    if args.rotating:
        if not args.events:
            raise KeysUsageError("--rotating needs --events: the events whose secrets to add")
        private_raw = platform.private_key.private_bytes_raw()
        rotation = [rotation_entry(e, event_secret(private_raw, e)) for e in args.events]
    doc = dump_keyring(entries, rotation)
    try:
        keyring = load_keyring(doc)
    except KeyringError as exc:
        raise KeysUsageError(f"keyring would be invalid: {exc}") from None
    if keyring.warnings:
        # An agent entry that would be dropped is a mistake here, not something to ship.
        raise KeysUsageError("; ".join(keyring.warnings))
    write_json_file(args.out, doc, secret=bool(rotation))
    secrets = f", rotation secrets for {len(rotation)} events" if rotation else ""
    print(f"wrote {args.out} ({len(keyring.keys)} keys{secrets})")
    return 0


def cmd_certify(args: argparse.Namespace) -> int:
    if args.not_before > args.not_after:
        raise KeysUsageError("--not-before is after --not-after")
    issuer = _read_key(args.issuer)
    agent = _read_key(args.agent_key)
    if agent.public_raw == issuer.public_raw:
        raise KeysUsageError("the agent key and the issuer key are the same key")
    cert = issue_certificate(
        issuer.private_key,
        agent_id=args.agent_id,
        agent_public_key=agent.public_raw,
        events=args.events,
        not_before=args.not_before,
        not_after=args.not_after,
    )
    entry = keyring_entry_for_agent(cert)
    if args.out is None:
        print(json.dumps(entry, indent=2))
    else:
        write_json_file(args.out, entry)
        print(f"wrote {args.out} (agent {cert.agent_id}, key id {agent.key_id.hex()})")
    return 0


def cmd_import_pretix(args: argparse.Namespace) -> int:
    """pretix's keys become ``pretix_sig1`` issuer keys scoped to ``--event``; a key the
    keyring already holds for other events gains this one (pretix rotates keys, and one
    keyring may serve several events)."""
    try:
        keys = read_valid_keys(read_json_file(args.valid_keys, "valid_keys"))
    except KeyringError as exc:
        raise KeyFileError(args.valid_keys, str(exc)) from None
    if not keys:
        raise KeyFileError(args.valid_keys, "holds no pretix_sig1 key (has the event a ticket?)")
    path: Path = args.keyring
    doc = read_json_file(path, "keyring") if path.exists() else {"keys": []}
    try:
        load_keyring(doc)
    except KeyringError as exc:
        raise KeyFileError(path, f"keyring rejected: {exc}") from None
    assert isinstance(doc, dict)
    entries: list[dict[str, Any]] = list(doc["keys"])
    added = 0
    for raw in keys:
        public = b64url_encode(raw)
        entry = next((e for e in entries if e.get("public_key") == public), None)
        if entry is None:
            entries.append(keyring_entry_for_pretix(raw, [args.event]))
            added += 1
        elif entry.get("scheme") != "pretix_sig1":
            raise KeysUsageError(f"{path}: key {public} is already there for another scheme")
        elif entry.get("events") is not None and args.event not in entry["events"]:
            entry["events"] = sorted({*entry["events"], args.event})
    doc = {**doc, "keys": entries}
    try:
        load_keyring(doc)
    except KeyringError as exc:
        raise KeysUsageError(f"keyring would be invalid: {exc}") from None
    # a keyring with events' rotation secrets stays a secret file (0600)
    write_json_file(path, doc, secret=bool(doc.get("rotation")))
    print(f"wrote {path} ({len(keys)} pretix_sig1 key(s) for event {args.event}, {added} new)")
    return 0
