"""``edge-agent sync status|now``: the running agent's platform sync, via its control socket."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from edge_agent.cli.control_client import control_call
from edge_agent.config.loading import load_config


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("sync", help="show the platform sync state, or sync now")
    p.add_argument("action", choices=["status", "now"])
    p.add_argument("--config", required=True, type=Path)
    p.add_argument("--json", action="store_true", help="print the sync object as JSON")
    p.set_defaults(func=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.action == "now":
        answer = control_call(config.control_socket, "POST", "/control/sync/now")
        doc = answer["sync"]
        if args.json:
            print(json.dumps(answer))
        else:
            print("sync round done" if answer["completed"] else "sync round still running")
            print(sync_text(doc))
        return 0
    status = control_call(config.control_socket, "GET", "/control/status")
    doc = status["sync"]
    if args.json:
        print(json.dumps(doc))
    else:
        print(sync_text(doc))
    return 0


def sync_text(doc: dict[str, Any]) -> str:
    """The sync object for a venue tech, one fact a line."""
    lines: list[str] = []
    event = doc.get("event")
    if not doc.get("enabled"):
        lines.append("sync: off (sync.platform_url is empty); the gate works offline")
    else:
        kind = " (pretix)" if doc.get("kind") == "pretix" else ""
        lines.append(f"sync: on, platform {doc['platform_url']}{kind}")
        manifest = doc["manifest"]
        if manifest["at"] is None:
            lines.append("manifest: not loaded yet")
        else:
            lines.append(f"manifest: as of {manifest['at']} ({manifest['age_s']:.0f} s old)")
        for stream, box in doc["outbox"].items():
            line = (
                f"upload {stream}: {box['depth']} waiting "
                f"(uploaded through seq {box['uploaded_through_seq']} of {box['head_seq']})"
            )
            if box["halted"]:
                line += f" — HALTED: {box['halted']}"
            lines.append(line)
        lines.append(f"last success: {doc['last_success'] or 'never'}")
        if doc["last_error"]:
            lines.append(f"last error: {doc['last_error_at']}: {doc['last_error']}")
        if doc["backoff_until"]:
            lines.append(f"retrying after: {doc['backoff_until']}")
        clock = doc["clock"]
        if clock is None:
            lines.append("clock: not measured yet")
        else:
            lines.append(
                f"clock: platform {clock['offset_ms']:+d} ms from this box "
                f"(± {clock['rtt_ms'] / 2:.0f} ms, measured {clock['measured_at']})"
            )
    if event is not None:
        extra = f" to {event['postponed_to']}" if event.get("postponed_to") else ""
        lines.append(f"event: {event['name'] or '?'} — {event['status']}{extra}")
    return "\n".join(lines)
