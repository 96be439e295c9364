"""Secrets in a backup (the agent key, the platform token), sealed with a passphrase.

Why these primitives: ``cryptography`` is already the agent's crypto library (PyCA,
audited, on every box), so nothing new is installed. scrypt (n=2^15, r=8, p=1) turns a
passphrase into a key slowly enough to resist guessing on stolen USB sticks; AES-256-GCM
authenticates as well as encrypts, so a wrong passphrase or an edited file is refused,
never half-decrypted. Fernet would also do but fixes AES-128-CBC + HMAC and has no
passphrase KDF of its own. The header (KDF parameters, salt, nonce) is authenticated
as associated data.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from edge_agent.errors import GatehouseError

KIND = "gatehouse-sealed-secrets-v1"
_N, _R, _P = 2**15, 8, 1
MIN_PASSPHRASE = 12


class SealError(GatehouseError):
    pass


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def seal(files: dict[str, bytes], passphrase: str) -> bytes:
    """``files`` (name -> bytes) as one JSON document, encrypted under ``passphrase``."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise SealError(f"the backup passphrase must have at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    header = {"kind": KIND, "kdf": {"name": "scrypt", "n": _N, "r": _R, "p": _P}}
    header |= {"salt": _b64(salt), "nonce": _b64(nonce)}
    plain = json.dumps({k: _b64(v) for k, v in sorted(files.items())}).encode()
    aad = json.dumps(header, sort_keys=True).encode()
    sealed = AESGCM(_key(passphrase, salt, _N, _R, _P)).encrypt(nonce, plain, aad)
    return json.dumps({"header": header, "ciphertext": _b64(sealed)}, indent=1).encode() + b"\n"


def unseal(blob: bytes, passphrase: str) -> dict[str, bytes]:
    try:
        doc: dict[str, Any] = json.loads(blob)
        header = doc["header"]
        if header.get("kind") != KIND:
            raise SealError(f"not a sealed secrets file ({header.get('kind')!r})")
        kdf = header["kdf"]
        key = _key(passphrase, _unb64(header["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
        aad = json.dumps(header, sort_keys=True).encode()
        plain = AESGCM(key).decrypt(_unb64(header["nonce"]), _unb64(doc["ciphertext"]), aad)
    except InvalidTag:
        raise SealError("wrong passphrase, or the secrets file was changed") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise SealError(f"unreadable secrets file: {exc}") from None
    return {k: _unb64(v) for k, v in json.loads(plain).items()}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)
