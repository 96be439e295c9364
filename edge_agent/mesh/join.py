"""One-time join codes, and the sealed answer that carries a venue's credentials.

A supervisor on any member issues a code (``edge-agent mesh code``, or the supervisor
API); the joining box sends a join request to that member's LAN API. The channel may be
plain HTTP on a hostile LAN, so the code itself never travels:

- the code (12 characters from a 32-letter alphabet: 60 bits) is stretched with scrypt
  into a key on both sides;
- the request (the new member's name, addresses, certificate public key and NKEY public
  keys, and a nonce) carries an HMAC under that key: only someone who holds the code
  can make one, and a listener cannot test guesses against it faster than scrypt allows;
- the answer — the roster, the venue CA (certificate *and* key: every member can admit
  the next box and issue LAN certificates from the venue's CA), and the new member's
  certificate — is sealed with AES-256-GCM under a key derived from the code key and
  the nonce, bound to the request.

A code works once and expires (``[mesh] join_code_ttl_s``); wrong codes are counted and
lock joining for a minute after a few, like device pairing. Codes are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from edge_agent.mesh.errors import JoinRefused

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LEN = 12
_SALT = b"gatehouse-mesh-join-v1"
#: Wrong join requests allowed per minute before joining is locked for that minute.
MAX_FAILURES_PER_MINUTE = 5


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LEN))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LEN, 4))


def normalise(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def code_key(code: str) -> bytes:
    """scrypt(code): ~50 ms here, as long for anyone guessing offline."""
    return Scrypt(salt=_SALT, length=32, n=2**14, r=8, p=1).derive(normalise(code).encode())


def canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def proof(key: bytes, request: dict[str, Any]) -> str:
    return hmac.new(key, canonical(request), hashlib.sha256).hexdigest()


def _seal_key(key: bytes, nonce: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, nonce, b"gatehouse-mesh-join-answer").derive(key)


def seal(key: bytes, request: dict[str, Any], bundle: dict[str, Any]) -> dict[str, str]:
    nonce = os.urandom(16)
    aead = AESGCM(_seal_key(key, nonce))
    iv = os.urandom(12)
    sealed = aead.encrypt(iv, canonical(bundle), hashlib.sha256(canonical(request)).digest())
    return {
        "nonce": nonce.hex(),
        "sealed": base64.b64encode(iv + sealed).decode("ascii"),
    }


def unseal(key: bytes, request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    try:
        nonce = bytes.fromhex(str(answer["nonce"]))
        blob = base64.b64decode(str(answer["sealed"]))
        aead = AESGCM(_seal_key(key, nonce))
        plain = aead.decrypt(blob[:12], blob[12:], hashlib.sha256(canonical(request)).digest())
        doc = json.loads(plain)
    except Exception:  # any tampering or a wrong code looks the same: refuse
        raise JoinRefused("bad_answer", "the member's answer could not be opened") from None
    if not isinstance(doc, dict):
        raise JoinRefused("bad_answer", "the member's answer is not an object")
    return doc


@dataclass
class _Pending:
    key: bytes
    expires_ms: int


@dataclass
class JoinCodes:
    """The codes a member has issued and not yet seen used (their keys, not the codes)."""

    ttl_ms: int
    _pending: list[_Pending] = field(default_factory=list)
    _failures: list[int] = field(default_factory=list)

    def issue(self, now_ms: int) -> tuple[str, int]:
        """A new code and when it expires."""
        code = new_code()
        expires = now_ms + self.ttl_ms
        self._pending.append(_Pending(code_key(code), expires))
        return code, expires

    @property
    def pending(self) -> int:
        return len(self._pending)

    def redeem(self, request: dict[str, Any], mac: str, now_ms: int) -> bytes:
        """The key of the code that ``mac`` proves (that code is then used up).
        Raises ``JoinRefused`` (``invalid_join_code`` / ``too_many_attempts``)."""
        self._pending = [p for p in self._pending if p.expires_ms > now_ms]
        self._failures = [t for t in self._failures if t > now_ms - 60_000]
        if len(self._failures) >= MAX_FAILURES_PER_MINUTE:
            raise JoinRefused("too_many_attempts", "too many wrong join codes; wait a minute")
        for pending in self._pending:
            if hmac.compare_digest(proof(pending.key, request), mac):
                self._pending.remove(pending)
                return pending.key
        self._failures.append(now_ms)
        raise JoinRefused("invalid_join_code", "unknown, used or expired join code")
