"""Keys a verifier trusts, already checked (certificates verified, scope computed)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class KeyRole(StrEnum):
    PLATFORM = "platform"
    AGENT = "agent"


def key_id_of(raw_public_key: bytes) -> bytes:
    """First 4 bytes of SHA-256 of the raw 32-byte public key (never trusted from a file)."""
    return hashlib.sha256(raw_public_key).digest()[:4]


@dataclass(frozen=True, slots=True)
class TrustedKey:
    key_id: bytes
    raw_public_key: bytes
    public_key: Ed25519PublicKey = field(compare=False, repr=False)
    role: KeyRole
    #: Effective event scope; ``None`` = any event. For agent keys this is already the
    #: intersection of the certificate's events and the issuing platform key's scope.
    events: frozenset[int] | None = None
    #: Certificate window for agent keys (inclusive); ``None`` for platform keys.
    not_before: int | None = None
    not_after: int | None = None
    agent_id: str | None = None

    @property
    def key_id_hex(self) -> str:
        return self.key_id.hex()

    def allows_event(self, event_id: int) -> bool:
        return self.events is None or event_id in self.events


@dataclass(frozen=True, slots=True)
class Keyring:
    """Trusted keys by key id, plus warnings about entries that were dropped, and the
    events' rotation secrets (``docs/formats/rotating-v1.md``; never printed)."""

    keys: Mapping[bytes, TrustedKey]
    warnings: tuple[str, ...] = ()
    rotation: Mapping[int, bytes] = field(default_factory=dict, repr=False)

    def get(self, key_id: bytes) -> TrustedKey | None:
        return self.keys.get(key_id)
