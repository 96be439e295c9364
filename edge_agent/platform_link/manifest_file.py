"""A local manifest file: ticket types, plain codes, revocations and flagged tickets for
one event.

Until the sync issue brings the platform's manifest feed, a venue tech (and the demo)
loads these from a JSON file (format in ``docs/manifest-file.md``). Plain codes are
stored only as the SHA-256 of their text, like every code the agent keeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.rules.model import Flag
from edge_agent.domain.text_rules import has_non_text
from edge_agent.domain.ticket_codec import strip_code
from edge_agent.domain.verification import code_sha256
from edge_agent.errors import ConfigError
from edge_agent.ledger.rows import ManifestTicketRow, PlainCodeRow, RevocationRow, TicketTypeRow


@dataclass(frozen=True)
class Manifest:
    event_id: int
    ticket_types: tuple[TicketTypeRow, ...]
    plain_codes: tuple[PlainCodeRow, ...]
    revocations: tuple[RevocationRow, ...]
    #: Single tickets with a holder's name, flags or a staff note.
    tickets: tuple[ManifestTicketRow, ...] = ()


def read_manifest_file(path: Path, now_ms: int) -> Manifest:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), None, "manifest file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(str(path), None, f"cannot read manifest: {exc}") from None
    return parse_manifest(doc, str(path), now_ms)


def parse_manifest(doc: Any, source: str, now_ms: int) -> Manifest:
    """Check a parsed manifest document; every problem names its key, like the config."""

    def fail(key: str | None, problem: str) -> ConfigError:
        return ConfigError(source, key, problem)

    def uint(value: Any, key: str, bits: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < (1 << bits):
            raise fail(key, f"expected an unsigned {bits}-bit integer, got {value!r}")
        return value

    def text(value: Any, key: str) -> str:
        if not isinstance(value, str) or not value or has_non_text(value):
            raise fail(key, f"expected a non-empty string of printable text, got {value!r}")
        return value

    def stripped(value: Any) -> Any:
        """Codes follow the scanners' strip rule (CR, LF, space, tab at both ends)."""
        return strip_code(value) if isinstance(value, str) else value

    def objects(name: str, keys: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        """(key path, entry) for each object of the list ``doc[name]``."""
        items = doc.get(name, [])
        if not isinstance(items, list):
            raise fail(name, "expected a list")
        for i, item in enumerate(items):
            key = f"{name}[{i}]"
            if not isinstance(item, dict):
                raise fail(key, "expected an object")
            for unknown in sorted(set(item) - keys):
                raise fail(f"{key}.{unknown}", f"unknown key (known: {', '.join(sorted(keys))})")
            yield key, item

    if not isinstance(doc, dict):
        raise fail(None, "expected a JSON object")

    def flags(value: Any, key: str) -> str:
        """A list of flag names → the stored comma-separated form."""
        known = {f.value for f in Flag}
        if value is None:
            return ""
        if not isinstance(value, list) or any(v not in known for v in value):
            raise fail(key, f"expected a list of {', '.join(sorted(known))}, got {value!r}")
        return ",".join(sorted(set(value)))

    def note(value: Any, key: str) -> str:
        return "" if value is None or value == "" else text(value, key)

    allowed = {"event_id", "ticket_types", "plain_codes", "revocations", "tickets"}
    for unknown in sorted(set(doc) - allowed):
        raise fail(unknown, "unknown key")
    event_id = uint(doc.get("event_id"), "event_id", 32)
    types = tuple(
        TicketTypeRow(
            event_id,
            uint(t.get("ticket_type"), f"{key}.ticket_type", 16),
            text(t.get("name"), f"{key}.name"),
            flags=flags(t.get("flags"), f"{key}.flags"),
            note=note(t.get("note"), f"{key}.note"),
        )
        for key, t in objects("ticket_types", {"ticket_type", "name", "flags", "note"})
    )
    tickets = tuple(
        ManifestTicketRow(
            ticket_id=text(t.get("ticket_id"), f"{key}.ticket_id"),
            event_id=event_id,
            ticket_type=uint(t.get("ticket_type", 0), f"{key}.ticket_type", 16),
            holder_name=note(t.get("holder_name"), f"{key}.holder_name"),
            flags=flags(t.get("flags"), f"{key}.flags"),
            note=note(t.get("note"), f"{key}.note"),
        )
        for key, t in objects(
            "tickets", {"ticket_id", "ticket_type", "holder_name", "flags", "note"}
        )
    )
    codes = tuple(
        PlainCodeRow(
            code_sha256=code_sha256(text(stripped(c.get("code")), f"{key}.code")),
            event_id=event_id,
            ticket_id=text(c.get("ticket_id"), f"{key}.ticket_id"),
            ticket_type=uint(c.get("ticket_type", 0), f"{key}.ticket_type", 16),
            valid_from=uint(c.get("valid_from", 0), f"{key}.valid_from", 32),
            valid_until=uint(c.get("valid_until", 0), f"{key}.valid_until", 32),
        )
        for key, c in objects(
            "plain_codes", {"code", "ticket_id", "ticket_type", "valid_from", "valid_until"}
        )
    )
    kinds = {k.value for k in RevocationKind}
    revocations = []
    for key, r in objects("revocations", {"ticket_id", "kind"}):
        kind = r.get("kind")
        if kind not in kinds:
            raise fail(f"{key}.kind", f"expected one of {', '.join(sorted(kinds))}, got {kind!r}")
        ticket_id = text(r.get("ticket_id"), f"{key}.ticket_id")
        revocations.append(RevocationRow(ticket_id, kind, now_ms, "manifest-file"))
    return Manifest(event_id, types, codes, tuple(revocations), tickets)
