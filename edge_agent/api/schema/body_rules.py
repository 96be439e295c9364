"""``Body``: the base of every request body and query schema, and ``text()``, the string
rules msgspec has no ``Meta`` for.

Why: msgspec decodes and checks, in one pass in C, what a body's annotations say — types,
required and unknown fields (refused), ``Meta`` bounds and lengths, enums, tagged unions,
``X | None`` (null or absent: the default) — and generates the JSON Schema from the same
class. Three rules of ours it lacks; ``text()`` declares them on the field (in the
``Meta``'s ``extra``) and ``Body.__post_init__`` applies them, which msgspec runs inside
decoding, so a failure is a ``ValidationError`` at the right path like any other:

- ``printable``: no control characters and no lone surrogates (``has_non_text``);
- ``strip``: surrounding whitespace removed *before* the length checks and the pattern,
  so msgspec must not check those itself: the limits go to the JSON Schema only;
- ``pattern``: the whole string must match (``re.fullmatch``; msgspec's pattern is
  ``re.search``, whose ``$`` lets a trailing newline through).

They apply to a struct's own ``str`` (or ``str | None``) fields, not to list items.
Subclasses say ``frozen=True`` again: msgspec inherits it, but mypy reads each class.
Example (adding a field is one line)::

    class OpenSession(Body, frozen=True):
        operator: Annotated[str, text(min_len=1, max_len=64, strip=True, printable=True)]
        float_cents: Annotated[int, Meta(ge=0, le=10**7)] = 0
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any

import msgspec

from edge_agent.domain.text_rules import has_non_text

#: Where ``text()`` keeps its rule in a ``Meta``'s ``extra``.
_RULE = "gatehouse_text_rule"


@dataclass(frozen=True, slots=True)
class TextRule:
    """What ``Body.__post_init__`` checks on one string field, in this order."""

    strip: bool
    min_len: int  # checked here only when ``strip`` (msgspec checks the others)
    max_len: int | None
    printable: bool
    pattern: re.Pattern[str] | None

    def check(self, name: str, value: str) -> str:
        """The value to keep (stripped); raises ``ValueError`` naming the field."""
        if self.strip:
            value = value.strip()
            if self.max_len is not None and len(value) > self.max_len:
                raise ValueError(f"`{name}` is longer than {self.max_len}")
            if len(value) < self.min_len:
                short = (
                    "must not be empty" if self.min_len == 1 else f"is shorter than {self.min_len}"
                )
                raise ValueError(f"`{name}` {short}")
        if self.printable and has_non_text(value):
            raise ValueError(f"`{name}` must be printable text")
        if self.pattern is not None and self.pattern.fullmatch(value) is None:
            raise ValueError(f"`{name}` is not in the expected form")
        return value


def text(
    *,
    max_len: int | None = None,
    min_len: int = 0,
    strip: bool = False,
    printable: bool = False,
    pattern: str | None = None,
    description: str = "",
) -> msgspec.Meta:
    """The ``Meta`` of a ``str`` field: ``Annotated[str, text(max_len=64, printable=True)]``."""
    schema: dict[str, Any] = {}
    if pattern is not None:
        schema["pattern"] = f"^(?:{pattern})$"
    if strip and max_len is not None:
        schema["maxLength"] = max_len
    if strip and min_len:
        schema["minLength"] = min_len
    rule = TextRule(
        strip=strip,
        min_len=min_len if strip else 0,
        max_len=max_len if strip else None,
        printable=printable,
        pattern=re.compile(pattern) if pattern is not None else None,
    )
    note = " ".join(part for part in (description, "(printable text)" * printable) if part)
    return msgspec.Meta(
        min_length=min_len if min_len and not strip else None,
        max_length=None if strip else max_len,
        description=note or None,
        extra_json_schema=schema or None,
        extra={_RULE: rule} if strip or printable or pattern is not None else None,
    )


class Body(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A request body or query: frozen, unknown fields refused, ``text()`` rules applied."""

    def __post_init__(self) -> None:
        cls = type(self)
        rules = _RULES.get(cls)
        if rules is None:
            rules = _RULES[cls] = _text_rules(cls)
        for name, rule in rules:
            value = getattr(self, name)
            if value is not None:
                kept = rule.check(name, value)
                if kept is not value:
                    msgspec.structs.force_setattr(self, name, kept)


_RULES: dict[type, tuple[tuple[str, TextRule], ...]] = {}


def _text_rules(cls: type[msgspec.Struct]) -> tuple[tuple[str, TextRule], ...]:
    """Each field of ``cls`` declared with ``text()`` rules (``X`` or ``X | None``)."""
    found = []
    for f in msgspec.structs.fields(cls):
        options = typing.get_args(f.type) if _is_union(f.type) else (f.type,)
        for option in options:
            for meta in getattr(option, "__metadata__", ()):
                rule = (meta.extra or {}).get(_RULE) if isinstance(meta, msgspec.Meta) else None
                if isinstance(rule, TextRule):
                    found.append((f.name, rule))
    return tuple(found)


def _is_union(tp: object) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)
