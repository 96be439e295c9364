"""The canonical bytes of an evidence pack and its detached signature.

``evidence.json`` is canonical JSON: keys sorted, no insignificant space, UTF-8
(``ensure_ascii=False``), integers only (a pack holds no floats), one trailing newline.
A verifier re-encodes what it parsed and refuses bytes that differ, so exactly one
byte string stands for a pack and the signature covers the meaning, not a formatting.

The signature (``evidence.json.sig``, a small JSON document) is Ed25519 over
``PACK_CONTEXT || 0x00 || sha256(evidence.json)``: the context keeps a pack signature
from ever being taken for a ticket, certificate or checkpoint signature made by the
same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edge_agent.domain.agent_certificate import b64url_decode, b64url_encode
from edge_agent.domain.trusted_key import key_id_of

PACK_FORMAT = "gatehouse-evidence-v1"
PACK_CONTEXT = b"gatehouse-evidence-pack-v1"
SIGNATURE_KIND = "gatehouse-evidence-signature-v1"


class PackFormatError(ValueError):
    """The pack or its signature file is not in the expected form."""


def canonical_json(doc: Any) -> bytes:
    """Sorted keys, ``(",", ":")`` separators, UTF-8, a final newline."""
    return (
        json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
        + "\n"
    ).encode("utf-8")


def _reject_float(text: str) -> Any:
    raise PackFormatError(f"a pack holds no fractional numbers (found {text})")


def parse_canonical(data: bytes) -> dict[str, Any]:
    """Parse ``evidence.json`` and insist it is in canonical form."""
    try:
        doc = json.loads(data.decode("utf-8"), parse_float=_reject_float)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PackFormatError(f"evidence.json is not UTF-8 JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise PackFormatError("evidence.json must hold a JSON object")
    if canonical_json(doc) != data:
        raise PackFormatError(
            "evidence.json is not in canonical form (edited or re-formatted after signing)"
        )
    if doc.get("format") != PACK_FORMAT:
        raise PackFormatError(f'evidence.json format must be "{PACK_FORMAT}"')
    return doc


def pack_message(pack_bytes: bytes) -> bytes:
    return PACK_CONTEXT + b"\x00" + hashlib.sha256(pack_bytes).digest()


@dataclass(frozen=True, slots=True)
class PackSignature:
    key_id: str
    public_key: bytes  # raw 32 bytes; trusted only through a keyring
    signature: bytes
    pack_sha256: str

    def to_json_dict(self) -> dict[str, object]:
        return {
            "kind": SIGNATURE_KIND,
            "algorithm": "ed25519",
            "key_id": self.key_id,
            "public_key": b64url_encode(self.public_key),
            "pack_sha256": self.pack_sha256,
            "signature": b64url_encode(self.signature),
        }

    @classmethod
    def from_json_dict(cls, doc: object) -> PackSignature:
        if not isinstance(doc, Mapping) or doc.get("kind") != SIGNATURE_KIND:
            raise PackFormatError(f'signature file must be a "{SIGNATURE_KIND}" object')
        try:
            public_key = b64url_decode(str(doc.get("public_key")))
            signature = b64url_decode(str(doc.get("signature")))
        except ValueError:
            raise PackFormatError("signature file: keys and signature must be base64url") from None
        if len(public_key) != 32 or len(signature) != 64:
            raise PackFormatError("signature file: wrong public key or signature length")
        return cls(
            key_id=str(doc.get("key_id")),
            public_key=public_key,
            signature=signature,
            pack_sha256=str(doc.get("pack_sha256")),
        )


def sign_pack(key: Ed25519PrivateKey, pack_bytes: bytes) -> PackSignature:
    public_raw = key.public_key().public_bytes_raw()
    return PackSignature(
        key_id=key_id_of(public_raw).hex(),
        public_key=public_raw,
        signature=key.sign(pack_message(pack_bytes)),
        pack_sha256=hashlib.sha256(pack_bytes).hexdigest(),
    )


def pack_signature_verifies(
    signature: PackSignature, public_key: Ed25519PublicKey, pack_bytes: bytes
) -> bool:
    try:
        public_key.verify(signature.signature, pack_message(pack_bytes))
    except InvalidSignature:
        return False
    return True
