"""``make hardening``: every scenario heavy, then the report (``tests/hardening``)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from tests.hardening.common import Outcome
from tests.hardening.report import markdown, write

#: In report order; the secrets scan goes last: it reads what the others left behind.
SCENARIOS = (
    "kill_loop",
    "disk_full",
    "clock_faults",
    "power_loss",
    "writer_block",
    "open_files",
    "fuzz",
    "halts",
    "corruption",
    "systemd_security",
    "secrets_scan",
)


async def main_async(names: list[str], out: Path, heavy: bool) -> int:
    work = Path(tempfile.mkdtemp(prefix="gatehouse-hardening-"))
    outcomes: list[Outcome] = []
    t0 = time.perf_counter()
    try:
        for name in names:
            module = importlib.import_module(f"tests.hardening.{name}")
            started = time.perf_counter()
            print(f"hardening: {name} …", file=sys.stderr, flush=True)
            try:
                outcome: Outcome = await module.run(work / name, heavy)
            except Exception as exc:  # a scenario that breaks is a failed row, not a stop
                traceback.print_exc()
                outcome = Outcome(name, 0, False, notes=[f"crashed: {exc!r}"])
            outcome.figures["scenario_s"] = round(time.perf_counter() - started, 1)
            outcomes.append(outcome)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    json_path, md_path = write(outcomes, out, time.perf_counter() - t0)
    sys.stdout.write(markdown(outcomes))
    print(f"hardening: wrote {json_path} and {md_path}", file=sys.stderr)
    return 0 if all(o.ok for o in outcomes) else 1


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m tests.hardening", description=__doc__)
    p.add_argument("--out", type=Path, default=Path("test-artifacts"))
    p.add_argument("--only", action="append", choices=SCENARIOS, help="run just these")
    p.add_argument("--light", action="store_true", help="the counts make test uses")
    args = p.parse_args()
    return asyncio.run(main_async(args.only or list(SCENARIOS), args.out, not args.light))


if __name__ == "__main__":
    sys.exit(main())
