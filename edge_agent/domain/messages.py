"""Staff messages from a reason code and its parameters, in any language.

``decide()`` returns codes and parameters; the words are made here, from a *catalogue*
value (a translate function and the weekday names of a language). The English one is
the identity, so ``decide()`` can fill ``Decision.message`` at no cost; the edge
renders the same decision again in a device's language (``edge_agent/i18n``), and the
reason code stays the same in every language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from edge_agent.domain.reasons import (
    FLAG_TEXTS,
    HOLDER_TEXT,
    STAFF_MESSAGES,
    TIMES_TEXTS,
    WRONG_DATE_MESSAGE,
    ZONE_OVER_TEXT,
    ReasonCode,
)
from edge_agent.domain.rules.model import TicketFlags

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _english_weekday(day: date) -> str:
    return _WEEKDAYS[day.weekday()]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A language's texts: ``text`` translates an English template, ``weekday`` names a
    day. Pure values: the edge builds one per language from the message catalogue."""

    language: str
    text: Callable[[str], str]
    weekday: Callable[[date], str]


ENGLISH = Catalogue("en", lambda text: text, _english_weekday)

#: Separates the parts of an admit with flags ("Welcome — admit · CHECK ID · Name: …").
SEPARATOR = " · "


def staff_message(
    reason: ReasonCode,
    params: Mapping[str, str | int] | None = None,
    flags: TicketFlags | None = None,
    catalogue: Catalogue = ENGLISH,
) -> str:
    """The message for ``reason`` with ``params`` filled in, then the flags' texts."""
    text = catalogue.text(template_of(reason, params))
    if params:
        text = text.format_map(_Filled(params, catalogue))
    if flags:
        parts = [text, *_flag_parts(flags, catalogue)]
        text = SEPARATOR.join(parts)
    return text


def template_of(reason: ReasonCode, params: Mapping[str, str | int] | None) -> str:
    """The English template of a verdict: the reason's own, except ``wrong_event`` for
    another date of a series (a ``date`` parameter: "Ticket is for another date (Day
    2)"), so the reason stays the one code a date mismatch has always had."""
    if reason is ReasonCode.WRONG_EVENT and params and "date" in params:
        return WRONG_DATE_MESSAGE
    return STAFF_MESSAGES[reason]


def _flag_parts(flags: TicketFlags, catalogue: Catalogue) -> list[str]:
    parts = [catalogue.text(t) for name, t in FLAG_TEXTS.items() if name in flags.flags]
    if flags.note:
        parts.append(flags.note)
    if flags.holder_name and flags.flags:
        parts.append(catalogue.text(HOLDER_TEXT).format(name=flags.holder_name))
    return parts


def zone_over_text(zone: str, catalogue: Catalogue = ENGLISH) -> str:
    return catalogue.text(ZONE_OVER_TEXT).format(zone=zone)


def times_text(count: int, catalogue: Catalogue = ENGLISH) -> str:
    """ "once", "twice", "3 times" in the catalogue's language."""
    template = TIMES_TEXTS[min(count, 3) - 1] if count >= 1 else TIMES_TEXTS[2]
    return catalogue.text(template).format(count=count)


class _Filled(dict[str, object]):
    """Template parameters as a message shows them: ``times`` from ``count``, weekday
    names from ISO ``day`` lists; anything missing shows as "?" rather than raising."""

    def __init__(self, params: Mapping[str, str | int], catalogue: Catalogue) -> None:
        super().__init__(params)
        if "count" in params:
            self["times"] = times_text(int(params["count"]), catalogue)
        if "day" in params:
            days = str(params["day"]).split(",")
            self["day"] = ", ".join(catalogue.weekday(date.fromisoformat(d)) for d in days if d)

    def __missing__(self, key: str) -> str:
        return "?"
