"""Agent certificates: the platform's statement that a door agent's key may sign
tickets for some events during a time window (``docs/formats/ticket-v1.md``).

A door box sells tickets while offline, so it signs them with its own key; gates trust
that key only through a certificate a platform key signed. The signed message is a
fixed binary layout (not the JSON) so that JSON formatting, key order or number
spelling can never change what was signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edge_agent.domain.errors import CertificateError
from edge_agent.domain.trusted_key import key_id_of

CERT_CONTEXT = b"gatehouse-agent-cert-v1"
PUBLIC_KEY_LEN = 32
CERT_SIGNATURE_LEN = 64
U32_MAX = 0xFFFFFFFF
MAX_CERT_EVENTS = 0xFFFF  # the count is a u16

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_KEY_ID_HEX = re.compile(r"[0-9a-fA-F]{8}")


def b64url_encode(raw: bytes) -> str:
    """base64url without padding, the spelling of keys and signatures in JSON."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of ``b64url_encode``: no padding, no other alphabet, canonical.

    Raises ``ValueError``. Canonical means re-encoding gives the same text, so one key
    has exactly one spelling (non-zero unused trailing bits are refused).
    """
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url without padding")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url without padding") from None
    if b64url_encode(raw) != text:
        raise ValueError("non-canonical base64url")
    return raw


def b64url_exact(value: object, length: int) -> bytes:
    """A JSON field that must be base64url (``b64url_decode``) of exactly ``length``
    bytes; raises ``ValueError`` saying which rule it broke (callers add the field)."""
    if not isinstance(value, str):
        raise ValueError("must be a base64url string")
    raw = b64url_decode(value)
    if len(raw) != length:
        raise ValueError(f"must be {length} bytes, got {len(raw)}")
    return raw


def is_u32(value: object) -> bool:
    """An int (not a bool, which JSON-wise is a different type) in 0..2^32-1."""
    return type(value) is int and 0 <= value <= U32_MAX


def certificate_message(
    agent_id: str, public_key: bytes, not_before: int, not_after: int, events: Iterable[int]
) -> bytes:
    """``CERT_CONTEXT || sha256(agent_id) || public_key || u32 not_before ||
    u32 not_after || u16 count || count x u32 event`` (big-endian), as the spec says.

    Events are signed in the order given; raises ``CertificateError`` for values that
    do not fit the layout.
    """
    events = tuple(events)
    if len(public_key) != PUBLIC_KEY_LEN:
        raise CertificateError("public_key must be 32 bytes")
    if not (is_u32(not_before) and is_u32(not_after)):
        raise CertificateError("not_before and not_after must be integers in 0..2^32-1")
    if len(events) > MAX_CERT_EVENTS or not all(is_u32(e) for e in events):
        raise CertificateError("events must be at most 65535 integers in 0..2^32-1")
    try:
        agent_id_hash = hashlib.sha256(agent_id.encode("utf-8")).digest()
    except UnicodeEncodeError:
        raise CertificateError("agent_id is not valid Unicode text") from None
    return b"".join(
        (
            CERT_CONTEXT,
            agent_id_hash,
            public_key,
            struct.pack(">IIH", not_before, not_after, len(events)),
            struct.pack(f">{len(events)}I", *events),
        )
    )


@dataclass(frozen=True, slots=True)
class AgentCertificate:
    """A platform-signed certificate for one agent key, as found in a keyring entry."""

    agent_id: str
    public_key: bytes  # raw 32 bytes
    events: tuple[int, ...]
    not_before: int  # inclusive
    not_after: int  # inclusive
    #: Which platform key to verify with (8 hex digits). Not signed: a wrong value only
    #: makes verification fail, it can never make a forgery pass.
    issuer_key_id: str
    signature: bytes  # 64 bytes

    def signed_message(self) -> bytes:
        return certificate_message(
            self.agent_id, self.public_key, self.not_before, self.not_after, self.events
        )

    def to_json_dict(self) -> dict[str, object]:
        return {
            "agent_id": self.agent_id,
            "public_key": b64url_encode(self.public_key),
            "events": list(self.events),
            "not_before": self.not_before,
            "not_after": self.not_after,
            "issuer_key_id": self.issuer_key_id,
            "signature": b64url_encode(self.signature),
        }

    @classmethod
    def from_json_dict(cls, doc: object) -> AgentCertificate:
        """Read the JSON form; raises ``CertificateError`` naming the bad field.

        Unknown fields are ignored so a newer platform can add some.
        """
        if not isinstance(doc, Mapping):
            raise CertificateError("certificate must be a JSON object")
        agent_id = doc.get("agent_id")
        if not isinstance(agent_id, str):
            raise CertificateError("certificate agent_id must be a string")
        public_key = _b64_field(doc, "public_key", PUBLIC_KEY_LEN)
        signature = _b64_field(doc, "signature", CERT_SIGNATURE_LEN)
        events = doc.get("events")
        if not isinstance(events, list) or not all(is_u32(e) for e in events):
            raise CertificateError("certificate events must be a list of integers 0..2^32-1")
        if len(events) > MAX_CERT_EVENTS:
            raise CertificateError("certificate lists more than 65535 events")
        not_before = doc.get("not_before")
        not_after = doc.get("not_after")
        if not is_u32(not_before) or not is_u32(not_after):
            raise CertificateError("certificate not_before/not_after must be integers 0..2^32-1")
        issuer_key_id = doc.get("issuer_key_id")
        if not isinstance(issuer_key_id, str) or not _KEY_ID_HEX.fullmatch(issuer_key_id):
            raise CertificateError("certificate issuer_key_id must be 8 hex digits")
        assert isinstance(not_before, int)  # for mypy; is_u32 checked it
        assert isinstance(not_after, int)
        return cls(
            agent_id=agent_id,
            public_key=public_key,
            events=tuple(int(e) for e in events),
            not_before=not_before,
            not_after=not_after,
            issuer_key_id=issuer_key_id.lower(),
            signature=signature,
        )


def _b64_field(doc: Mapping[str, object], name: str, length: int) -> bytes:
    try:
        return b64url_exact(doc.get(name), length)
    except ValueError as exc:
        raise CertificateError(f"certificate {name}: {exc}") from None


def issue_certificate(
    issuer: Ed25519PrivateKey,
    *,
    agent_id: str,
    agent_public_key: bytes,
    events: Iterable[int],
    not_before: int,
    not_after: int,
) -> AgentCertificate:
    """Certify ``agent_public_key`` (raw 32 bytes) with a platform private key."""
    events = tuple(events)
    message = certificate_message(agent_id, agent_public_key, not_before, not_after, events)
    issuer_raw = issuer.public_key().public_bytes_raw()
    return AgentCertificate(
        agent_id=agent_id,
        public_key=agent_public_key,
        events=events,
        not_before=not_before,
        not_after=not_after,
        issuer_key_id=key_id_of(issuer_raw).hex(),
        signature=issuer.sign(message),
    )


def verify_certificate(cert: AgentCertificate, issuer_public_key: Ed25519PublicKey) -> None:
    """Check ``cert`` was signed by ``issuer_public_key``; raises ``CertificateError``.

    Also refuses a certificate whose ``issuer_key_id`` names a different key, so a
    caller that picked the issuer some other way cannot silently disagree with it.
    """
    issuer_id = key_id_of(issuer_public_key.public_bytes_raw()).hex()
    if cert.issuer_key_id != issuer_id:
        raise CertificateError(
            f"certificate names issuer {cert.issuer_key_id}, verified with {issuer_id}"
        )
    try:
        issuer_public_key.verify(cert.signature, cert.signed_message())
    except InvalidSignature:
        raise CertificateError("certificate signature does not verify") from None
