"""pretix's JSON → the values of ``model``, checked; anything unusable is a ``ProtocolError``
naming the key, so a half-understood answer never reaches the ledger or the gate.

Only the keys this link uses are read; pretix adds keys with every release and those
are ignored. Ids, codes and secrets must be exactly right; free text an organiser typed
(names, e-mail addresses) is cleaned instead (control characters and lone surrogates
become U+FFFD, long text is cut), so one odd attendee name cannot stop the download.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sync.errors import ProtocolError
from sync.pretix.model import (
    PretixCatalog,
    PretixCheckin,
    PretixCheckinList,
    PretixEvent,
    PretixPosition,
    PretixProduct,
    PretixSubevent,
    SecretChange,
)

_NOT_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MAX_TEXT = 1024
ORDER_STATUSES = frozenset({"n", "p", "e", "c"})


def iso_to_ms(value: Any, key: str) -> int:
    """pretix's ISO 8601 time (``Z`` or an offset) as Unix ms."""
    if not isinstance(value, str):
        raise ProtocolError(f"{key}: expected an ISO time, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ProtocolError(f"{key}: not an ISO time: {value!r}") from None
    if parsed.tzinfo is None:
        raise ProtocolError(f"{key}: time without an offset: {value!r}")
    return int(parsed.timestamp() * 1000)


def results(doc: Any, where: str) -> tuple[list[dict[str, Any]], bool]:
    """A paginated answer's ``results`` and whether there is a ``next`` page."""
    obj = _object(doc, where)
    items = obj.get("results")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ProtocolError(f"{where}: expected a page of objects")
    return items, obj.get("next") is not None


def event(doc: Any) -> PretixEvent:
    obj = _object(doc, "event")
    keys = obj.get("valid_keys") or {}
    sig1 = _object(keys, "event.valid_keys").get("pretix_sig1", [])
    if not isinstance(sig1, list) or not all(isinstance(k, str) and k for k in sig1):
        raise ProtocolError("event.valid_keys.pretix_sig1: expected a list of strings")
    return PretixEvent(
        slug=_text(obj.get("slug"), "event.slug", empty=False),
        name=i18n(obj.get("name"), "event.name"),
        date_from_ms=iso_to_ms(obj.get("date_from"), "event.date_from"),
        has_subevents=_bool(obj.get("has_subevents", False), "event.has_subevents"),
        testmode=_bool(obj.get("testmode", False), "event.testmode"),
        valid_keys=tuple(sig1),
    )


def products(items: list[dict[str, Any]]) -> list[PretixProduct]:
    """Each item without variations, and each variation of the others, with what staff
    must heed at check-in (``checkin_attention`` of the item or the variation; the
    variation's ``checkin_text``, else the item's)."""
    out: list[PretixProduct] = []
    for i, item in enumerate(items):
        key = f"items[{i}]"
        item_id = _id(item.get("id"), f"{key}.id")
        name = i18n(item.get("name"), f"{key}.name")
        admission = _bool(item.get("admission", True), f"{key}.admission")
        attention = _bool(item.get("checkin_attention", False), f"{key}.checkin_attention")
        text = i18n(item.get("checkin_text"), f"{key}.checkin_text")
        variations = item.get("variations") or []
        if not isinstance(variations, list):
            raise ProtocolError(f"{key}.variations: expected a list")
        if not variations:
            out.append(PretixProduct(item_id, 0, name, admission, attention, text))
        for j, var in enumerate(variations):
            vkey = f"{key}.variations[{j}]"
            var = _object(var, vkey)
            value = i18n(var.get("value"), f"{vkey}.value")
            flagged = _bool(var.get("checkin_attention", False), f"{vkey}.checkin_attention")
            var_text = i18n(var.get("checkin_text"), f"{vkey}.checkin_text")
            out.append(
                PretixProduct(
                    item_id,
                    _id(var.get("id"), f"{vkey}.id"),
                    f"{name} – {value}",
                    admission,
                    attention or flagged,
                    var_text or text,
                )
            )
    return out


def subevents(items: list[dict[str, Any]]) -> list[PretixSubevent]:
    return [
        PretixSubevent(
            _id(s.get("id"), f"subevents[{i}].id"),
            i18n(s.get("name"), f"subevents[{i}].name"),
            iso_to_ms(s.get("date_from"), f"subevents[{i}].date_from"),
        )
        for i, s in enumerate(items)
    ]


def checkin_list(doc: Any) -> PretixCheckinList:
    obj = _object(doc, "checkin list")
    limit = obj.get("limit_products") or []
    if not isinstance(limit, list):
        raise ProtocolError("checkin list.limit_products: expected a list")
    subevent = obj.get("subevent")
    rules = obj.get("rules") or {}
    return PretixCheckinList(
        id=_id(obj.get("id"), "checkin list.id"),
        name=_clean(obj.get("name")),
        all_products=_bool(obj.get("all_products", True), "checkin list.all_products"),
        limit_products=tuple(_id(p, "checkin list.limit_products[]") for p in limit),
        subevent=None if subevent is None else _id(subevent, "checkin list.subevent"),
        include_pending=_bool(obj.get("include_pending", False), "checkin list.include_pending"),
        allow_multiple_entries=_bool(
            obj.get("allow_multiple_entries", False), "checkin list.allow_multiple_entries"
        ),
        allow_entry_after_exit=_bool(
            obj.get("allow_entry_after_exit", True), "checkin list.allow_entry_after_exit"
        ),
        has_rules=bool(rules),
        addon_match=_bool(obj.get("addon_match", False), "checkin list.addon_match"),
    )


def catalog(
    event_doc: Any, items: list[dict[str, Any]], dates: list[dict[str, Any]], list_doc: Any
) -> PretixCatalog:
    return PretixCatalog(
        event(event_doc), tuple(products(items)), tuple(subevents(dates)), checkin_list(list_doc)
    )


def order_positions(order: dict[str, Any], key: str) -> list[PretixPosition]:
    """The positions of one order (canceled ones included, when pretix sends them)."""
    code = _text(order.get("code"), f"{key}.code", empty=False)
    status = order.get("status")
    if status not in ORDER_STATUSES:
        raise ProtocolError(f"{key}.status: expected one of n, p, e, c, got {status!r}")
    positions = order.get("positions")
    if not isinstance(positions, list):
        raise ProtocolError(f"{key}.positions: expected a list")
    email = _clean(order.get("email"))
    pending_ok = _bool(order.get("valid_if_pending", False), f"{key}.valid_if_pending")
    approval = _bool(order.get("require_approval", False), f"{key}.require_approval")
    out = []
    for i, pos in enumerate(positions):
        pkey = f"{key}.positions[{i}]"
        pos = _object(pos, pkey)
        out.append(
            PretixPosition(
                position_id=_id(pos.get("id"), f"{pkey}.id"),
                order_code=code,
                order_status=status,
                order_valid_if_pending=pending_ok,
                order_require_approval=approval,
                order_email=email,
                item=_id(pos.get("item"), f"{pkey}.item"),
                variation=_optional_id(pos.get("variation"), f"{pkey}.variation"),
                subevent=_optional_id(pos.get("subevent"), f"{pkey}.subevent"),
                secret=_text(pos.get("secret"), f"{pkey}.secret", empty=False),
                attendee_name=_clean(pos.get("attendee_name")),
                attendee_email=_clean(pos.get("attendee_email")),
                valid_from=_optional_time_s(pos.get("valid_from"), f"{pkey}.valid_from"),
                valid_until=_optional_time_s(pos.get("valid_until"), f"{pkey}.valid_until"),
                canceled=_bool(pos.get("canceled", False), f"{pkey}.canceled"),
                blocked=bool(pos.get("blocked")),
                checkins=tuple(_checkins(pos.get("checkins") or [], f"{pkey}.checkins")),
            )
        )
    return out


def _checkins(items: Any, key: str) -> list[PretixCheckin]:
    if not isinstance(items, list):
        raise ProtocolError(f"{key}: expected a list")
    out = []
    for i, c in enumerate(items):
        ckey = f"{key}[{i}]"
        c = _object(c, ckey)
        kind = c.get("type", "entry")
        if kind not in ("entry", "exit"):
            raise ProtocolError(f"{ckey}.type: expected entry or exit, got {kind!r}")
        device = c.get("device_id", c.get("device"))
        out.append(
            PretixCheckin(
                _id(c.get("list"), f"{ckey}.list"),
                kind,
                iso_to_ms(c.get("datetime"), f"{ckey}.datetime"),
                None if device is None else _id(device, f"{ckey}.device_id"),
            )
        )
    return out


def revoked_secrets(items: list[dict[str, Any]]) -> list[str]:
    return [
        _text(r.get("secret"), f"revokedsecrets[{i}].secret", empty=False)
        for i, r in enumerate(items)
    ]


def blocked_secrets(items: list[dict[str, Any]]) -> list[SecretChange]:
    return [
        SecretChange(
            _text(b.get("secret"), f"blockedsecrets[{i}].secret", empty=False),
            _bool(b.get("blocked", True), f"blockedsecrets[{i}].blocked"),
        )
        for i, b in enumerate(items)
    ]


def i18n(value: Any, key: str) -> str:
    """pretix's translated text (``{"en": "…", "de": "…"}`` or a plain string): English,
    else the first language given; cleaned like any free text."""
    if isinstance(value, Mapping):
        texts = [v for v in value.values() if isinstance(v, str) and v]
        value = value.get("en") if isinstance(value.get("en"), str) else (texts or [""])[0]
    if value is not None and not isinstance(value, str):
        raise ProtocolError(f"{key}: expected text")
    return _clean(value)


def _clean(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return _NOT_TEXT.sub("\ufffd", value[:_MAX_TEXT])


def _object(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"{key}: expected an object")
    return value


def _id(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise ProtocolError(f"{key}: expected a positive integer id, got {value!r}")
    return value


def _optional_id(value: Any, key: str) -> int:
    return 0 if value is None else _id(value, key)


def _optional_time_s(value: Any, key: str) -> int:
    return 0 if value is None else max(0, iso_to_ms(value, key) // 1000)


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ProtocolError(f"{key}: expected true or false, got {value!r}")
    return value


def _text(value: Any, key: str, *, empty: bool = True) -> str:
    if not isinstance(value, str) or (not empty and not value) or len(value) > _MAX_TEXT:
        raise ProtocolError(f"{key}: expected a string of at most {_MAX_TEXT} characters")
    if _NOT_TEXT.search(value) is not None:
        raise ProtocolError(f"{key}: control characters or lone surrogates are not text")
    return value
