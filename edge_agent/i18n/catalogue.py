"""Message catalogues: the ``.po`` files of ``locale/``, compiled when first used.

Why ship ``.po`` and compile at run time: the package stays plain source (an editable
install, a wheel and the Debian bundle need no build step that could be forgotten, and
no binary ``.mo`` sits in git to drift from its source); Babel reads and compiles a
catalogue of a few dozen messages in milliseconds, once per language per process. A
test checks every catalogue against the message ids and their placeholders.
"""

from __future__ import annotations

import gettext
import io
from datetime import date
from functools import lru_cache
from importlib.resources import files

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from edge_agent.domain.messages import ENGLISH, Catalogue
from edge_agent.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES

DOMAIN = "gatehouse"


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalogue of ``language`` (one of ``LANGUAGES``)."""
    if language not in LANGUAGES:
        raise ValueError(f"no staff messages in {language!r}")
    source = files("edge_agent.i18n") / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: str) -> Catalogue:
    """The pure catalogue value ``domain.messages`` renders with."""
    if language == DEFAULT_LANGUAGE:
        return ENGLISH
    text = translations(language).gettext

    def weekday(day: date) -> str:
        return format_date(day, "EEEE", locale=language)

    return Catalogue(language, text, weekday)
