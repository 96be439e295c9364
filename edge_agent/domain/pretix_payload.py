"""The signed payload of a ``pretix_sig1`` code: pretix's protobuf ``Ticket`` message.

    message Ticket { string seed = 1; int64 item = 2; int64 variation = 3;
                     int64 subevent = 4; int64 validFromUnixTime = 5;
                     int64 validUntilUnixTime = 6; }

A tiny hand-written decoder instead of the ``protobuf`` package, on purpose:

* **strict where protobuf is lenient**: protobuf keeps a known field with the wrong wire
  type as an unknown field (so ``item`` silently reads 0), lets a repeated field's last
  value win, accepts over-long varints and group wire types. Here each of those is
  ``malformed``: a payload has one reading or none. Unknown fields of the four normal
  wire types are skipped, as the format says (newer pretix releases may add fields).
* **no dependency, no start-up cost**: six fields do not need a schema compiler, a
  descriptor pool or a 50 ms import on a Raspberry Pi; decoding takes ~2 µs, beside an
  Ed25519 verify of ~125 µs.

Only pretix's issuer can make a payload (it is signed), so this strictness is about a
single, predictable meaning rather than about forgery; the one-spelling rule for the
whole code is in ``pretix_sig1``.
"""

from __future__ import annotations

from typing import NamedTuple

from edge_agent.domain.errors import CodecError
from edge_agent.domain.text_rules import has_non_text

#: Wire types (protobuf encoding): varint, 64-bit, length-delimited, 32-bit.
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
#: Field number -> name of the int64 fields (field 1, the seed, is a string).
_INT_FIELDS = {
    2: "item",
    3: "variation",
    4: "subevent",
    5: "valid_from",
    6: "valid_until",
}
_MAX_VARINT_BYTES = 10
_INT64_MAX = (1 << 63) - 1
#: Longest seed accepted (pretix draws 9 characters).
MAX_SEED_LEN = 64


class PretixTicket(NamedTuple):
    """A decoded ``Ticket`` payload; 0 means "none" for every integer field. A NamedTuple
    (immutable, typed): one is built per first scan of a code, and a frozen dataclass's
    ``__init__`` costs several times more."""

    seed: str
    item: int = 0
    variation: int = 0
    subevent: int = 0
    valid_from: int = 0  # unix seconds; 0 = no lower bound
    valid_until: int = 0  # unix seconds; 0 = no upper bound


def decode_payload(payload: bytes) -> PretixTicket:
    """Read a payload strictly; raises ``CodecError`` (``malformed``) naming the problem.

    Rules: every known field at most once and with its own wire type; integers are
    minimal varints of at most 10 bytes and not negative; the seed is 1..64 characters
    of UTF-8 text; unknown fields of wire types 0, 1, 2 and 5 are skipped.
    """
    seen = 0  # bit n: field n was read
    values = [0, 0, 0, 0, 0, 0, 0]  # by field number; 2..6 are the integers
    seed: str | None = None
    pos = 0
    end = len(payload)
    while pos < end:
        key = payload[pos]
        if key < 0x80:  # every key pretix writes is one byte
            pos += 1
        else:
            key, pos = _varint(payload, pos)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise CodecError("payload: field number 0")
        if field <= 6:
            if seen >> field & 1:
                raise CodecError(f"payload: field {field} repeated")
            seen |= 1 << field
        if field == 1:
            if wire != _LEN:
                raise CodecError(f"payload: seed has wire type {wire}, expected 2")
            raw, pos = _length_delimited(payload, pos)
            seed = _seed(raw)
        elif field <= 6:
            if wire != _VARINT:
                raise CodecError(f"payload: field {field} has wire type {wire}, expected 0")
            if pos < end and payload[pos] < 0x80:  # a one-byte varint (0..127)
                value = payload[pos]
                pos += 1
            else:
                value, pos = _varint(payload, pos)
                if value > _INT64_MAX:
                    raise CodecError(f"payload: {_INT_FIELDS[field]} is negative")
            values[field] = value
        else:
            pos = _skip(payload, pos, wire, field)
    if seed is None:
        raise CodecError("payload: no seed")
    return PretixTicket(seed, *values[2:])


def encode_payload(ticket: PretixTicket, *, write_validity: bool = True) -> bytes:
    """The payload as pretix writes it: fields in number order, seed and item always,
    variation and subevent only when non-zero, and (pretix ≥ 2023) the two validity
    fields always, 0 included; ``write_validity=False`` is the older 4-field form."""
    seed = ticket.seed.encode("utf-8")
    out = bytearray(b"\x0a" + _encode_varint(len(seed)) + seed)
    out += b"\x10" + _encode_varint(ticket.item)
    if ticket.variation:
        out += b"\x18" + _encode_varint(ticket.variation)
    if ticket.subevent:
        out += b"\x20" + _encode_varint(ticket.subevent)
    if write_validity:
        out += b"\x28" + _encode_varint(ticket.valid_from)
        out += b"\x30" + _encode_varint(ticket.valid_until)
    return bytes(out)


def _encode_varint(value: int) -> bytes:
    if not 0 <= value <= _INT64_MAX:
        raise ValueError(f"{value} is not a non-negative int64")
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for count in range(_MAX_VARINT_BYTES):
        if pos >= len(data):
            raise CodecError("payload: truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if byte == 0 and count:
                raise CodecError("payload: over-long varint")
            if value >> 64:
                raise CodecError("payload: varint beyond 64 bits")
            return value, pos
    raise CodecError("payload: varint longer than 10 bytes")


def _length_delimited(data: bytes, pos: int) -> tuple[bytes, int]:
    length, pos = _varint(data, pos)
    if length > len(data) - pos:
        raise CodecError("payload: length-delimited field runs past the end")
    return data[pos : pos + length], pos + length


def _skip(data: bytes, pos: int, wire: int, field: int) -> int:
    if wire == _VARINT:
        return _varint(data, pos)[1]
    if wire == _LEN:
        return _length_delimited(data, pos)[1]
    size = {_I64: 8, _I32: 4}.get(wire)
    if size is None:
        raise CodecError(f"payload: field {field} has wire type {wire} (groups are not allowed)")
    if size > len(data) - pos:
        raise CodecError("payload: fixed-size field runs past the end")
    return pos + size


def _seed(raw: bytes) -> str:
    try:
        seed = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CodecError("payload: seed is not UTF-8") from None
    if not seed or len(seed) > MAX_SEED_LEN or has_non_text(seed):
        raise CodecError(f"payload: seed must be 1..{MAX_SEED_LEN} characters of text")
    return seed
