"""``edge-agent evidence export|verify``: chargeback evidence packs (``docs/evidence.md``).

``export`` builds this agent's pack for an order or a ticket from the ledger file
(read-only; the agent may be running or not) and signs it with the agent key.
``verify`` checks any pack (an agent's or the platform's) and exits 1 when anything
does not verify, naming the first broken thing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from edge_agent.config.key_files import read_json_file, read_key_file
from edge_agent.config.loading import load_config
from edge_agent.evidence.core.verify import verify_pack
from edge_agent.evidence.export import export_pack
from edge_agent.evidence.files import read_pack_files, write_pack_files
from edge_agent.runtime import wall_clock_ms

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("evidence", help="chargeback evidence packs: export, verify")
    evidence = p.add_subparsers(dest="evidence_command", required=True)
    export = evidence.add_parser(
        "export", help="this agent's evidence for an order or a ticket, from its ledger"
    )
    export.add_argument("--config", required=True, type=Path)
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--order", metavar="ORDER_ID")
    which.add_argument("--ticket", metavar="TICKET_ID")
    export.add_argument("--out", type=Path, default=None, help="directory (default ./evidence-ID)")
    export.set_defaults(func=cmd_export)
    verify = evidence.add_parser("verify", help="check a pack's signatures and hash chains")
    verify.add_argument("pack", type=Path, metavar="PACK", help="pack directory or evidence.json")
    verify.add_argument(
        "--trust",
        type=Path,
        default=None,
        metavar="KEYRING",
        help="keyring whose platform key(s) you trust (instead of the pack's own)",
    )
    verify.set_defaults(func=cmd_verify)


def cmd_export(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    key = read_key_file(config.agent_key_path)
    subject = args.order or args.ticket
    out = args.out or Path(f"evidence-{_SAFE.sub('_', subject)}")
    exported = export_pack(
        config, key, order_id=args.order, ticket_id=args.ticket, now_ms=wall_clock_ms()
    )
    written = write_pack_files(out, exported.pack_bytes, exported.signature)
    for ticket in exported.pack["conclusion"]["tickets"]:
        print(ticket["text"])
    if not exported.pack["tickets"]:
        print(f"This agent's ledger and manifest know no ticket of {subject}.")
    print(f"evidence pack written to {out}/ ({', '.join(p.name for p in written)})")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    pack_bytes, sig_bytes = read_pack_files(args.pack)
    trust = None
    if args.trust is not None:
        doc = read_json_file(args.trust, "keyring")
        trust = doc if isinstance(doc, dict) else {}
    report = verify_pack(pack_bytes, sig_bytes, trust)
    print(report.text())
    if not report.ok:
        print(f"edge-agent: evidence NOT verified: {report.problems[0]}", file=sys.stderr)
    return 0 if report.ok else 1
