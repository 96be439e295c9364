"""Entry point of ``edge-agent``: builds the argparse tree from the command modules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from edge_agent import __version__
from edge_agent.cli import (
    backup_cmd,
    check_cmd,
    decode_cmd,
    discover_cmd,
    doctor_cmd,
    evidence_cmd,
    gate_cmd,
    keys_cmds,
    manifest_cmd,
    mesh_cmd,
    pair_cmd,
    pretix_cmd,
    report_cmd,
    rules_cmd,
    run_cmd,
    sync_cmd,
    ticket_cmds,
    tls_cmd,
    tui_cmd,
)
from edge_agent.errors import GatehouseError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edge-agent",
        description="Gatehouse venue edge agent: offline gates, ledger, box office.",
    )
    parser.add_argument("--version", action="version", version=f"edge-agent {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (
        run_cmd,
        check_cmd,
        doctor_cmd,
        backup_cmd,
        pair_cmd,
        manifest_cmd,
        ticket_cmds,
        keys_cmds,
        sync_cmd,
        pretix_cmd,
        gate_cmd,
        evidence_cmd,
        report_cmd,
        rules_cmd,
        mesh_cmd,
        tls_cmd,
    ):
        module.add_parser(sub)
    decode_cmd.add_parser(sub)
    tui_cmd.add_parser(sub)
    discover_cmd.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except GatehouseError as exc:
        print(f"edge-agent: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
