"""What a pretix link tells a gate about its event's tickets, as a value ``decide()`` reads.

The pretix link builds it from pretix's products, dates (subevents) and the check-in
list named in the config; the gate keeps the current one in its state (it arrives with
the manifest and changes live, like ticket flags; the box's own rules are config, in
``GatePolicy``). It says:

* which Gatehouse ticket type each pretix product (item, and variation where the item
  has them) is: a signed code carries only pretix's ids;
* which date (event day, in the gate's zone) each subevent of a series is, and its name;
* pretix's check-in list as one more ``CheckInList`` of the gate's rules
  (``checkin_list``): the products (``limit_products``) and the date (``subevent``) it
  admits. ``decide()`` applies it to pretix's tickets beside the lane's own lists, so a
  pretix code meets the same list, window, limit, zone and flag rules as any ticket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, tzinfo
from types import MappingProxyType

from edge_agent.domain.rules.calendar import key_date, local_key
from edge_agent.domain.rules.model import NO_TICKET_TYPE, CheckInList

#: The id pretix's check-in list has among the gate's lists (verdicts, ``rules explain``).
PRETIX_LIST_ID = "pretix"


def _empty() -> Mapping[int, str]:
    return MappingProxyType({})


def _no_starts() -> Mapping[int, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class PretixRules:
    #: (item, variation) → ticket type; variation 0 for an item without variations.
    products: Mapping[tuple[int, int], int]
    #: Ticket types the check-in list admits; ``None`` = every product.
    list_types: frozenset[int] | None = None
    #: Subevents (dates) the list admits; ``None`` = any date.
    subevents: frozenset[int] | None = None
    #: Subevent → its name (for the staff message "Ticket is for another date (Day 2)").
    subevent_names: Mapping[int, str] = field(default_factory=_empty)
    #: Subevent → when it begins (Unix ms): its event date is that day in the gate's zone.
    subevent_starts: Mapping[int, int] = field(default_factory=_no_starts)
    #: The check-in list as the gate's rules see it (computed from the fields above).
    checkin_list: CheckInList = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        types = self.list_types
        if types is not None and not types:
            types = frozenset({NO_TICKET_TYPE})  # limited to no products: covers nothing
        clist = CheckInList(
            id=PRETIX_LIST_ID,
            name="pretix check-in list",
            ticket_types=types or frozenset(),
            dates=self.subevents or frozenset(),
        )
        object.__setattr__(self, "checkin_list", clist)

    def ticket_type(self, item: int, variation: int) -> int | None:
        """The type of a signed code's product, ``None`` when pretix's manifest has no
        such product (the gate then refuses it as not allowed)."""
        return self.products.get((item, variation))

    def admits_date(self, subevent: int) -> bool:
        """A ticket of no date (0) is for the event itself, admitted by any list."""
        return self.checkin_list.covers_date(subevent)

    def date_name(self, subevent: int) -> str:
        return self.subevent_names.get(subevent) or f"date {subevent}"

    def event_date(self, subevent: int, tz: tzinfo) -> date | None:
        """The day a dated ticket is for (its subevent's start in ``tz``), ``None`` for a
        ticket of no date or a date pretix did not list."""
        start = self.subevent_starts.get(subevent) if subevent else None
        return None if start is None else key_date(local_key(start, tz))
