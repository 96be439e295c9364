"""``edge-agent report night`` and ``edge-agent report export`` (``docs/reports.md``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from edge_agent.config.loading import load_config
from edge_agent.errors import GatehouseError
from edge_agent.reports.exports import FORMATS, TABLES, export_table
from edge_agent.reports.night import night_report
from edge_agent.reports.render import render_pdf, render_text
from edge_agent.runtime import wall_clock_ms


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("report", help="the night report; exports of scans and sales")
    rsub = p.add_subparsers(dest="report", metavar="REPORT")
    rsub.required = True
    night = rsub.add_parser("night", help="admissions, refusals, door sales, tills, voids")
    night.add_argument("--config", required=True, type=Path)
    night.add_argument("--pdf", type=Path, metavar="FILE", help="also write it as a PDF")
    night.add_argument("--json", action="store_true", help="print the numbers as JSON")
    night.set_defaults(func=cmd_night)
    export = rsub.add_parser("export", help="scans or door sales as CSV/JSON")
    export.add_argument("--config", required=True, type=Path)
    export.add_argument("--table", required=True, choices=TABLES)
    export.add_argument("--format", default="csv", choices=FORMATS)
    export.add_argument("--out", type=Path, help="a file (default: standard output)")
    export.set_defaults(func=cmd_export)


def _ledger(config_path: Path) -> Any:
    config = load_config(config_path)
    if not config.ledger_path.exists():
        raise GatehouseError(f"no ledger at {config.ledger_path}: nothing has been recorded")
    return config


def cmd_night(args: argparse.Namespace) -> int:
    config = _ledger(args.config)
    report = night_report(config, wall_clock_ms())
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render_text(report))
    if args.pdf is not None:
        try:
            data = render_pdf(report)
        except ModuleNotFoundError:
            raise GatehouseError("--pdf needs fpdf2: pip install 'gatehouse[pdf]'") from None
        args.pdf.write_bytes(data)
        print(f"PDF written: {args.pdf}", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    config = _ledger(args.config)
    if args.out is None:
        n = export_table(config.ledger_path, args.table, args.format, sys.stdout)
    else:
        with args.out.open("w", encoding="utf-8", newline="") as handle:
            n = export_table(config.ledger_path, args.table, args.format, handle)
        print(f"{n} {args.table} row(s) written to {args.out}", file=sys.stderr)
    return 0
