"""The report: ``hardening.json`` and the Markdown table ``docs/hardening.md`` shows."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

from tests.hardening.common import Outcome


def figures_text(figures: dict[str, Any]) -> str:
    return "; ".join(f"{k} {v}" for k, v in figures.items())


def markdown(outcomes: list[Outcome]) -> str:
    lines = ["| scenario | tries | outcome | figures |", "|---|---|---|---|"]
    for o in outcomes:
        text = figures_text(o.figures).replace("|", "\\|")
        notes = " ".join(o.notes).replace("|", "\\|")
        lines.append(
            f"| {o.scenario} | {o.tries} | {'pass' if o.ok else '**FAIL**'} | {text}"
            + (f" — {notes}" if notes else "")
            + " |"
        )
    return "\n".join(lines) + "\n"


def write(outcomes: list[Outcome], out_dir: Path, seconds: float) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = {
        "report": "hardening",
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cores": __import__("os").cpu_count(), "python": platform.python_version()},
        "seconds": round(seconds, 1),
        "scenarios": [o.as_json() for o in outcomes],
    }
    json_path = out_dir / "hardening.json"
    json_path.write_text(json.dumps(doc, indent=2) + "\n")
    md_path = out_dir / "hardening.md"
    md_path.write_text(markdown(outcomes))
    return json_path, md_path
