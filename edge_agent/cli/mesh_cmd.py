"""``edge-agent mesh``: the venue mesh from the box's shell, over the control socket.

edge-agent mesh status  --config FILE [--json]   members, replicas, lag, last contact
edge-agent mesh code    --config FILE            a one-time join code for a new box
edge-agent mesh join    --config FILE --via URL --code CODE
edge-agent mesh remove  --config FILE NAME       a box gone for good
edge-agent mesh leave   --config FILE [--force]
edge-agent mesh conflicts --config FILE [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from edge_agent.cli.control_client import control_call
from edge_agent.config.loading import load_config


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("mesh", help="this box and the venue's other boxes as one gate")
    msub = p.add_subparsers(dest="mesh_command", metavar="ACTION")
    msub.required = True

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        a: argparse.ArgumentParser = msub.add_parser(name, help=help_text)
        a.add_argument("--config", required=True, type=Path)
        return a

    s = action("status", "members, who holds which replica, lag, last contact")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)
    action("code", "a one-time code another box joins this venue with").set_defaults(func=cmd_code)
    j = action("join", "join the venue of the member at --via with its code")
    j.add_argument("--via", required=True, help="the member's LAN API, e.g. http://10.0.0.2:8443")
    j.add_argument("--code", required=True, help="the join code the member printed")
    j.set_defaults(func=cmd_join)
    r = action("remove", "remove a box that is gone for good (it can no longer connect)")
    r.add_argument("name")
    r.set_defaults(func=cmd_remove)
    le = action("leave", "take this box out of its venue")
    le.add_argument("--force", action="store_true", help="even without a quorum")
    le.set_defaults(func=cmd_leave)
    c = action("conflicts", "tickets admitted at two gates while the venue was split")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_conflicts)


def _call(args: argparse.Namespace, method: str, path: str, body: Any = None) -> Any:
    return control_call(load_config(args.config).control_socket, method, path, body)


def cmd_status(args: argparse.Namespace) -> int:
    doc = _call(args, "GET", "/control/mesh")
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    if doc is None:
        print("mesh: not configured — this box is a venue of one")
        return 0
    print(render_status(doc))
    return 0 if doc["quorum"] else 1


def render_status(doc: dict[str, Any]) -> str:
    lines = [
        f"venue {doc['venue_id']}: {doc['mode']}, member {doc['member']}, "
        f"{doc['up']}/{doc['expected']} up, "
        + ("quorum" if doc["quorum"] else "NO QUORUM (admissions unconfirmed)")
        + f", replicas {doc['replicas']}, unconfirmed → {doc['unconfirmed_policy']}",
    ]
    for m in doc["members"]:
        holds = ", ".join(f"{k} {v}" for k, v in sorted(m["replicas"].items())) or "-"
        last = "-" if m["last_contact_s"] is None else f"{m['last_contact_s']:.1f}s"
        lines.append(
            f"  {'*' if m['self'] else ' '} {m['name']:<16} {m['gate']:<12} "
            f"{'up' if m['up'] else 'LOST':<5} lag {m['lag']:<5} last contact {last:<7} {holds}"
        )
    claims, events = doc["claims"], doc["events"]
    lines.append(
        f"  claims: {claims['confirmed']} confirmed, {claims['unconfirmed']} unconfirmed, "
        f"{claims['unresolved']} to replay; events: {events['published']} sent, "
        f"{events['applied']} applied, {events['queued']} queued; conflicts: {doc['conflicts']}"
    )
    lines += [f"  ! {a['message']}" for a in doc["alerts"]]
    return "\n".join(lines)


def cmd_code(args: argparse.Namespace) -> int:
    answer = _call(args, "POST", "/control/mesh/join-codes")
    print(f"Join code: {answer['code']}  (valid until {answer['expires_at']}, works once)")
    via = answer["via"] or "https://<this box's address>:<api port>"
    print(f"On the new box: edge-agent mesh join --config FILE --via {via} --code {answer['code']}")
    return 0


def cmd_join(args: argparse.Namespace) -> int:
    answer = _call(args, "POST", "/control/mesh/join", {"via": args.via, "code": args.code})
    print(f"joined venue {answer['venue_id']}: {', '.join(answer['members'])}")
    print(
        "restart the agent (systemctl restart gatehouse) so its LAN API serves a certificate"
        " from the venue CA, the one the venue's devices trust"
    )
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    answer = _call(args, "POST", f"/control/mesh/members/{args.name}/remove")
    print(f"removed {answer['removed']}; members now: {', '.join(answer['members'])}")
    return 0


def cmd_leave(args: argparse.Namespace) -> int:
    answer = _call(args, "POST", "/control/mesh/leave", {"force": args.force})
    print(json.dumps(answer))
    return 0


def cmd_conflicts(args: argparse.Namespace) -> int:
    doc = _call(args, "GET", "/control/mesh/conflicts")
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    if not doc["conflicts"]:
        print("no conflicts")
    for c in doc["conflicts"]:
        print(
            f"{c['ticket_id']}: admitted at {c['gate_id']} ({c['member']}) {c['at']} "
            f"and at {c['winner_gate']} ({c['winner_member']}) {c['winner_at']}",
            file=sys.stdout,
        )
    return 0
