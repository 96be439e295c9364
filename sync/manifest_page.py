"""One manifest page as values, checked against the contract before anything is applied.

A page that breaks the contract anywhere is refused as a whole (``ProtocolError`` naming
the key), so a half-understood page never reaches the ledger or the gate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from typing import Any, NamedTuple

from sync.errors import ProtocolError

MANIFEST_FORMAT = "gatehouse-manifest-v1"
REVOCATION_KINDS = frozenset({"refunded", "cancelled", "charged_back", "reissued", "suspended"})
EVENT_STATUSES = frozenset({"on_sale", "cancelled", "postponed"})
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_TEXT = 1024
#: The agent's text rule (``edge_agent/domain/text_rules.py``): no control characters
#: (C0, DEL, C1), no lone surrogates. Repeated here so sync needs nothing of the agent.
_NOT_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class EventInfo:
    name: str
    venue: str
    status: str  # on_sale | cancelled | postponed
    starts_at_ms: int
    postponed_to: str | None


@dataclass(frozen=True, slots=True)
class TicketTypeChange:
    ticket_type: int
    name: str
    #: Seats of the type and its door price (minor units); ``None`` when the platform
    #: does not send them (older platforms: the box office then cannot sell the type).
    capacity: int | None = None
    price_cents: int | None = None
    #: What staff must check with every admit of the type (``attention``, ``id_check``,
    #: ``age_18``, ``accessibility``; names a gate does not know read as ``attention``).
    flags: tuple[str, ...] = ()
    #: Free text for staff with every admit of the type.
    note: str = ""


class FlagChange(NamedTuple):
    """A ticket's own flags and staff note (the page's sparse ``flagged`` list)."""

    ticket_id: str
    ticket_type: int
    flags: tuple[str, ...]
    note: str


class TicketChange(NamedTuple):
    """A NamedTuple, not a frozen dataclass: a first load builds a million of them and
    a frozen dataclass's ``__init__`` costs several times more. Still immutable."""

    ticket_id: str
    ticket_type: int
    order_id: str
    holder_name: str
    holder_email: str
    plain_code_sha256: str | None
    valid_from: int
    valid_until: int


class RevocationChange(NamedTuple):
    ticket_id: str
    kind: str | None  # None: the revocation is lifted
    at_ms: int


@dataclass(frozen=True, slots=True)
class ManifestPage:
    event_id: int
    cursor: str
    more: bool
    generated_at_ms: int
    event: EventInfo
    #: The platform keyring, as compact JSON with sorted keys (stored and compared as is).
    keyring_json: str
    ticket_types: tuple[TicketTypeChange, ...]
    tickets: tuple[TicketChange, ...]
    revocations: tuple[RevocationChange, ...]
    #: Tickets of this page's range that carry flags or a note; every other ticket of
    #: ``tickets`` has none (so a flag that was lifted goes).
    flagged: tuple[FlagChange, ...] = ()

    @property
    def manifest_at_ms(self) -> int | None:
        """The page's platform time when it completes a sync (``more: false``)."""
        return None if self.more else self.generated_at_ms


def parse_manifest_page(doc: Any, expected_event_id: int) -> ManifestPage:
    """Check a decoded page; raises ``ProtocolError`` naming the first bad key."""
    obj = _object(doc, "page")
    if obj.get("format") != MANIFEST_FORMAT:
        raise ProtocolError(f"page: format {obj.get('format')!r}, expected {MANIFEST_FORMAT!r}")
    event_id = _uint(obj.get("event_id"), "event_id", 32)
    if event_id != expected_event_id:
        raise ProtocolError(f"page is for event {event_id}, this agent admits {expected_event_id}")
    cursor = obj.get("cursor")
    if not isinstance(cursor, str) or not cursor or len(cursor) > _MAX_TEXT:
        raise ProtocolError(f"cursor: expected a non-empty string, got {cursor!r}")
    more = obj.get("more")
    if not isinstance(more, bool):
        raise ProtocolError(f"more: expected true or false, got {more!r}")
    keyring = _object(obj.get("keyring"), "keyring")
    return ManifestPage(
        event_id=event_id,
        cursor=cursor,
        more=more,
        generated_at_ms=_uint(obj.get("generated_at_ms"), "generated_at_ms", 63),
        event=_event(obj.get("event")),
        keyring_json=json.dumps(keyring, sort_keys=True, separators=(",", ":")),
        ticket_types=tuple(
            TicketTypeChange(
                _uint(t.get("ticket_type"), f"{key}.ticket_type", 16),
                _text(t.get("name"), f"{key}.name", empty=False),
                _optional_uint(t.get("capacity"), f"{key}.capacity"),
                _optional_uint(t.get("price_cents"), f"{key}.price_cents"),
                _flags(t.get("flags"), f"{key}.flags"),
                _text(t.get("note") or "", f"{key}.note"),
            )
            for key, t in _objects(obj, "ticket_types")
        ),
        tickets=_tickets(obj),
        revocations=tuple(_revocation(key, r) for key, r in _objects(obj, "revocations")),
        flagged=tuple(
            FlagChange(
                _text(f.get("ticket_id"), f"{key}.ticket_id", empty=False),
                _uint(f.get("ticket_type", 0), f"{key}.ticket_type", 16),
                _flags(f.get("flags"), f"{key}.flags"),
                _text(f.get("note") or "", f"{key}.note"),
            )
            for key, f in _objects(obj, "flagged")
        ),
    )


