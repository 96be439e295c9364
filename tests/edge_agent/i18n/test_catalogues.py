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
    WRONG_DATE_MESSAGE,
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
               ZONE_OVER_TEXT, WRONG_DATE_MESSAGE}  # fmt: skip
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


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reason_code_has_its_staff_message_in_every_language(language: str) -> None:
    """Both features' codes (pretix's blocked/unpaid, the rules' doors, limits, zones,
    rotating codes) and every older one: a message of its own in each catalogue."""
    assert set(STAFF_MESSAGES) == set(ReasonCode)
    cat = catalogue(language)
    said = {reason: cat.text(STAFF_MESSAGES[reason]) for reason in ReasonCode}
    if language == "en":
        assert said == STAFF_MESSAGES
    else:
        untranslated = [r.value for r, text in said.items() if text == STAFF_MESSAGES[r]]
        assert untranslated == [], f"{language}: {untranslated}"
    assert len(set(said.values())) == len(ReasonCode)  # no two codes say the same


def test_the_pretix_reasons_in_four_languages() -> None:
    blocked = {lang: staff_message(ReasonCode.BLOCKED, catalogue=catalogue(lang))
               for lang in LANGUAGES}  # fmt: skip
    assert blocked == {
        "en": "Ticket blocked — send to box office",
        "de": "Ticket blockiert — zur Kasse schicken",
        "fr": "Billet bloqué — envoyer à la billetterie",
        "es": "Entrada bloqueada — enviar a taquilla",
    }
    assert staff_message(ReasonCode.UNPAID, catalogue=catalogue("de")) == (
        "Bestellung nicht bezahlt — zur Kasse schicken"
    )
    dated = {"date": "Tag 2"}
    assert staff_message(ReasonCode.WRONG_EVENT, dated, catalogue=catalogue("de")) == (
        "Ticket für einen anderen Termin (Tag 2)"
    )
    assert staff_message(ReasonCode.WRONG_EVENT, dated, catalogue=catalogue("es")) == (
        "Entrada para otra fecha (Tag 2)"
    )
    assert staff_message(ReasonCode.WRONG_EVENT) == "Ticket is for another event"


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
