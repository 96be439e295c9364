"""Running the real CLIs from async tests (the platform may run in this process, so a
blocking subprocess call would stall it) and reading the rendered forms back."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from html.parser import HTMLParser
from pathlib import Path

BIN = Path(sys.executable).parent


async def run_cli(*args: str | Path) -> tuple[int, str, str]:
    """Exit status, stdout, stderr (at most 60 s)."""
    proc = await asyncio.create_subprocess_exec(
        *(str(a) for a in args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


class _Conclusions(HTMLParser):
    """Collects the text of ``<p class="conclusion">`` elements and the ``<title>``."""

    def __init__(self) -> None:
        super().__init__()
        self.conclusions: list[str] = []
        self.tables = 0
        self._in = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p" and ("class", "conclusion") in attrs:
            self._in = True
            self.conclusions.append("")
        if tag == "table":
            self.tables += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.conclusions[-1] += data


def html_conclusions(path: Path) -> tuple[list[str], int]:
    parser = _Conclusions()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.conclusions, parser.tables


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(page.extract_text() for page in reader.pages)
