"""``gatehouse-platform``: run and operate the reference platform.

Two kinds of commands, on purpose:

* ``init``, ``serve`` and ``seed`` work on the data directory itself (``seed`` writes
  straight into SQLite for speed; it is safe while the server runs);
* everything else is an operator action and goes through the running server's admin
  API, like any production back office would: the server stays the one place rules are
  applied. They find the server and the admin token from ``--data DIR`` (the
  ``serve.json`` and ``admin.token`` files), or from ``--url`` and ``--token-file``.

Output is JSON on stdout (one document per command); errors go to stderr with exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edge_agent.errors import GatehouseError
from edge_agent.evidence.core.canonical import PackSignature, parse_canonical
from edge_agent.evidence.files import write_pack_files
from edge_agent.logs import setup_logging
from reference_platform.admin_client import AdminApiError, AdminClient
from reference_platform.data_dir import (
    db_path,
    init_data_dir,
    read_admin_token,
    served_url,
    wall_ms,
)
from reference_platform.errors import SetupError
from reference_platform.seed import seed_tickets
from reference_platform.server import DEFAULT_HOST, DEFAULT_PORT, start_platform
from reference_platform.store.database import open_connection
from reference_platform.support import cli as support_cli

EXIT_ERROR = 2
log = logging.getLogger("gatehouse_platform")


def _print(doc: Any) -> None:
    print(json.dumps(doc, indent=2, ensure_ascii=False))


def _starts_at_ms(text: str) -> int:
    """argparse type: Unix milliseconds, or an ISO date/time (UTC if no zone)."""
    if text.isdigit():
        return int(text)
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date/time or Unix ms: {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return int(when.timestamp() * 1000)


def _ticket_spec(text: str) -> dict[str, Any]:
    """argparse type: ``TYPE`` or ``TYPE:plain`` / ``TYPE:gh1``, optionally
    ``...:Holder Name``."""
    parts = text.split(":", 2)
    if not parts[0].isdigit():
        raise argparse.ArgumentTypeError(f"ticket spec must start with a type number: {text!r}")
    spec: dict[str, Any] = {"ticket_type": int(parts[0]), "code": "gh1"}
    if len(parts) > 1 and parts[1]:
        if parts[1] not in ("gh1", "plain"):
            raise argparse.ArgumentTypeError('code kind must be "gh1" or "plain"')
        spec["code"] = parts[1]
    if len(parts) > 2 and parts[2]:
        spec["holder_name"] = parts[2]
    return spec


# --- commands on the data directory ------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    created = init_data_dir(args.data)
    _print(
        {
            "data_dir": str(args.data),
            "created": created,
            "admin_token_file": str(args.data / "admin.token"),
        }
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    setup_logging(args.log_level, "json")
    read_admin_token(args.data)  # fail early, with the hint to run init
    try:
        return asyncio.run(_serve(args.data, args.host, args.port))
    except OSError as exc:
        raise SetupError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None


async def _serve(data_dir: Path, host: str, port: int) -> int:
    running = await start_platform(data_dir, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"msg": "listening", "url": running.url}), flush=True)
    log.info("listening", extra={"url": running.url})
    try:
        await stop.wait()
    finally:
        await running.stop()
        log.info("stopped")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    conn = open_connection(db_path(args.data))
    started = time.perf_counter()
    try:
        result = seed_tickets(
            conn,
            event_id=args.event,
            count=args.tickets,
            ticket_type=args.ticket_type,
            now_ms=wall_ms(),
            progress=lambda n: print(f"seeded {n:,}", file=sys.stderr, flush=True),
        )
    finally:
        conn.close()
    _print(
        {
            "event_id": result.event_id,
            "ticket_type": result.ticket_type,
            "order_id": result.order_id,
            "tickets": result.tickets,
            "code_kind": "plain",
            "seconds": round(time.perf_counter() - started, 2),
        }
    )
    return 0


# --- commands through the admin API -------------------------------------------------


def _client(args: argparse.Namespace) -> AdminClient:
    if args.url:
        if args.token_file is None and args.data is None:
            raise SetupError("--url needs --token-file (or --data) for the admin token")
        token_dir = args.data
        token = (
            args.token_file.read_text(encoding="utf-8").strip()
            if args.token_file is not None
            else read_admin_token(token_dir)
        )
        return AdminClient(args.url, token)
    if args.data is None:
        raise SetupError("give --data DIR (or --url and --token-file)")
    return AdminClient(served_url(args.data), read_admin_token(args.data))


async def _api(args: argparse.Namespace) -> Any:
    async with _client(args) as admin:
        match args.command:
            case "event":
                if args.event_command == "create":
                    return await admin.create_event(
                        args.event, args.name, args.venue, args.starts_at
                    )
                if args.event_command == "show":
                    return await admin.event(args.event)
                if args.event_command == "postpone":
                    return await admin.postpone_event(args.event, args.to)
                return await admin.cancel_event(args.event)
            case "ticket-type":
                return await admin.put_ticket_type(
                    args.event, args.ticket_type, args.name, args.capacity, args.price_cents
                )
            case "order":
                if args.order_command == "show":
                    return await admin.order(args.order)
                order: dict[str, Any] = {
                    "customer_name": args.customer_name,
                    "customer_email": args.customer_email,
                    "ip": args.ip,
                    "user_agent": args.user_agent,
                    "payment": {
                        "brand": args.brand,
                        "last4": args.last4,
                        "three_ds": args.three_ds,
                    },
                    "tickets": args.ticket,
                }
                return await admin.create_order(args.event, order)
            case "refund" | "cancel" | "chargeback" | "reissue" | "suspend" | "unsuspend":
                return await admin.revoke(args.ticket, args.command, args.reason)
            case "enrol":
                doc = await admin.enrol(args.event, args.agent_id, args.public_key)
                print(
                    "the token is shown once: store it in the agent's sync.token_file (0600)",
                    file=sys.stderr,
                )
                return doc
            case "conflicts":
                return {"event_id": args.event, "conflicts": await admin.conflicts(args.event)}
            case "evidence":
                return await _evidence(admin, args)
            case "rows":
                return await admin.stored_rows(
                    args.agent_id, args.stream, args.after_seq, args.limit
                )
    raise AssertionError(args.command)


async def _evidence(admin: AdminClient, args: argparse.Namespace) -> dict[str, Any]:
    """Fetch the order's pack and write its files (``docs/evidence.md``)."""
    doc = await admin.evidence(args.order, args.ticket)
    pack_bytes = str(doc["evidence_json"]).encode("utf-8")
    signature = PackSignature.from_json_dict(doc["signature"])
    out = args.out or Path(f"evidence-{args.order}")
    written = write_pack_files(out, pack_bytes, signature)
    conclusion = parse_canonical(pack_bytes)["conclusion"]
    return {
        "order_id": args.order,
        "conclusion": [t["text"] for t in conclusion["tickets"]],
        "files": [str(p) for p in written],
    }


