"""The languages staff messages come in (one catalogue each in ``locale/``)."""

from __future__ import annotations

#: ISO 639-1 codes; the first is the source language of every message id.
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es")
DEFAULT_LANGUAGE = "en"


def pick_language(accept_language: str | None, fallback: str = DEFAULT_LANGUAGE) -> str:
    """The best of ``LANGUAGES`` for an ``Accept-Language`` header ("fr-CH, fr;q=0.9,
    en;q=0.8"), or ``fallback`` when it names none of them (or is absent)."""
    if not accept_language:
        return fallback
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        fields = part.strip().split(";")
        tag = fields[0].strip().lower()
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else fallback
