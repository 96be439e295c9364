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


class KeyScheme(StrEnum):
    """Which code format a key verifies. A key verifies codes of its own scheme only, so
    a pretix key can never vouch for a GH1 code (or certify an agent), nor the reverse."""

    GH1 = "gh1"
    PRETIX_SIG1 = "pretix_sig1"


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
    scheme: KeyScheme = KeyScheme.GH1

    @property
    def key_id_hex(self) -> str:
        return self.key_id.hex()

    def allows_event(self, event_id: int) -> bool:
        return self.events is None or event_id in self.events


@dataclass(frozen=True, slots=True)
class Keyring:
    """Trusted keys by key id, plus warnings about entries that were dropped, and the
    events' rotation secrets (``docs/formats/rotating-v1.md``; never printed).

    ``keys`` holds every scheme; ``get`` answers GH1 look-ups (a GH1 code names its
    key), ``pretix_keys`` are tried in turn (a pretix code names none).
    """

    keys: Mapping[bytes, TrustedKey]
    warnings: tuple[str, ...] = ()
    rotation: Mapping[int, bytes] = field(default_factory=dict, repr=False)
    #: The ``pretix_sig1`` keys, in key-id order (computed from ``keys``).
    pretix_keys: tuple[TrustedKey, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        pretix = tuple(
            self.keys[k] for k in sorted(self.keys) if self.keys[k].scheme is KeyScheme.PRETIX_SIG1
        )
        object.__setattr__(self, "pretix_keys", pretix)

    def get(self, key_id: bytes) -> TrustedKey | None:
        key = self.keys.get(key_id)
        return key if key is not None and key.scheme is KeyScheme.GH1 else None