def cmd_api(args: argparse.Namespace) -> int:
    try:
        _print(asyncio.run(_api(args)))
    except AdminApiError as exc:
        print(f"gatehouse-platform: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"gatehouse-platform: cannot reach the platform: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return 0


# --- parser -------------------------------------------------------------------------


def _data_arg(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument(
        "--data", type=Path, required=required, metavar="DIR", help="the platform's data directory"
    )


def _api_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options every admin-API command takes (on the leaf parser, so they can
    follow the subcommand: ``event create --data DIR …``)."""
    _data_arg(parser, required=False)
    parser.add_argument("--url", default=None, help="platform URL (default: from DIR/serve.json)")
    parser.add_argument("--token-file", type=Path, default=None, help="admin token file")
    parser.set_defaults(func=cmd_api)
    return parser


def _api_parser(sub: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    return _api_args(sub.add_parser(name, help=help_text))


def _group(sub: Any, name: str, help_text: str, dest: str) -> Any:
    parser = sub.add_parser(name, help=help_text)
    return parser.add_subparsers(dest=dest, required=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gatehouse-platform",
        description="Gatehouse reference platform: events, tickets, enrolment, sync-v1 server.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    init = sub.add_parser("init", help="create a data dir: database and admin token (0600)")
    _data_arg(init, required=True)
    init.set_defaults(func=cmd_init)

    serve = sub.add_parser("serve", help="run the platform (stops cleanly on SIGTERM)")
    _data_arg(serve, required=True)
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 = any free port"
    )
    serve.add_argument("--log-level", default="warning")
    serve.set_defaults(func=cmd_serve)

    support_cli.add_parser(sub, _data_arg)

    seed = sub.add_parser("seed", help="bulk-add plain-code tickets straight into the database")
    _data_arg(seed, required=True)
    seed.add_argument("--event", type=int, required=True)
    seed.add_argument("--tickets", type=int, required=True)
    seed.add_argument("--type", type=int, default=0, dest="ticket_type")
    seed.set_defaults(func=cmd_seed)

    event_sub = _group(sub, "event", "create, show, postpone or cancel an event", "event_command")
    create = _api_parser(event_sub, "create", "create an event and its signing key")
    create.add_argument("--event", type=int, required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--venue", required=True)
    create.add_argument(
        "--starts-at",
        type=_starts_at_ms,
        required=True,
        help="ISO date/time (UTC unless a zone is given) or Unix ms",
    )
    for name in ("show", "cancel"):
        _api_parser(event_sub, name, f"{name} an event").add_argument(
            "--event", type=int, required=True
        )
    postpone = _api_parser(event_sub, "postpone", "postpone an event to a date")
    postpone.add_argument("--event", type=int, required=True)
    postpone.add_argument("--to", required=True, help="new date, YYYY-MM-DD")

    ttype_sub = _group(sub, "ticket-type", "ticket types", "ticket_type_command")
    add = _api_parser(ttype_sub, "add", "add a ticket type or change name/capacity/price")
    add.add_argument("--event", type=int, required=True)
    add.add_argument("--type", type=int, required=True, dest="ticket_type")
    add.add_argument("--name", required=True)
    add.add_argument("--capacity", type=int, required=True)
    add.add_argument("--price-cents", type=int, default=0)

    order_sub = _group(sub, "order", "create or show an order", "order_command")
    ocreate = _api_parser(order_sub, "create", "an order with its tickets; prints the codes")
    ocreate.add_argument("--event", type=int, required=True)
    ocreate.add_argument("--customer-name", required=True)
    ocreate.add_argument("--customer-email", required=True)
    ocreate.add_argument(
        "--ticket",
        type=_ticket_spec,
        action="append",
        required=True,
        metavar="TYPE[:gh1|plain[:HOLDER]]",
        help="repeat per ticket",
    )
    ocreate.add_argument("--ip", default=None)
    ocreate.add_argument("--user-agent", default=None)
    ocreate.add_argument("--brand", default=None, help="card brand (never the card number)")
    ocreate.add_argument("--last4", default=None)
    ocreate.add_argument("--three-ds", default=None, help="3-D Secure result")
    _api_parser(order_sub, "show", "an order, its tickets and revocations").add_argument(
        "--order", required=True
    )

    for action, text in (
        ("refund", "refund a ticket (revokes it)"),
        ("cancel", "cancel a ticket (revokes it)"),
        ("chargeback", "record a chargeback (revokes the ticket)"),
        ("reissue", "revoke a ticket as reissued and issue its replacement"),
        ("suspend", "put a ticket on hold (refused at the gates, seat kept)"),
        ("unsuspend", "lift a hold"),
    ):
        cmd = _api_parser(sub, action, text)
        cmd.add_argument("--ticket", required=True, metavar="TICKET_ID")
        cmd.add_argument("--reason", default="operator")

    enrol = _api_parser(sub, "enrol", "certify an agent's key for an event; prints its token once")
    enrol.add_argument("--event", type=int, required=True)
    enrol.add_argument("--agent-id", required=True)
    enrol.add_argument(
        "--public-key",
        required=True,
        metavar="B64URL",
        help="from 'edge-agent keys show <data_dir>/agent.key'; write --public-key=KEY"
        " (a key may start with '-')",
    )

    conflicts = _api_parser(sub, "conflicts", "tickets first-admitted by two agents")
    conflicts.add_argument("--event", type=int, required=True)

    evidence = _api_parser(sub, "evidence", "an order's signed chargeback evidence pack")
    evidence.add_argument("--order", required=True, metavar="ORDER_ID")
    evidence.add_argument("--ticket", default=None, metavar="TICKET_ID", help="only this ticket")
    evidence.add_argument("--out", type=Path, default=None, help="directory (default: evidence-ID)")

    rows = _api_parser(sub, "rows", "an agent's uploaded rows, as stored")
    rows.add_argument("--agent-id", required=True)
    rows.add_argument("--stream", choices=("scans", "sales"), default="scans")
    rows.add_argument("--after-seq", type=int, default=0)
    rows.add_argument("--limit", type=int, default=100)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except GatehouseError as exc:
        print(f"gatehouse-platform: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
