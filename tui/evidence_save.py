"""Writing an evidence pack the agent answered (``GET /api/v1/tickets/{id}/evidence``)
to disk, as the files ``edge-agent evidence export`` writes and ``edge-agent evidence
verify`` reads: ``evidence.json`` (the exact signed bytes — never re-encoded, or the
signature would no longer match), ``evidence.json.sig`` and ``evidence.html``.

The TUI holds no agent code (import-linter), so this is the few lines of file
handling it needs; the pack itself is built and signed by the agent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tui.documents.tickets import EvidenceAnswer

PACK_FILE = "evidence.json"
SIGNATURE_FILE = "evidence.json.sig"
HTML_FILE = "evidence.html"

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def default_dir(ticket_id: str, base: Path | None = None) -> Path:
    """``./evidence-<ticket id>/`` (the CLI's default name), under ``base`` if given."""
    return (base or Path.cwd()) / f"evidence-{_SAFE.sub('_', ticket_id)}"


class EvidenceAnswerError(ValueError):
    """The agent's answer is not an evidence pack."""


def write_pack(out_dir: Path, answer: EvidenceAnswer) -> list[Path]:
    """Write the three files; returns their paths. ``OSError`` when the disk refuses."""
    pack_text, signature, html = answer.evidence_json, answer.signature, answer.html
    if pack_text is None or signature is None:
        raise EvidenceAnswerError("the agent's answer holds no evidence pack")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / PACK_FILE, out_dir / SIGNATURE_FILE, out_dir / HTML_FILE]
    paths[0].write_bytes(pack_text.encode("utf-8"))
    paths[1].write_text(json.dumps(signature, indent=2) + "\n", encoding="utf-8")
    paths[2].write_text(html, encoding="utf-8")
    return paths
