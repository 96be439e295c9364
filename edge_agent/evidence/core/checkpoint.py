"""Signed checkpoints of an agent's hash chain: "my ledger's row N has chain value C".

A checkpoint is the agent key's signature over the head of its ledger (sequence
number, chain value, the agent's time and its clock offset to the platform when it
signed). With it, anyone holding the agent's public key can check that a row belongs to
an unaltered ledger: recompute the chain from the row to the checkpoint and compare.
Without one, a chain only proves that rows were not changed *relative to each other*;
whoever holds the file could rewrite all of it (``docs/evidence.md``).

As with agent certificates, the signed message is a fixed binary layout with a context
string, never JSON, so formatting can never change what was signed and a checkpoint
signature can never be mistaken for a ticket or certificate signature.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edge_agent.domain.agent_certificate import b64url_decode, b64url_encode
from edge_agent.domain.trusted_key import key_id_of

CHECKPOINT_CONTEXT = b"gatehouse-chain-checkpoint-v1"
SIGNATURE_LEN = 64
_I64 = (-(2**63), 2**63 - 1)


class CheckpointError(ValueError):
    """A checkpoint document is malformed (names the field)."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed statement about an agent's ledger head.

    ``number`` counts an agent's checkpoints from 1 (0 = made by an export, outside
    the ledger's series); ``through_seq`` is the last row it covers and ``chain`` that
    row's chain value (hex). ``clock_offset_ms`` / ``clock_rtt_ms`` are the agent's
    last measured offset to platform time (platform − agent) and its round trip, or
    ``None`` if it never measured one.
    """

    agent_id: str
    number: int
    through_seq: int
    chain: str
    at_ms: int
    clock_offset_ms: int | None
    clock_rtt_ms: int | None
    key_id: str  # 8 hex digits of the signing key (not signed: a wrong one only fails)
    signature: bytes

    def signed_message(self) -> bytes:
        return checkpoint_message(
            self.agent_id,
            self.number,
            self.through_seq,
            self.chain,
            self.at_ms,
            self.clock_offset_ms,
            self.clock_rtt_ms,
        )

    def to_json_dict(self) -> dict[str, object]:
        return {
            "agent_id": self.agent_id,
            "number": self.number,
            "through_seq": self.through_seq,
            "chain": self.chain,
            "at_ms": self.at_ms,
            "clock_offset_ms": self.clock_offset_ms,
            "clock_rtt_ms": self.clock_rtt_ms,
            "key_id": self.key_id,
            "signature": b64url_encode(self.signature),
        }

    @classmethod
    def from_json_dict(cls, doc: object) -> Checkpoint:
        if not isinstance(doc, Mapping):
            raise CheckpointError("checkpoint must be a JSON object")
        agent_id = doc.get("agent_id")
        if not isinstance(agent_id, str) or not agent_id:
            raise CheckpointError("checkpoint agent_id must be a non-empty string")
        number = _int(doc, "number", 0)
        through_seq = _int(doc, "through_seq", 1)
        chain = doc.get("chain")
        if not isinstance(chain, str) or len(chain) != 64 or chain != chain.lower():
            raise CheckpointError("checkpoint chain must be 64 lower-case hex digits")
        try:
            bytes.fromhex(chain)
        except ValueError:
            raise CheckpointError("checkpoint chain must be 64 lower-case hex digits") from None
        at_ms = _int(doc, "at_ms", 0)
        offset = _optional_int(doc, "clock_offset_ms")
        rtt = _optional_int(doc, "clock_rtt_ms")
        key_id = doc.get("key_id")
        if not isinstance(key_id, str) or len(key_id) != 8:
            raise CheckpointError("checkpoint key_id must be 8 hex digits")
        try:
            signature = b64url_decode(str(doc.get("signature")))
        except ValueError:
            raise CheckpointError("checkpoint signature must be base64url") from None
        if len(signature) != SIGNATURE_LEN:
            raise CheckpointError("checkpoint signature must be 64 bytes")
        return cls(agent_id, number, through_seq, chain, at_ms, offset, rtt, key_id, signature)


def _int(doc: Mapping[str, object], name: str, lo: int) -> int:
    value = doc.get(name)
    if type(value) is not int or not lo <= value <= _I64[1]:
        raise CheckpointError(f"checkpoint {name} must be an integer ≥ {lo}")
    return value


def _optional_int(doc: Mapping[str, object], name: str) -> int | None:
    value = doc.get(name)
    if value is None:
        return None
    if type(value) is not int or not _I64[0] <= value <= _I64[1]:
        raise CheckpointError(f"checkpoint {name} must be an integer or null")
    return value


def _opt(value: int | None) -> bytes:
    return b"\x00" + bytes(8) if value is None else b"\x01" + struct.pack(">q", value)


def checkpoint_message(
    agent_id: str,
    number: int,
    through_seq: int,
    chain_hex: str,
    at_ms: int,
    clock_offset_ms: int | None,
    clock_rtt_ms: int | None,
) -> bytes:
    """``CONTEXT || sha256(agent_id) || u64 number || u64 through_seq || chain (32) ||
    i64 at_ms || opt offset || opt rtt`` (big-endian; opt = u8 present + i64)."""
    return b"".join(
        (
            CHECKPOINT_CONTEXT,
            hashlib.sha256(agent_id.encode("utf-8")).digest(),
            struct.pack(">QQ", number, through_seq),
            bytes.fromhex(chain_hex),
            struct.pack(">q", at_ms),
            _opt(clock_offset_ms),
            _opt(clock_rtt_ms),
        )
    )


def sign_checkpoint(
    key: Ed25519PrivateKey,
    *,
    agent_id: str,
    number: int,
    through_seq: int,
    chain: str,
    at_ms: int,
    clock_offset_ms: int | None = None,
    clock_rtt_ms: int | None = None,
) -> Checkpoint:
    message = checkpoint_message(
        agent_id, number, through_seq, chain, at_ms, clock_offset_ms, clock_rtt_ms
    )
    public_raw = key.public_key().public_bytes_raw()
    return Checkpoint(
        agent_id=agent_id,
        number=number,
        through_seq=through_seq,
        chain=chain,
        at_ms=at_ms,
        clock_offset_ms=clock_offset_ms,
        clock_rtt_ms=clock_rtt_ms,
        key_id=key_id_of(public_raw).hex(),
        signature=key.sign(message),
    )


def checkpoint_verifies(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(checkpoint.signature, checkpoint.signed_message())
    except InvalidSignature:
        return False
    return True
