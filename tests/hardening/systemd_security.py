"""``systemd-analyze security`` on the unit: the exposure level and what is still open.

Runs offline on the unit file (``--offline=yes``, systemd ≥ 250): no running systemd is
needed, and it judges exactly what ``deploy/gatehouse.service`` says."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.hardening.common import Outcome
from tests.paths import REPO_ROOT

UNIT = REPO_ROOT / "deploy" / "gatehouse.service"
#: The level a venue box should stay at or under ("OK" in systemd's words is < 2.0 … 4.9).
MAX_EXPOSURE = 2.5


def analyze() -> tuple[float | None, list[str], str]:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return None, [], "systemd-analyze not installed (apt-get install systemd)"
    out = subprocess.run(
        [tool, "security", "--offline=yes", "--no-pager", str(UNIT)],
        capture_output=True, text=True, timeout=60, check=False,
    ).stdout  # fmt: skip
    level = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
    open_items = [
        re.sub(r"\s{2,}", " — ", line[2:].strip())
        for line in out.splitlines()
        if line.startswith("✗ ")
    ]
    return (float(level.group(1)) if level else None), open_items, out


async def run(work: Path, heavy: bool) -> Outcome:
    level, open_items, text = analyze()
    if level is None:
        return Outcome("systemd-analyze security", 1, False, notes=[text[:300]])
    figures = {"exposure": level, "findings_open": len(open_items)}
    return Outcome("systemd-analyze security (offline, unit file)", 1, level <= MAX_EXPOSURE,
                   figures, ["still open: " + "; ".join(open_items)])  # fmt: skip
