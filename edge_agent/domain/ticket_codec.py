"""GH1 text form: ``"GH1:" + base45(body || signature)`` (``docs/formats/ticket-v1.md``).

Parsing only checks the form (prefix, base45, length, version, flags); the signature is
checked in ``verification`` against a keyring. Keeping them apart lets a caller that
already knows a code is bad skip the expensive Ed25519 step, and lets ``ticket issue``
reuse ``encode_gh1`` without any keyring.
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.base45 import b45decode, b45encode
from edge_agent.domain.errors import CodecError
from edge_agent.domain.ticket import (
    BODY_LEN,
    BODY_STRUCT,
    SIGNATURE_LEN,
    SIGNING_CONTEXT,
    VERSION,
    SignedTicket,
    TicketBody,
)

PREFIX = "GH1:"
TOTAL_LEN = BODY_LEN + SIGNATURE_LEN  # 100 bytes
#: base45 length of 100 bytes; anything else cannot decode to exactly 100 bytes.
ENCODED_LEN = TOTAL_LEN // 2 * 3  # 150 characters
#: The four characters readers strip at both ends, and nothing else (spec, "Text form").
STRIP_CHARS = "\r\n \t"


def strip_code(text: str) -> str:
    """Strip CR, LF, space and tab at both ends; no other Unicode space, no case folding.

    A scanner may append a line ending and a phone screen may add spaces; anything else
    is part of the code, so it must not be normalised away (two different texts must not
    become the same ticket).
    """
    return text.strip(STRIP_CHARS)


def parse_gh1(text: str) -> SignedTicket:
    """Parse an already stripped GH1 code into body and signature, unverified.

    Raises ``CodecError`` (reason ``malformed``) with a detail naming the first thing
    wrong: prefix, base45, length, version or flags.
    """
    if not text.startswith(PREFIX):
        raise CodecError('missing "GH1:" prefix (upper case)')
    payload = text[len(PREFIX) :]
    if len(payload) > ENCODED_LEN:
        # Too long to be a GH1 code whatever its characters; don't decode megabytes.
        raise CodecError(
            f"length: {len(payload)} base45 characters, expected {ENCODED_LEN} ({TOTAL_LEN} bytes)"
        )
    raw = b45decode(payload)
    if len(raw) != TOTAL_LEN:
        raise CodecError(f"length: {len(raw)} bytes decoded, expected {TOTAL_LEN}")
    version, flags, key_id, event_id, ticket_id, ticket_type, valid_from, valid_until = (
        BODY_STRUCT.unpack_from(raw)
    )
    if version != VERSION:
        raise CodecError(f"version {version}, expected {VERSION}")
    if flags != 0:
        raise CodecError(f"flags 0x{flags:02x}, expected 0x00")
    body = TicketBody(
        key_id=key_id,
        event_id=event_id,
        ticket_id=ticket_id,
        ticket_type=ticket_type,
        valid_from=valid_from,
        valid_until=valid_until,
        version=version,
        flags=flags,
    )
    return SignedTicket(body=body, body_bytes=raw[:BODY_LEN], signature=raw[BODY_LEN:])


def sign_body(body: TicketBody, private_key: Ed25519PrivateKey) -> SignedTicket:
    """Sign ``SIGNING_CONTEXT || body`` (pure Ed25519, deterministic).

    The body's ``key_id`` is taken as given: callers build it with ``key_id_of`` from
    the same key, and a mismatch is exactly what verifiers must catch, so tests can use
    this to make such codes.
    """
    try:
        body_bytes = body.to_bytes()
    except struct.error as exc:
        raise ValueError(f"ticket body field out of range: {exc}") from None
    signature = private_key.sign(SIGNING_CONTEXT + body_bytes)
    return SignedTicket(body=body, body_bytes=body_bytes, signature=signature)


def encode_signed(ticket: SignedTicket) -> str:
    """Text form of a signed ticket (no validation of version or flags: tests use this
    to build malformed-but-well-encoded codes)."""
    return PREFIX + b45encode(ticket.body_bytes + ticket.signature)


def encode_gh1(body: TicketBody, private_key: Ed25519PrivateKey) -> str:
    """Sign a body and return its GH1 text form (154 characters, QR alphanumeric)."""
    return encode_signed(sign_body(body, private_key))
