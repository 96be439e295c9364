"""``edge-agent doctor --config FILE [--json]``: can the doors open? (``docs/operator-guide.md``)

Exit code: 0 ready, 1 warnings only, 2 something must be fixed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from edge_agent.doctor.outcome import Status, exit_code
from edge_agent.doctor.runner import run_doctor

_MARK = {Status.PASS: "pass", Status.WARN: "WARN", Status.FAIL: "FAIL"}


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "doctor",
        help="check everything before doors (exit 0 ready, 1 warnings, 2 must fix)",
    )
    p.add_argument("--config", required=True, type=Path)
    p.add_argument("--json", action="store_true", help='one object with a "checks" list')
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    checks = run_doctor(args.config)
    code = exit_code(checks)
    if args.json:
        doc = {"ready": code == 0, "exit_code": code, "checks": [c.as_json() for c in checks]}
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return code
    for check in checks:
        print(f"{_MARK[check.status]}  {check.name}: {check.detail}")
        if check.fix:
            print(f"      fix: {check.fix}")
    verdict = {0: "ready for doors", 1: "ready, with warnings", 2: "NOT ready: fix the FAIL lines"}
    print(f"\n{verdict[code]}")
    return code
