"""``edge-agent gate halt|resume|status``: stop or resume admissions on the running
agent through its control socket (``docs/hardening.md``, "Halts")."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from edge_agent.cli.control_client import control_call
from edge_agent.config.loading import load_config


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("gate", help="halt or resume admissions on the running agent")
    p.add_argument("action", choices=["halt", "resume", "status"])
    p.add_argument("--config", required=True, type=Path)
    p.add_argument("--reason", default="", help="why (required for halt and resume)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_gate)


def cmd_gate(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.action == "status":
        doc = control_call(config.control_socket, "GET", "/control/status")["gate"]["halt"]
        answer = {"halted": doc is not None, "halt": doc}
    else:
        if not args.reason.strip():
            print(f"edge-agent gate {args.action}: --reason is required (it is recorded)")
            return 2
        answer = control_call(
            config.control_socket, "POST", f"/control/gate/{args.action}", {"reason": args.reason}
        )
    if args.json:
        print(json.dumps(answer))
    elif answer["halted"]:
        h = answer["halt"]
        print(f"admissions HALTED since {h['at']} by {h['operator']}: {h['reason']}")
    else:
        print("admissions running")
    return 0
