"""``edge-agent rules explain``: which list, window, limit, zone or flag decides a code.

For the venue tech before doors: reads the config (every rule table), the keyring and —
when the data dir has a ledger — what the gate knows (the platform's keyring as last
synced, admissions, revocations, plain codes, flags, a pretix link's products, dates
and list), read-only and without a running agent, then judges the code with
``decide()`` at the given time and prints the rule trace (``domain/rules/explain.py``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from edge_agent.cli.keys_cmds import u32
from edge_agent.config.loading import load_config
from edge_agent.config.rules import gate_rules
from edge_agent.config.rules_keyring import config_keyring
from edge_agent.domain.decide import decide
from edge_agent.domain.reasons import Direction
from edge_agent.domain.rules.explain import explain
from edge_agent.domain.verification import read_credential
from edge_agent.gate.offline_state import offline_keyring, offline_state


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    rules = sub.add_parser("rules", help="check the gate's rules before doors")
    rules_sub = rules.add_subparsers(dest="rules_command", metavar="RULES_COMMAND")
    rules_sub.required = True
    ex = rules_sub.add_parser(
        "explain", help="which list, window, limit, zone or flag decides a code at a time"
    )
    ex.add_argument("--config", type=Path, required=True)
    ex.add_argument("--at", type=u32, default=None, metavar="UNIX", help="default: now")
    ex.add_argument("--lane", default=None, help="judge as this lane (default: the gate)")
    ex.add_argument("--direction", choices=("in", "out"), default="in")
    ex.add_argument("--json", action="store_true", help="one JSON object instead of text")
    ex.add_argument("code", metavar="CODE")
    ex.set_defaults(func=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    rules = gate_rules(config)
    policy = rules.lane_policies.get(args.lane, rules.policy) if args.lane else rules.policy
    keyring = offline_keyring(config, config_keyring(config))
    now_ms = (int(time.time()) if args.at is None else args.at) * 1000
    with offline_state(config) as state:
        credential = read_credential(args.code, keyring)
        direction = Direction(args.direction)
        decision = decide(credential, direction, state, policy, now_ms)
        lines = explain(decision, state, policy, now_ms)
    head = (
        f"code: {decision.credential_kind.value}"
        + (f" ticket {decision.ticket_id}" if decision.ticket_id else "")
        + (f" event {decision.event_id} type {decision.ticket_type}" if decision.event_id else "")
        + f"; lane {args.lane or '(gate)'}, {direction.value}"
    )
    if args.json:
        doc = {
            "outcome": decision.outcome.value,
            "reason": decision.reason.value,
            "message": decision.message,
            "list": decision.list_id,
            "zone": decision.zone,
            "flags": sorted(decision.flags.flags) if decision.flags else [],
            "trace": [head, *lines],
        }
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print("\n".join([head, *lines]))
    return 0
