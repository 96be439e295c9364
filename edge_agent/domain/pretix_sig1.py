"""pretix's signed ticket codes (``pretix_sig1``), read strictly: one spelling per ticket.

    secret = reverse(base64(0x01 || u16be(len payload) || u16be(len signature)
                            || payload || Ed25519 signature over payload))

pretix's own reader is lenient: its base64 decoder skips characters it does not know,
stops at the first padding, ignores unused bits, and its envelope reader ignores bytes
after the signature and trusts a declared length that runs past the data. Several
different texts then verify as the same ticket, and anything keyed on the text (a
revocation, a duplicate check, a log search) can be sidestepped. Here a secret, stripped
of CR/LF/space/tab at its ends, reversed, must be canonical standard base64 (padding
only as needed, unused bits zero) and its declared lengths must fit the bytes exactly
with a 64-byte signature. Anything pretix's reader would still take for such a code is
``malformed``; anything it would not is no pretix code at all (a plain code).

A ticket's identity is ``pretix_ticket_id(seed)``, from the verified payload, never the
text: admissions, revocations and duplicates follow the ticket whatever its spelling.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.errors import CodecError
from edge_agent.domain.pretix_payload import PretixTicket, decode_payload, encode_payload

SCHEME = "pretix_sig1"
VERSION = 1
SIGNATURE_LEN = 64
_HEADER = struct.Struct(">BHH")
#: Longest secret read (pretix's are 112–140 characters; longer texts are noise).
MAX_SECRET_LEN = 512
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_ID_DOMAIN = b"gatehouse-pretix-sig1\x00"


class PretixSecret(NamedTuple):
    """A strictly parsed ``pretix_sig1`` secret, signature not yet checked."""

    ticket: PretixTicket
    payload: bytes
    signature: bytes


def pretix_ticket_id(seed: str) -> str:
    """The Gatehouse ticket id of a pretix signed ticket: 32 hex digits of
    SHA-256(``"gatehouse-pretix-sig1" || 0x00 || seed``), the shape of a GH1 ticket id.

    pretix draws a fresh random seed for every secret it signs (its ``opaque_id``), so
    the seed names the ticket; a reissued ticket has a new seed (and the old secret is
    on pretix's revocation list)."""
    return hashlib.sha256(_ID_DOMAIN + seed.encode("utf-8")).digest()[:16].hex()


def parse_pretix_sig1(stripped: str) -> PretixSecret:
    """Parse an already stripped secret; raises ``CodecError`` (``malformed``) naming the
    first rule it breaks."""
    if len(stripped) > MAX_SECRET_LEN:
        raise CodecError(f"pretix_sig1: {len(stripped)} characters, at most {MAX_SECRET_LEN}")
    text = stripped[::-1]
    if len(text) % 4 or not _B64.fullmatch(text):
        raise CodecError("pretix_sig1: not standard base64 (alphabet, padding or length)")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CodecError("pretix_sig1: not standard base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise CodecError("pretix_sig1: non-canonical base64 (unused bits or padding)")
    if len(raw) < _HEADER.size:
        raise CodecError(f"pretix_sig1: {len(raw)} bytes, too short for the header")
    version, payload_len, sig_len = _HEADER.unpack_from(raw)
    if version != VERSION:
        raise CodecError(f"pretix_sig1: version {version}, expected {VERSION}")
    if sig_len != SIGNATURE_LEN:
        raise CodecError(f"pretix_sig1: signature length {sig_len}, expected {SIGNATURE_LEN}")
    if _HEADER.size + payload_len + sig_len != len(raw):
        raise CodecError(
            f"pretix_sig1: declared lengths need {_HEADER.size + payload_len + sig_len} bytes,"
            f" the code has {len(raw)}"
        )
    payload = raw[_HEADER.size : _HEADER.size + payload_len]
    signature = raw[_HEADER.size + payload_len :]
    return PretixSecret(decode_payload(payload), payload, signature)


def looks_like_pretix_sig1(stripped: str) -> bool:
    """Would pretix's own reader take this text for a signed code and check its
    signature? (Its lenient base64, its version byte, its slicing of the declared
    lengths, and a 64-byte signature slice.) Such texts that ``parse_pretix_sig1``
    refuses are ``malformed`` spellings; other texts are plain codes."""
    if len(stripped) > MAX_SECRET_LEN:
        return False
    try:
        raw = base64.b64decode(stripped[::-1])  # deliberately non-validating, as pretix
    except (binascii.Error, ValueError):
        return False
    if len(raw) < _HEADER.size or raw[0] != VERSION:
        return False
    _, payload_len, sig_len = _HEADER.unpack_from(raw)
    start = _HEADER.size + payload_len
    return len(raw[start : start + sig_len]) == SIGNATURE_LEN


def encode_pretix_sig1(payload: bytes, private_key: Ed25519PrivateKey) -> str:
    """Sign ``payload`` and spell it canonically (the one spelling ``parse`` accepts)."""
    signature = private_key.sign(payload)
    raw = _HEADER.pack(VERSION, len(payload), len(signature)) + payload + signature
    return base64.b64encode(raw).decode("ascii")[::-1]


def sign_pretix_ticket(
    ticket: PretixTicket, private_key: Ed25519PrivateKey, *, write_validity: bool = True
) -> str:
    """A secret as pretix's generator makes it (tests, vectors and benchmarks)."""
    return encode_pretix_sig1(encode_payload(ticket, write_validity=write_validity), private_key)
