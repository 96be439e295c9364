"""An evidence pack on disk: ``evidence.json`` (the exact signed bytes),
``evidence.json.sig``, ``evidence.html`` and, where the PDF renderer is installed,
``evidence.pdf``. Used by ``edge-agent evidence export`` and ``gatehouse-platform
evidence``; ``edge-agent evidence verify`` reads the first two back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edge_agent.errors import FileAccessError
from edge_agent.evidence.core.canonical import PackSignature, parse_canonical
from edge_agent.evidence.core.render_html import render_html

PACK_FILE = "evidence.json"
SIGNATURE_FILE = "evidence.json.sig"
HTML_FILE = "evidence.html"
PDF_FILE = "evidence.pdf"


def write_pack_files(out_dir: Path, pack_bytes: bytes, signature: PackSignature) -> list[Path]:
    """Write the pack's files into ``out_dir`` (created); returns the paths written."""
    pack = parse_canonical(pack_bytes)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = [out_dir / PACK_FILE, out_dir / SIGNATURE_FILE, out_dir / HTML_FILE]
        written[0].write_bytes(pack_bytes)
        written[1].write_text(json.dumps(signature.to_json_dict(), indent=2) + "\n")
        written[2].write_text(render_html(pack), encoding="utf-8")
        pdf = _pdf_bytes(pack)
        if pdf is not None:
            (out_dir / PDF_FILE).write_bytes(pdf)
            written.append(out_dir / PDF_FILE)
    except OSError as exc:
        raise FileAccessError(out_dir, f"cannot write the evidence pack: {exc.strerror}") from None
    return written


def _pdf_bytes(pack: dict[str, Any]) -> bytes | None:
    try:
        from edge_agent.evidence.core.render_pdf import render_pdf
    except ImportError:  # the PDF library is not installed: HTML only
        return None
    return render_pdf(pack)


def read_pack_files(path: Path) -> tuple[bytes, bytes]:
    """``(evidence.json bytes, signature bytes)`` from a pack directory or from the
    path of its ``evidence.json`` (the signature beside it, ``+ .sig``)."""
    pack_path = path / PACK_FILE if path.is_dir() else path
    sig_path = pack_path.with_name(pack_path.name + ".sig")
    try:
        return pack_path.read_bytes(), sig_path.read_bytes()
    except OSError as exc:
        raise FileAccessError(exc.filename or path, f"cannot read: {exc.strerror}") from None
