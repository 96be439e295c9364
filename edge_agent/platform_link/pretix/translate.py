"""A pretix page → the agent's rows (``ledger/pretix_tables``) and the gate's rules.

Pure functions: the store calls them between fetching a page and committing it.

* **Identity.** A position whose secret is a canonical ``pretix_sig1`` code is the
  ticket ``pretix_ticket_id(seed)`` — exactly what the gate computes when that code is
  scanned. Any other secret (pretix's random secrets) is a plain code, kept only as its
  SHA-256; its ticket is the position (``position_ticket_id``), so a regenerated random
  secret stays the same ticket with a new code.
* **Revocations** follow pretix's word on the position now: canceled → ``cancelled``,
  blocked → ``blocked``, not paid (pending, expired, awaiting approval, unless the list
  admits pending orders or the order is valid while pending) → ``unpaid``; a revoked
  secret (reissued ticket) → ``reissued``.
* **Check-in state**: pretix's successful check-ins of the position on the configured
  list become the ticket's remote admission record.
* **Attention**: a product's ``checkin_attention`` and ``checkin_text`` become its ticket
  type's flag ``attention`` and staff note (the gate rules' flags).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from types import MappingProxyType

from edge_agent.domain.errors import CodecError, KeyringError
from edge_agent.domain.gate_policy import AdmissionRecord
from edge_agent.domain.keyring import dump_keyring, keyring_entry_for_pretix
from edge_agent.domain.pretix_keys import read_valid_keys
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.pretix_sig1 import parse_pretix_sig1, pretix_ticket_id
from edge_agent.domain.rules.model import Flag
from edge_agent.domain.ticket_codec import strip_code
from edge_agent.domain.verification import code_sha256
from edge_agent.ledger.pretix_tables import PositionRow, PretixChanges, SecretRevocation
from sync.errors import ProtocolError
from sync.pretix.model import PretixCatalog, PretixCheckin, PretixPage, PretixPosition

_POSITION_DOMAIN = b"gatehouse-pretix-position\x00"


def position_ticket_id(organizer: str, event: str, position_id: int) -> str:
    """The ticket id of a position whose secret is not a signed code (32 hex)."""
    name = f"{organizer}/{event}/{position_id}".encode()
    return hashlib.sha256(_POSITION_DOMAIN + name).digest()[:16].hex()


def signed_ticket_id(secret: str) -> str | None:
    """The ticket id of a canonical ``pretix_sig1`` secret, ``None`` for any other."""
    try:
        return pretix_ticket_id(parse_pretix_sig1(strip_code(secret)).ticket.seed)
    except CodecError:
        return None


def keyring_json(catalog: PretixCatalog, event_id: int) -> str:
    """The event's ``valid_keys`` as a Gatehouse keyring of ``pretix_sig1`` keys."""
    try:
        keys = read_valid_keys({"pretix_sig1": list(catalog.event.valid_keys)})
    except KeyringError as exc:
        raise ProtocolError(f"event.valid_keys: {exc}") from None
    doc = dump_keyring(keyring_entry_for_pretix(raw, [event_id]) for raw in keys)
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def rules(catalog: PretixCatalog, products: Mapping[tuple[int, int], int]) -> PretixRules:
    clist = catalog.checkin_list
    list_types = None
    if not clist.all_products:
        allowed = set(clist.limit_products)
        list_types = frozenset(t for (item, _), t in products.items() if item in allowed)
    return PretixRules(
        products=MappingProxyType(dict(products)),
        list_types=list_types,
        subevents=None if clist.subevent is None else frozenset({clist.subevent}),
        subevent_names=MappingProxyType({s.id: s.name for s in catalog.subevents}),
        subevent_starts=MappingProxyType({s.id: s.date_from_ms for s in catalog.subevents}),
    )


