"""A verdict's staff message in a device's language.

``decide()`` already wrote the English message; any other language is rendered again
from the decision's reason code, parameters and flags with that language's catalogue,
so the reason code is the same everywhere and only the words change.
"""

from __future__ import annotations

from edge_agent.domain.decide import Decision
from edge_agent.domain.messages import SEPARATOR, staff_message, zone_over_text
from edge_agent.domain.reasons import STAFF_MESSAGES
from edge_agent.i18n.catalogue import catalogue
from edge_agent.i18n.languages import DEFAULT_LANGUAGE


def message_in(decision: Decision, language: str) -> str:
    """The decision's staff message in ``language`` (one of ``LANGUAGES``)."""
    if language == DEFAULT_LANGUAGE or decision.reason not in STAFF_MESSAGES:
        return decision.message
    cat = catalogue(language)
    text = staff_message(decision.reason, decision.params, decision.flags, cat)
    if decision.zone_over:
        text += SEPARATOR + zone_over_text(decision.zone_over, cat)
    return text
