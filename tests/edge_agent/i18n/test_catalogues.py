"""Staff messages in English, German, French and Spanish: every catalogue complete, every
placeholder kept, the reason code the same in every language, and the device's choice."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
from babel.messages.pofile import read_po

from edge_agent.domain.credential import CredentialKind
from edge_agent.domain.decide import Decision
from edge_agent.domain.messages import staff_message
from edge_agent.domain.reasons import (
    FLAG_TEXTS,
    HOLDER_TEXT,
    STAFF_MESSAGES,
    TIMES_TEXTS,
    ZONE_OVER_TEXT,
    Direction,
    Outcome,
    ReasonCode,
)
from edge_agent.domain.rules.model import Flag, TicketFlags
from edge_agent.i18n.catalogue import catalogue
from edge_agent.i18n.languages import LANGUAGES, pick_language
from edge_agent.i18n.render import message_in

MESSAGE_IDS = {*STAFF_MESSAGES.values(), *TIMES_TEXTS, *FLAG_TEXTS.values(), HOLDER_TEXT,
               ZONE_OVER_TEXT}  # fmt: skip
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_translates_every_message_and_keeps_its_placeholders(
    language: str,
) -> None:
    source = files("edge_agent.i18n") / "locale" / language / "LC_MESSAGES" / "gatehouse.po"
    with source.open("rb") as handle:
        catalog = read_po(handle)
    ids = {m.id for m in catalog if m.id}
    assert ids == MESSAGE_IDS
    for message in catalog:
        if not message.id:
            continue
        if language == "en":
            assert message.string == ""  # the ids are the English texts
            continue
        assert message.string, f"{language}: {message.id!r} untranslated"
        assert set(PLACEHOLDER.findall(message.string)) == set(PLACEHOLDER.findall(message.id))


def test_the_issues_examples_in_four_languages() -> None:
    said = {
        lang: (
            staff_message(ReasonCode.WRONG_DAY, {"day": "2026-07-04"}, catalogue=catalogue(lang)),
            staff_message(ReasonCode.DOORS_NOT_OPEN, {"time": "18:30"}, catalogue=catalogue(lang)),
            staff_message(ReasonCode.DAY_LIMIT, {"count": 2}, catalogue=catalogue(lang)),
        )
        for lang in LANGUAGES
    }
    assert said["en"] == (
        "Day pass for Saturday",
        "Doors open 18:30",
        "Already entered twice today",
    )
    assert said["de"] == (
        "Tagesticket für Samstag",
        "Einlass ab 18:30",
        "Heute schon zweimal eingelassen",
    )
    assert said["fr"][0] == "Pass journée pour samedi"
    assert said["es"][2] == "Ya entró dos veces hoy"


def test_a_flagged_admit_renders_per_language_with_the_same_code() -> None:
    decision = Decision(
        outcome=Outcome.ADMIT,
        reason=ReasonCode.ADMITTED,
        message="Welcome — admit · CHECK ID · Name: Ada Lovelace",
        direction=Direction.IN,
        credential_kind=CredentialKind.GH1,
        flags=TicketFlags(frozenset({Flag.ID_CHECK}), "", "Ada Lovelace"),
    )
    assert message_in(decision, "en") == decision.message
    assert (
        message_in(decision, "de") == "Willkommen — einlassen · AUSWEIS PRÜFEN · Name: Ada Lovelace"
    )
    assert message_in(decision, "fr").startswith("Bienvenue — entrée · VÉRIFIER L'IDENTITÉ")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("de-DE", "de"),
        ("en;q=0.5, es;q=0.9", "es"),
        ("ja, zh;q=0.5", "en"),
        ("fr;q=0, de;q=0.1", "de"),
    ],
)
def test_accept_language_picks_a_supported_language(header: str | None, expected: str) -> None:
    assert pick_language(header) == expected