def rules_to_json(value: PretixRules) -> str:
    return json.dumps(
        {
            "list_types": None if value.list_types is None else sorted(value.list_types),
            "subevents": None if value.subevents is None else sorted(value.subevents),
            "subevent_names": {str(k): v for k, v in value.subevent_names.items()},
            "subevent_starts": {str(k): v for k, v in value.subevent_starts.items()},
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def rules_from_json(text: str, products: Mapping[tuple[int, int], int]) -> PretixRules:
    doc = json.loads(text)
    types, dates = doc.get("list_types"), doc.get("subevents")
    return PretixRules(
        products=MappingProxyType(dict(products)),
        list_types=None if types is None else frozenset(types),
        subevents=None if dates is None else frozenset(dates),
        subevent_names=MappingProxyType({int(k): v for k, v in doc["subevent_names"].items()}),
        # absent in what the first pretix link stored: dates then judge no day until the
        # next download stores them
        subevent_starts=MappingProxyType(
            {int(k): int(v) for k, v in doc.get("subevent_starts", {}).items()}
        ),
    )


def changes(
    page: PretixPage,
    products: Mapping[tuple[int, int], int],
    *,
    event_id: int,
    organizer: str,
    at_ms: int,
) -> tuple[PretixChanges, PretixRules]:
    """Everything one page changes, and the list's rules as the gate will use them."""
    catalog = page.catalog
    gate_rules = rules(catalog, products)
    names = {(p.item, p.variation): p.name for p in catalog.products}
    positions = [_position(p, catalog, products, organizer) for p in page.positions]
    secrets = [SecretRevocation(*_secret_id(s), "reissued") for s in page.revoked]
    secrets += [
        SecretRevocation(*_secret_id(s.secret), "blocked" if s.blocked else None)
        for s in page.blocked
    ]
    return (
        PretixChanges(
            event_id=event_id,
            cursor=page.cursor,
            manifest_at_ms=page.manifest_at_ms,
            event_name=catalog.event.name,
            keyring_json=keyring_json(catalog, event_id),
            rules_json=rules_to_json(gate_rules),
            type_names=[(t, names.get(p, f"pretix item {p[0]}")) for p, t in products.items()],
            positions=positions,
            secrets=secrets,
            at_ms=at_ms,
            type_flags=type_flags(catalog, products),
        ),
        gate_rules,
    )


def type_flags(
    catalog: PretixCatalog, products: Mapping[tuple[int, int], int]
) -> list[tuple[int, str, str]]:
    """Each product's (ticket type, flags, note): pretix's ``checkin_attention`` is the
    gate's ``attention`` flag, its ``checkin_text`` the staff note, so an admit of such a
    product is a ``check`` verdict showing them (``docs/gate.md``); "" lifts them."""
    return [
        (products[(p.item, p.variation)], Flag.ATTENTION.value if p.attention else "",
         p.checkin_text)
        for p in catalog.products
        if (p.item, p.variation) in products
    ]  # fmt: skip


def admission(row: PositionRow) -> AdmissionRecord | None:
    if row.checkins is None:
        return None
    inside, first_ms, first_gate, last_ms, last_gate, entries = row.checkins
    return AdmissionRecord(
        inside=inside,
        first_admit_ms=first_ms,
        first_gate=first_gate,
        last_ms=last_ms,
        last_gate=last_gate,
        entries=entries,
    )


def _secret_id(secret: str) -> tuple[str | None, str | None]:
    ticket_id = signed_ticket_id(secret)
    return (ticket_id, None) if ticket_id is not None else (None, code_sha256(secret))


def _position(
    p: PretixPosition,
    catalog: PretixCatalog,
    products: Mapping[tuple[int, int], int],
    organizer: str,
) -> PositionRow:
    ticket_id = signed_ticket_id(p.secret)
    code = None
    if ticket_id is None:
        ticket_id = position_ticket_id(organizer, catalog.event.slug, p.position_id)
        code = code_sha256(p.secret)
    ticket_type = products.get((p.item, p.variation))
    if ticket_type is None:  # a product the catalog does not list (deleted since?)
        raise ProtocolError(f"order {p.order_code}: product {p.item}/{p.variation} unknown")
    return PositionRow(
        ticket_id=ticket_id,
        position_id=p.position_id,
        order_code=p.order_code,
        ticket_type=ticket_type,
        subevent=p.subevent,
        holder_name=p.attendee_name,
        holder_email=p.attendee_email or p.order_email,
        plain_code_sha256=code,
        valid_from=p.valid_from,
        valid_until=p.valid_until,
        revocation=_revocation(p, catalog),
        checkins=_checkins(p.checkins, catalog.checkin_list.id),
    )


def _revocation(p: PretixPosition, catalog: PretixCatalog) -> str | None:
    if p.canceled or p.order_status == "c":
        return "cancelled"
    if p.blocked:
        return "blocked"
    if p.order_status == "p" and not p.order_require_approval:
        return None
    pending_ok = p.order_status == "n" and (
        p.order_valid_if_pending or catalog.checkin_list.include_pending
    )
    return None if pending_ok and not p.order_require_approval else "unpaid"


def _checkins(
    checkins: tuple[PretixCheckin, ...], list_id: int
) -> tuple[bool, int, str, int, str, int] | None:
    """pretix's check-ins on our list as an admission record's values."""
    mine = sorted((c for c in checkins if c.list_id == list_id), key=lambda c: c.at_ms)
    entries = [c for c in mine if c.type == "entry"]
    if not entries:
        return None
    first, last = entries[0], mine[-1]
    return (
        last.type == "entry",
        first.at_ms,
        _gate(first.device_id),
        last.at_ms,
        _gate(last.device_id),
        len(entries),
    )


def _gate(device_id: int | None) -> str:
    return "pretix" if device_id is None else f"pretix device {device_id}"
