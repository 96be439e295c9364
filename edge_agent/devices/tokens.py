"""Bearer tokens and pairing codes: generated with ``secrets``, stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets

#: No 0/O, 1/I/L: codes are read aloud and typed on an iPad.
PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PAIRING_CODE_LEN = 8


def new_token() -> str:
    return "gh_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_pairing_code() -> str:
    raw = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_CODE_LEN))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_pairing_code(text: str) -> str:
    """Accept "abcd efgh", "ABCD-EFGH", "abcdefgh" alike."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == PAIRING_CODE_LEN else raw
