"""Generate the rotating-code golden vectors: ``rotating_vectors.jsonl`` and
``rotating_keyring.json`` (``docs/formats/rotating-v1.md``).

Deterministic (fixed key seed, fixed ticket ids, HKDF and HMAC are deterministic), so a
re-run reproduces the files byte for byte. Run it only when the vectors must change:

    .venv/bin/python tests/golden/make_rotating_vectors.py

Each line: ``name``, ``code`` (as the phone showed it), ``shown_at`` (the phone's time),
``at`` (the gate's time), ``ticket_secret`` (hex: what the phone holds), ``expected``
(the exact ``ticket inspect`` object).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.base45 import b45decode, b45encode
from edge_agent.domain.keyring import (
    dump_keyring,
    keyring_entry_for_platform,
    load_keyring,
    rotation_entry,
)
from edge_agent.domain.rotating import (
    ROTATING_PREFIX,
    encode_rotating,
    event_secret,
    step_at,
    ticket_secret,
)
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import encode_gh1
from edge_agent.domain.trusted_key import key_id_of
from edge_agent.domain.verification import inspect_code

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "rotating_vectors.jsonl"
KEYRING = HERE / "rotating_keyring.json"
EVENT, NO_SECRET_EVENT = 2001, 2002
AT = 1767260007  # the gate's clock for most vectors (step 117817333)

#: name -> (phone time relative to AT in seconds, the verdict the spec requires)
TIMED = {
    "current_step": (0, "ok"),
    "one_step_behind": (-15, "ok"),
    "one_step_ahead": (15, "ok"),
    "two_steps_old": (-30, "stale_code"),
    "two_steps_ahead": (30, "stale_code"),
    "screenshot_replayed_10_min_later": (-600, "stale_code"),
}


def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"rotating-v1 platform").digest())


def _gh1(key: Ed25519PrivateKey, event: int, name: str) -> tuple[str, bytes]:
    raw = key.public_key().public_bytes_raw()
    ticket_id = hashlib.sha256(name.encode()).digest()[:16]
    body = TicketBody(key_id=key_id_of(raw), event_id=event, ticket_id=ticket_id, ticket_type=1)
    return encode_gh1(body, key), ticket_id


def build() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    key = _key()
    private_raw = key.private_bytes_raw()
    event_key = event_secret(private_raw, EVENT)
    keyring_doc = dump_keyring(
        [keyring_entry_for_platform(key.public_key().public_bytes_raw(), [EVENT, NO_SECRET_EVENT])],
        [rotation_entry(EVENT, event_key)],
    )
    keyring = load_keyring(keyring_doc)
    rows: list[dict[str, Any]] = []

    def add(name: str, code: str, shown_at: int, secret: bytes, reason: str) -> None:
        expected = inspect_code(code, keyring, None, AT)
        assert expected["reason"] == reason, (name, expected)
        rows.append(
            {"name": name, "code": code, "shown_at": shown_at, "at": AT,
             "ticket_secret": secret.hex(), "expected": expected}
        )  # fmt: skip

    gh1, ticket_id = _gh1(key, EVENT, "ticket-1")
    secret = ticket_secret(event_key, ticket_id)
    for name, (delta, reason) in TIMED.items():
        add(name, encode_rotating(gh1, secret, step_at(AT + delta)), AT + delta, secret, reason)
    good = encode_rotating(gh1, secret, step_at(AT))
    raw = bytearray(b45decode(good[len(ROTATING_PREFIX) :]))
    raw[-1] ^= 0x01  # one bit of the one-time value
    add("value_bit_flipped", ROTATING_PREFIX + b45encode(bytes(raw)), AT, secret, "bad_signature")
    other_secret = ticket_secret(event_key, b"\x00" * 16)
    add("value_of_another_ticket", encode_rotating(gh1, other_secret, step_at(AT)), AT,
        other_secret, "bad_signature")  # fmt: skip
    raw = bytearray(b45decode(good[len(ROTATING_PREFIX) :]))
    raw[99] ^= 0x01  # one bit of the static part's Ed25519 signature
    add("static_signature_broken", ROTATING_PREFIX + b45encode(bytes(raw)), AT, secret,
        "bad_signature")  # fmt: skip
    gh1_other, other_id = _gh1(key, NO_SECRET_EVENT, "ticket-2")
    nokey_secret = ticket_secret(event_secret(private_raw, NO_SECRET_EVENT), other_id)
    add("event_without_rotation_secret", encode_rotating(gh1_other, nokey_secret, step_at(AT)),
        AT, nokey_secret, "unknown_key")  # fmt: skip
    add("truncated", good[:-3], AT, secret, "malformed")
    return keyring_doc, rows


def main() -> None:
    keyring_doc, rows = build()
    KEYRING.write_text(json.dumps(keyring_doc, indent=2) + "\n")
    VECTORS.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    print(f"wrote {len(rows)} vectors to {VECTORS.name} and {KEYRING.name}")


if __name__ == "__main__":
    main()
