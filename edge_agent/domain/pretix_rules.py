"""What a pretix check-in list tells a gate, as a value ``decide()`` consults.

The pretix link builds it from pretix's products, dates (subevents) and the check-in
list named in the config; the gate keeps the current one in its state. It says:

* which Gatehouse ticket type each pretix product (item, and variation where the item
  has them) is: a signed code carries only pretix's ids;
* which of those types the list admits (pretix's ``limit_products``; ``None``: all);
* which dates of an event series the list admits (its ``subevent``; ``None``: any).

Kept small and separate from ``GatePolicy`` (the box's own config): these rules arrive
with the manifest and change live.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def _empty() -> Mapping[int, str]:
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

    def ticket_type(self, item: int, variation: int) -> int | None:
        """The type of a signed code's product, ``None`` when pretix's manifest has no
        such product (the gate then refuses it as not allowed)."""
        return self.products.get((item, variation))

    def admits_type(self, ticket_type: int | None) -> bool:
        if ticket_type is None:
            return False
        return self.list_types is None or ticket_type in self.list_types

    def admits_date(self, subevent: int) -> bool:
        """A ticket of no date (0) is for the event itself, admitted by any list."""
        return not subevent or self.subevents is None or subevent in self.subevents

    def date_name(self, subevent: int) -> str:
        return self.subevent_names.get(subevent) or f"date {subevent}"
