"""A local manifest file: ticket types, plain codes and revocations for one event.

Until the sync issue brings the platform's manifest feed, a venue tech (and the demo)
loads these from a JSON file (format in ``docs/manifest-file.md``). Plain codes are
stored only as the SHA-256 of their text, like every code the agent keeps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.verification import code_sha256
from edge_agent.errors import ConfigError
from edge_agent.ledger.rows import PlainCodeRow, RevocationRow, TicketTypeRow


@dataclass(frozen=True)
class Manifest:
    event_id: int
    ticket_types: tuple[TicketTypeRow, ...]
    plain_codes: tuple[PlainCodeRow, ...]
    revocations: tuple[RevocationRow, ...]


def read_manifest_file(path: Path, now_ms: int) -> Manifest:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), None, "manifest file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(str(path), None, f"cannot read manifest: {exc}") from None
    return parse_manifest(doc, str(path), now_ms)


def parse_manifest(doc: Any, source: str, now_ms: int) -> Manifest:
    def fail(key: str | None, problem: str) -> ConfigError:
        return ConfigError(source, key, problem)

    def uint(value: Any, key: str, bits: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < (1 << bits):
            raise fail(key, f"expected an unsigned {bits}-bit integer, got {value!r}")
        return value

    def text(value: Any, key: str) -> str:
        if not isinstance(value, str) or not value:
            raise fail(key, f"expected a non-empty string, got {value!r}")
        return value

    if not isinstance(doc, dict):
        raise fail(None, "expected a JSON object")
    unknown = set(doc) - {"event_id", "ticket_types", "plain_codes", "revocations"}
    if unknown:
        raise fail(sorted(unknown)[0], "unknown key")
    event_id = uint(doc.get("event_id"), "event_id", 32)
    types = []
    for i, t in enumerate(doc.get("ticket_types", [])):
        key = f"ticket_types[{i}]"
        if not isinstance(t, dict):
            raise fail(key, "expected an object")
        types.append(
            TicketTypeRow(
                event_id,
                uint(t.get("ticket_type"), f"{key}.ticket_type", 16),
                text(t.get("name"), f"{key}.name"),
            )
        )
    codes = []
    for i, c in enumerate(doc.get("plain_codes", [])):
        key = f"plain_codes[{i}]"
        if not isinstance(c, dict):
            raise fail(key, "expected an object")
        codes.append(
            PlainCodeRow(
                code_sha256=code_sha256(text(c.get("code"), f"{key}.code")),
                event_id=event_id,
                ticket_id=text(c.get("ticket_id"), f"{key}.ticket_id"),
                ticket_type=uint(c.get("ticket_type", 0), f"{key}.ticket_type", 16),
                valid_from=uint(c.get("valid_from", 0), f"{key}.valid_from", 32),
                valid_until=uint(c.get("valid_until", 0), f"{key}.valid_until", 32),
            )
        )
    revocations = []
    kinds = ", ".join(k.value for k in RevocationKind)
    for i, r in enumerate(doc.get("revocations", [])):
        key = f"revocations[{i}]"
        if not isinstance(r, dict):
            raise fail(key, "expected an object")
        kind = r.get("kind")
        if kind not in {k.value for k in RevocationKind}:
            raise fail(f"{key}.kind", f"expected one of {kinds}, got {kind!r}")
        revocations.append(
            RevocationRow(
                text(r.get("ticket_id"), f"{key}.ticket_id"), kind, now_ms, "manifest-file"
            )
        )
    return Manifest(event_id, tuple(types), tuple(codes), tuple(revocations))
