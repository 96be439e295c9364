"""Lenient reading of one JSON object of an agent answer (see the package docstring)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self


class Fields:
    """A JSON object whose fields are read with their expected type: a field that is
    missing, ``null`` or of another type reads as the default (never an exception)."""

    __slots__ = ("_doc",)

    def __init__(self, doc: object) -> None:
        self._doc: Mapping[str, object] = doc if isinstance(doc, dict) else {}

    def has(self, key: str) -> bool:
        return self._doc.get(key) is not None

    def text(self, key: str, default: str = "") -> str:
        value = self._doc.get(key)
        return value if isinstance(value, str) else default

    def opt_text(self, key: str) -> str | None:
        value = self._doc.get(key)
        return value if isinstance(value, str) else None

    def integer(self, key: str, default: int = 0) -> int:
        value = self.opt_integer(key)
        return default if value is None else value

    def opt_integer(self, key: str) -> int | None:
        value = self._doc.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def opt_number(self, key: str) -> float | None:
        value = self._doc.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._doc.get(key)
        return value if isinstance(value, bool) else default

    def opt_flag(self, key: str) -> bool | None:
        value = self._doc.get(key)
        return value if isinstance(value, bool) else None

    def obj(self, key: str) -> Fields:
        """The object at ``key`` (an empty one when there is none)."""
        return Fields(self._doc.get(key))

    def opt_obj(self, key: str) -> Fields | None:
        value = self._doc.get(key)
        return Fields(value) if isinstance(value, dict) else None

    def objs(self, key: str) -> list[Fields]:
        """The objects of the list at ``key`` (other items are skipped)."""
        value = self._doc.get(key)
        return [Fields(v) for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    def keyed(self, key: str) -> dict[str, Fields]:
        """An object keyed by data (stream names, lane ids), its values as objects."""
        value = self._doc.get(key)
        if not isinstance(value, dict):
            return {}
        return {str(k): Fields(v) for k, v in value.items()}

    def counts(self, key: str) -> dict[str, int]:
        """An object of counts keyed by data (outcomes, reasons)."""
        value = self._doc.get(key)
        if not isinstance(value, dict):
            return {}
        return {
            str(k): v for k, v in value.items() if isinstance(v, int) and not isinstance(v, bool)
        }

    def texts(self, key: str) -> list[str]:
        value = self._doc.get(key)
        return [str(v) for v in value] if isinstance(value, list) else []

    def raw(self, key: str) -> object:
        """The value as it came (for what is passed on untouched, e.g. a signature)."""
        return self._doc.get(key)


class Document:
    """Base of the documents: ``from_json`` reads one with the subclass's ``read``."""

    __slots__ = ()

    @classmethod
    def from_json(cls, doc: object) -> Self:
        return cls.read(Fields(doc))

    @classmethod
    def read(cls, f: Fields) -> Self:
        raise NotImplementedError