_FLAG = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _flags(value: Any, key: str) -> tuple[str, ...]:
    """Flag names: short lowercase words (absent or null: none)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(v, str) and _FLAG.fullmatch(v) for v in value
    ):
        raise ProtocolError(f"{key}: expected a list of short lowercase flag names")
    return tuple(sorted(set(value)))


def _event(value: Any) -> EventInfo:
    ev = _object(value, "event")
    status = ev.get("status")
    if status not in EVENT_STATUSES:
        raise ProtocolError(
            f"event.status: expected one of {sorted(EVENT_STATUSES)}, got {status!r}"
        )
    postponed_to = ev.get("postponed_to")
    if postponed_to is not None:
        postponed_to = _text(postponed_to, "event.postponed_to", empty=False)
    return EventInfo(
        name=_text(ev.get("name", ""), "event.name"),
        venue=_text(ev.get("venue", ""), "event.venue"),
        status=status,
        starts_at_ms=_uint(ev.get("starts_at_ms", 0), "event.starts_at_ms", 63),
        postponed_to=postponed_to,
    )


_U16 = 1 << 16
_U32 = 1 << 32


_TICKET_KEYS = (
    "ticket_id", "ticket_type", "order_id", "holder_name", "holder_email",
    "plain_code_sha256", "valid_from", "valid_until",
)  # fmt: skip
_ticket_values = itemgetter(*_TICKET_KEYS)
_as_ticket = partial(tuple.__new__, TicketChange)
_STR = frozenset({str})
_INT = frozenset({int})
_STR_OR_NONE = frozenset({str, type(None)})


def _tickets(obj: dict[str, Any]) -> tuple[TicketChange, ...]:
    """A page's tickets: checked column by column when every one is in the platform's
    usual shape (all keys present, strings or null where text goes), else one by one."""
    items = obj.get("tickets", [])
    if isinstance(items, list):
        fast = _tickets_by_column(items)
        if fast is not None:
            return fast
    return tuple(_ticket(key, t) for key, t in _objects(obj, "tickets"))


def _tickets_by_column(items: list[Any]) -> tuple[TicketChange, ...] | None:
    """The same rules as ``_ticket``, applied to whole columns with C-speed builtins
    (``map``, ``min``/``max``, one pass over each column's joined text): a first load
    checks a million tickets. ``None`` means "not sure": the caller then checks ticket by ticket,
    which accepts and refuses exactly what this would, and names the bad key."""
    if not items:
        return ()
    if not set(map(type, items)) <= {dict}:
        return None
    try:
        rows = list(map(_ticket_values, items))
    except KeyError:  # an optional key left out: the per-ticket path applies defaults
        return None
    tid, ttype, order, name, email, code, vfrom, vuntil = (list(c) for c in zip(*rows, strict=True))
    if set(map(type, tid)) != _STR or min(map(len, tid)) == 0:
        return None
    rebuilt = False
    for column in (order, name, email):
        types = set(map(type, column))
        if not types <= _STR_OR_NONE:
            return None
        if type(None) in types:  # null text is "" (as ``_ticket`` reads it)
            column[:] = ["" if v is None else v for v in column]
            rebuilt = True
    texts = (tid, order, name, email)
    if max(max(map(len, c)) for c in texts) > _MAX_TEXT:
        return None
    for c in texts:  # printable text has no control chars or surrogates; else look closer
        joined = "".join(c)
        if not joined.isprintable() and _NOT_TEXT.search(joined) is not None:
            return None
    for column, limit in ((ttype, _U16), (vfrom, _U32), (vuntil, _U32)):
        if set(map(type, column)) != _INT or min(column) < 0 or max(column) >= limit:
            return None
    code_types = set(map(type, code))
    if not code_types <= _STR_OR_NONE:
        return None
    if str in code_types:
        codes = [c for c in code if c is not None]
        joined = "".join(codes)  # each 64 long, and all of them lowercase hex digits
        if set(map(len, codes)) != {64} or not _lower_hex(joined):
            return None
    if rebuilt:
        return tuple(
            map(_as_ticket, zip(tid, ttype, order, name, email, code, vfrom, vuntil, strict=True))
        )
    return tuple(map(_as_ticket, rows))


def _lower_hex(text: str) -> bool:
    return text.isascii() and not text.encode("ascii").translate(None, b"0123456789abcdef")


def _ticket(key: str, t: dict[str, Any]) -> TicketChange:
    """One ticket; the common, valid case is checked in one expression (a first load
    checks a million of them), anything else goes the slow way for a precise message."""
    tid = t.get("ticket_id")
    ttype = t.get("ticket_type")
    order = t.get("order_id") or ""
    name = t.get("holder_name") or ""
    email = t.get("holder_email") or ""
    code = t.get("plain_code_sha256")
    vfrom = t.get("valid_from", 0)
    vuntil = t.get("valid_until", 0)
    if (
        type(tid) is str
        and type(order) is str
        and type(name) is str
        and type(email) is str
        and 0 < len(tid) <= _MAX_TEXT
        and max(len(order), len(name), len(email)) <= _MAX_TEXT
        and _NOT_TEXT.search(tid + order + name + email) is None
        and type(ttype) is int
        and 0 <= ttype < _U16
        and type(vfrom) is int
        and 0 <= vfrom < _U32
        and type(vuntil) is int
        and 0 <= vuntil < _U32
        and (code is None or (type(code) is str and _HEX64.fullmatch(code) is not None))
    ):
        return TicketChange(tid, ttype, order, name, email, code, vfrom, vuntil)
    return _ticket_checked(key, t)


def _ticket_checked(key: str, t: dict[str, Any]) -> TicketChange:
    code = t.get("plain_code_sha256")
    if code is not None and not (isinstance(code, str) and _HEX64.fullmatch(code)):
        raise ProtocolError(f"{key}.plain_code_sha256: expected 64 lowercase hex or null")
    return TicketChange(
        ticket_id=_text(t.get("ticket_id"), f"{key}.ticket_id", empty=False),
        ticket_type=_uint(t.get("ticket_type"), f"{key}.ticket_type", 16),
        order_id=_text(t.get("order_id") or "", f"{key}.order_id"),
        holder_name=_text(t.get("holder_name") or "", f"{key}.holder_name"),
        holder_email=_text(t.get("holder_email") or "", f"{key}.holder_email"),
        plain_code_sha256=code,
        valid_from=_uint(t.get("valid_from", 0), f"{key}.valid_from", 32),
        valid_until=_uint(t.get("valid_until", 0), f"{key}.valid_until", 32),
    )


def _revocation(key: str, r: dict[str, Any]) -> RevocationChange:
    kind = r.get("kind")
    if kind is not None and kind not in REVOCATION_KINDS:
        raise ProtocolError(f"{key}.kind: expected one of {sorted(REVOCATION_KINDS)} or null")
    return RevocationChange(
        ticket_id=_text(r.get("ticket_id"), f"{key}.ticket_id", empty=False),
        kind=kind,
        at_ms=_uint(r.get("at_ms", 0), f"{key}.at_ms", 63),
    )


def _object(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"{key}: expected an object")
    return value


def _objects(obj: dict[str, Any], name: str) -> list[tuple[str, dict[str, Any]]]:
    items = obj.get(name, [])
    if not isinstance(items, list):
        raise ProtocolError(f"{name}: expected a list")
    return [(f"{name}[{i}]", _object(item, f"{name}[{i}]")) for i, item in enumerate(items)]


def _uint(value: Any, key: str, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < (1 << bits):
        raise ProtocolError(f"{key}: expected an unsigned {bits}-bit integer, got {value!r}")
    return value


def _optional_uint(value: Any, key: str) -> int | None:
    return None if value is None else _uint(value, key, 32)


def _text(value: Any, key: str, *, empty: bool = True) -> str:
    if not isinstance(value, str) or (not empty and not value) or len(value) > _MAX_TEXT:
        raise ProtocolError(f"{key}: expected a string of at most {_MAX_TEXT} chars")
    if _NOT_TEXT.search(value) is not None:
        raise ProtocolError(f"{key}: control characters or lone surrogates are not text")
    return value
