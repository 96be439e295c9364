"""The rule facts a scan row keeps in its ledger extension (``docs/ledger.md``).

Only what the admission index needs back after a restart, and what evidence should
show, for rows that let someone through: the list that admitted, the zone entered, the
event day the entry counted on, the flags staff were shown, a zone over its capacity.
A refusal keeps the bytes it always had (its reason says what it needs to).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache

from edge_agent.domain.decide import Decision
from edge_agent.domain.gate_policy import GatePolicy
from edge_agent.domain.rules.calendar import key_date, local_key

_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@lru_cache(maxsize=4096)
def _pair(key: str, value: str) -> str:
    """``"key":"value"`` as canonical JSON; memoised: days, list ids and zones repeat
    on every scan of a night."""
    return f'"{key}":' + _DUMPS(value)


def rule_facts(decision: Decision) -> str | None:
    """The extension's canonical text (sorted keys, ``records.encode_ext``'s form), or
    ``None``. Built by hand: it is on the per-scan path, its keys are fixed and sorted,
    and ``test_rule_facts`` pins it to ``encode_ext``."""
    if not decision.lets_through:
        return None
    parts = []
    if decision.day:
        parts.append(_pair("day", decision.day))
    flags = decision.flags
    if flags is not None and flags.flags:
        parts.append(_pair("flags", ",".join(sorted(flags.flags))))
    if decision.list_id:
        parts.append(_pair("list", decision.list_id))
    if decision.zone:
        parts.append(_pair("zone", decision.zone))
    if decision.zone_over:
        parts.append('"zone_over":true')
    return "{" + ",".join(parts) + "}" if parts else None


def day_function(policy: GatePolicy) -> Callable[[int], str]:
    """The event day of an entry recorded without rule facts (a row from before the
    rules, or an override): its local date in the gate's display zone."""
    tz = policy.display_tz

    def day_of(at_ms: int) -> str:
        return key_date(local_key(at_ms, tz)).isoformat()

    return day_of
