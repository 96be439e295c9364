"""Rotating codes (``docs/formats/rotating-v1.md``): a GH1 code plus a 15-second value.

A phone shows ``GHR1:`` + base45(GH1 bytes || u32 step || 8-byte one-time value); the
value is an HMAC of the GH1 body and the step under a per-ticket secret that any gate
can recompute offline from its event's rotation secret (HKDF), which comes with the
keyring. A screenshot keeps showing its old step, so it fails once the step is more
than one away from the gate's clock, while the signed static part still proves who
issued the ticket.

The static part is exactly the first 150 base45 characters (100 bytes in 3-character
groups), so a reader can look it up as the GH1 text ``"GH1:" + those characters`` in
its cache of verified codes instead of verifying the signature every 15 seconds.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from edge_agent.domain.base45 import b45decode, b45encode
from edge_agent.domain.errors import CodecError
from edge_agent.domain.ticket_codec import ENCODED_LEN, PREFIX, TOTAL_LEN

ROTATING_PREFIX = "GHR1:"
#: Seconds per step; the gate accepts its own step and the one on each side.
STEP_S = 15
CONTEXT = b"gatehouse-rotating-v1"
#: Salt of the event rotation secret derived from a platform key (``event_secret``).
EVENT_KEY_SALT = b"gatehouse-rotation-key-v1"
OTP_LEN = 8
_TAIL_BYTES = 4 + OTP_LEN
_TAIL_CHARS = _TAIL_BYTES // 2 * 3
#: Characters after the prefix: the GH1 payload, then step and value.
ROTATING_LEN = ENCODED_LEN + _TAIL_CHARS
SECRET_LEN = 32


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=SECRET_LEN, salt=salt, info=info).derive(ikm)


def event_secret(platform_private_raw: bytes, event_id: int) -> bytes:
    """The event's rotation secret, derived from the issuing platform key's 32 private
    bytes, so ``keys keyring`` and ``ticket issue`` need no extra file."""
    return _hkdf(platform_private_raw, EVENT_KEY_SALT, event_id.to_bytes(4, "big"))


@lru_cache(maxsize=65_536)
def ticket_secret(event_key: bytes, ticket_id: bytes) -> bytes:
    """The per-ticket secret a phone holds; memoised (pure) so a gate derives it once
    per ticket, not once per 15-second scan."""
    return _hkdf(event_key, CONTEXT, ticket_id)


def step_at(unix_s: int) -> int:
    return unix_s // STEP_S


def one_time_value(secret: bytes, body: bytes, step: int) -> bytes:
    """HMAC-SHA256(ticket secret, CONTEXT || GH1 body || u32 step), first 8 bytes."""
    message = CONTEXT + body + step.to_bytes(4, "big")
    return hmac.new(secret, message, hashlib.sha256).digest()[:OTP_LEN]


def encode_rotating(gh1_text: str, secret: bytes, step: int) -> str:
    """The text a phone shows at ``step`` for a GH1 code (as ``encode_gh1`` made it)."""
    if not gh1_text.startswith(PREFIX) or len(gh1_text) != len(PREFIX) + ENCODED_LEN:
        raise ValueError("not a GH1 code")
    raw = b45decode(gh1_text[len(PREFIX) :])
    tail = step.to_bytes(4, "big") + one_time_value(secret, raw[:36], step)
    return ROTATING_PREFIX + gh1_text[len(PREFIX) :] + b45encode(tail)


def split_rotating(text: str) -> tuple[str, int, bytes]:
    """``(GH1 text of the static part, step, one-time value)`` of a stripped ``GHR1:``
    text; raises ``CodecError`` (``malformed``) for anything else."""
    payload = text[len(ROTATING_PREFIX) :]
    if not text.startswith(ROTATING_PREFIX) or len(payload) != ROTATING_LEN:
        raise CodecError(f"rotating code: expected {ROTATING_LEN} base45 characters")
    tail = b45decode(payload[ENCODED_LEN:])
    if len(tail) != _TAIL_BYTES:
        raise CodecError(f"rotating code: tail of {len(tail)} bytes, expected {_TAIL_BYTES}")
    return PREFIX + payload[:ENCODED_LEN], int.from_bytes(tail[:4], "big"), tail[4:]


def static_body(gh1_text: str) -> bytes:
    """The 36 body bytes of a well-formed GH1 text (what the one-time value covers)."""
    raw = b45decode(gh1_text[len(PREFIX) :])
    if len(raw) != TOTAL_LEN:
        raise CodecError("length")
    return raw[:36]
