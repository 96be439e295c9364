"""pretix's published event keys (``valid_keys``) → raw Ed25519 public keys.

pretix's event API carries ``"valid_keys": {"pretix_sig1": ["<base64 of a PEM public
key>", …]}`` (the current key; a list because keys rotate). Pure: the caller reads the
JSON; the same rules serve ``edge-agent keys import-pretix`` and the pretix link's
manifest download, so a key is accepted or refused the same way on both paths.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from edge_agent.domain.errors import KeyringError

SCHEME = "pretix_sig1"
#: More keys than this in one event is not a rotation but a mistake.
MAX_KEYS = 16


def read_valid_keys(doc: object) -> list[bytes]:
    """Raw 32-byte keys from pretix's ``valid_keys`` object (or an event object holding
    one), in the order given, without repeats. Raises ``KeyringError`` naming the entry."""
    if isinstance(doc, Mapping) and "valid_keys" in doc:
        doc = doc["valid_keys"]
    if not isinstance(doc, Mapping) or not isinstance(doc.get(SCHEME), list):
        raise KeyringError(f'expected pretix\'s valid_keys object {{"{SCHEME}": [...]}}')
    entries = doc[SCHEME]
    if len(entries) > MAX_KEYS:
        raise KeyringError(f"{SCHEME}: {len(entries)} keys, at most {MAX_KEYS}")
    keys: list[bytes] = []
    for index, entry in enumerate(entries):
        raw = pem_b64_to_raw(entry, f"{SCHEME}[{index}]")
        if raw not in keys:
            keys.append(raw)
    return keys


def pem_b64_to_raw(value: object, where: str) -> bytes:
    """One entry: standard base64 (strict) of a PEM ``PUBLIC KEY`` holding an Ed25519 key."""
    if not isinstance(value, str) or not value:
        raise KeyringError(f"{where}: expected a base64 string")
    try:
        pem = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{where}: not standard base64") from None
    try:
        key = load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise KeyringError(f"{where}: not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyringError(f"{where}: not an Ed25519 key")
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def raw_to_pem_b64(raw: bytes) -> str:
    """The inverse, as pretix publishes a key (tests and the golden vectors use it)."""
    pem = Ed25519PublicKey.from_public_bytes(raw).public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(pem).decode("ascii")
