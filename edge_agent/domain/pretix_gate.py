"""A pretix ticket at the gate: which event, ticket type and date it is for.

A pretix code carries only pretix's ids (item, variation, subevent) and names no event;
a pretix random secret is a plain code whose manifest row has the subevent. These pure
helpers turn them into what ``decide()`` and the rules judge any ticket by — an event
the box admits, a Gatehouse ticket type, an event day — plus pretix's check-in list
(``PretixRules.checkin_list``), so from there on a pretix ticket takes exactly the path
of a GH1 ticket (``docs/pretix.md``, "pretix codes and the gate rules").
"""

from __future__ import annotations

from datetime import date

from edge_agent.domain.credential import PretixCredential
from edge_agent.domain.gate_policy import GatePolicy
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.trusted_key import TrustedKey

_NO_DAYS: frozenset[date] = frozenset()


def pretix_event(key: TrustedKey, policy: GatePolicy) -> int | None:
    """The event a verified pretix code is for: its key's scope is its event. The box's
    synced event (``[event]``) when the scope has it, else the first other event of the
    scope the box admits (``[[events]]``: a second pretix event's imported keys);
    ``None`` when the box admits none of them (``wrong_event``)."""
    if key.allows_event(policy.event_id):
        return policy.event_id
    for event_id in sorted(key.events or ()):
        if policy.admits_event(event_id):
            return event_id
    return None


def linked_rules(
    rules: PretixRules | None, event_id: int, policy: GatePolicy
) -> PretixRules | None:
    """The pretix link's rules where they apply: to tickets of the event it syncs (the
    box's ``[event]``); another admitted event's tickets have only the box's rules."""
    return rules if rules is not None and event_id == policy.event_id else None


def pretix_type(credential: PretixCredential, rules: PretixRules | None) -> int | None:
    """The ticket type of a pretix code's product: the link's product map, ``None`` for
    a product it does not list; without a link, pretix's item id (a box with imported
    pretix keys and no link has no map)."""
    pt = credential.ticket
    return pt.item if rules is None else rules.ticket_type(pt.item, pt.variation)


def ticket_days(subevent: int, rules: PretixRules | None, policy: GatePolicy) -> frozenset[date]:
    """The event day a dated ticket is for (its subevent's date in the gate's zone),
    judged like a day pass's days; empty for a ticket of no (known) date."""
    if not subevent or rules is None:
        return _NO_DAYS
    day = rules.event_date(subevent, policy.display_tz)
    return _NO_DAYS if day is None else frozenset({day})
