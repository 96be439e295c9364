"""pretix's data as this link uses it: checked values, no pretix JSON beyond ``documents``.

A download round yields ``PretixPage`` values: each carries the catalog (event, products,
dates, the configured check-in list — small and always current, like the Gatehouse
manifest's ``event`` and ``keyring``), a slice of what changed (order positions, revoked
and blocked secrets) and the resume cursor after that slice. The agent turns pages into
its own rows (``edge_agent/platform_link/pretix``): sync never reads a ticket's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class PretixEvent:
    slug: str
    name: str
    date_from_ms: int
    has_subevents: bool
    testmode: bool
    #: ``valid_keys["pretix_sig1"]``: base64 of PEM public keys, as pretix publishes them.
    valid_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PretixProduct:
    """An item, or one variation of an item that has them (``variation`` 0: none)."""

    item: int
    variation: int
    name: str
    admission: bool
    #: ``checkin_attention``: staff must look at the ticket (the item's or variation's).
    attention: bool = False
    #: ``checkin_text``: what staff are shown at check-in ("" = nothing).
    checkin_text: str = ""


@dataclass(frozen=True, slots=True)
class PretixSubevent:
    id: int
    name: str
    date_from_ms: int


@dataclass(frozen=True, slots=True)
class PretixCheckinList:
    id: int
    name: str
    all_products: bool
    limit_products: tuple[int, ...]
    #: The date the list admits (``None``: every date of a series).
    subevent: int | None
    include_pending: bool
    allow_multiple_entries: bool
    allow_entry_after_exit: bool
    #: The list has custom rules (JSON logic), which this link does not evaluate.
    has_rules: bool
    addon_match: bool


@dataclass(frozen=True, slots=True)
class PretixCatalog:
    event: PretixEvent
    products: tuple[PretixProduct, ...]
    subevents: tuple[PretixSubevent, ...]
    checkin_list: PretixCheckinList


class PretixCheckin(NamedTuple):
    """A successful check-in pretix holds for a position (any device, any list)."""

    list_id: int
    type: str  # "entry" | "exit"
    at_ms: int
    device_id: int | None


class PretixPosition(NamedTuple):
    position_id: int
    order_code: str
    #: ``n`` pending, ``p`` paid, ``e`` expired, ``c`` canceled.
    order_status: str
    order_valid_if_pending: bool
    order_require_approval: bool
    order_email: str
    item: int
    variation: int
    subevent: int
    secret: str
    attendee_name: str
    attendee_email: str
    valid_from: int  # unix s, 0 = none
    valid_until: int
    canceled: bool
    blocked: bool
    checkins: tuple[PretixCheckin, ...]


class SecretChange(NamedTuple):
    """A secret on pretix's blocked list and whether it is still blocked (pretix keeps
    an unblocked secret's row with ``blocked: false``)."""

    secret: str
    blocked: bool


@dataclass(frozen=True, slots=True)
class PretixPage:
    catalog: PretixCatalog
    #: The resume point after this page (opaque JSON text, stored with the page).
    cursor: str
    positions: tuple[PretixPosition, ...] = ()
    #: Secrets pretix revoked (reissued tickets).
    revoked: tuple[str, ...] = ()
    #: Blocked secrets, ``blocked`` False once pretix unblocked them.
    blocked: tuple[SecretChange, ...] = ()
    #: The round's last page: the manifest is now complete as of ``server_time_ms``.
    complete: bool = False
    #: pretix's clock when the round began (its ``Date`` header), ms.
    server_time_ms: int = 0

    @property
    def manifest_at_ms(self) -> int | None:
        return self.server_time_ms if self.complete else None
