"""``edge-agent ticket inspect`` and ``ticket issue``.

``inspect`` is the spec's command-line contract (``docs/formats/ticket-v1.md``): one
JSON object per code, in input order, exit 0 whenever every code was judged. ``issue``
lets a venue tech make test codes (and QR PNGs for a phone screen or paper) with a key
from ``keys new``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import segno

from edge_agent.cli.keys_cmds import u32
from edge_agent.config.key_files import read_key_file, read_keyring_file
from edge_agent.domain.rotating import encode_rotating, event_secret, step_at, ticket_secret
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import encode_gh1
from edge_agent.domain.trusted_key import Keyring
from edge_agent.domain.verification import inspect_code
from edge_agent.errors import FileAccessError, GatehouseError

#: Upper bound for one ``issue`` run; more is a typo, not a test.
MAX_ISSUE_COUNT = 100_000


class TicketUsageError(GatehouseError):
    """Arguments that parse but cannot be used together."""


def u16(text: str) -> int:
    value = u32(text)
    if value > 0xFFFF:
        raise argparse.ArgumentTypeError(f"{value} is outside 0..65535")
    return value


def issue_count(text: str) -> int:
    value = u32(text)
    if not 1 <= value <= MAX_ISSUE_COUNT:
        raise argparse.ArgumentTypeError(f"count must be 1..{MAX_ISSUE_COUNT}")
    return value


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    ticket = sub.add_parser(
        "ticket",
        help="inspect ticket codes (GH1, rotating GHR1, pretix_sig1) or issue GH1 test codes",
    )
    ticket_sub = ticket.add_subparsers(dest="ticket_command", metavar="TICKET_COMMAND")
    ticket_sub.required = True

    inspect = ticket_sub.add_parser(
        "inspect", help="verify codes against a keyring; one JSON object per code"
    )
    inspect.add_argument("--keyring", type=Path, required=True, metavar="FILE")
    inspect.add_argument("--event", type=u32, default=None, metavar="ID")
    inspect.add_argument(
        "--at", type=u32, default=None, metavar="UNIX", help="judge at this time (default: now)"
    )
    inspect.add_argument("--stdin", action="store_true", help="read one code a line")
    inspect.add_argument("codes", nargs="*", metavar="CODE")
    inspect.set_defaults(func=cmd_inspect)

    issue = ticket_sub.add_parser("issue", help="sign new test codes with a key file")
    issue.add_argument("--key", type=Path, required=True, metavar="KEYFILE")
    issue.add_argument("--event", type=u32, required=True, metavar="ID")
    issue.add_argument("--type", type=u16, default=0, metavar="N", dest="ticket_type")
    issue.add_argument("--count", type=issue_count, default=1, metavar="N")
    issue.add_argument("--valid-from", type=u32, default=0, metavar="T")
    issue.add_argument("--valid-until", type=u32, default=0, metavar="T")
    issue.add_argument("--png", type=Path, default=None, metavar="DIR", help="write QR PNGs")
    issue.add_argument(
        "--rotating",
        action="store_true",
        help="print each code as a phone shows it live (rotating-v1: changes every 15 s)",
    )
    issue.add_argument(
        "--at", type=u32, default=None, metavar="UNIX", help="with --rotating: the time shown"
    )
    issue.set_defaults(func=cmd_issue)


def stdin_codes(stream: Iterable[bytes]) -> Iterator[str]:
    """One code per line of a binary stream.

    Lines are split on LF only (not ``str.splitlines``, which also splits on form feeds
    and Unicode separators and so would change the number of codes); the CR of a CRLF
    is removed later by the whitespace rule. Bytes that are not UTF-8 survive as
    surrogate escapes and make the code malformed rather than crash the command.
    """
    for line in stream:
        yield line.decode("utf-8", errors="surrogateescape")


def cmd_inspect(args: argparse.Namespace) -> int:
    if args.stdin and args.codes:
        raise TicketUsageError("ticket inspect: give codes as arguments or --stdin, not both")
    if not args.stdin and not args.codes:
        raise TicketUsageError("ticket inspect: no codes given (pass CODE... or --stdin)")
    keyring = read_keyring_file(args.keyring)
    for warning in keyring.warnings:
        print(f"edge-agent: warning: {args.keyring}: {warning}", file=sys.stderr)
    at: int = int(time.time()) if args.at is None else args.at
    codes: Iterable[str] = stdin_codes(sys.stdin.buffer) if args.stdin else args.codes
    _print_verdicts(codes, keyring, args.event, at)
    return 0


def _print_verdicts(codes: Iterable[str], keyring: Keyring, event: int | None, at: int) -> None:
    out = sys.stdout
    for code in codes:
        result = inspect_code(code, keyring, event, at)
        out.write(json.dumps(result) + "\n")
        # Flush per line so a pipe consumer (a gate test script) sees each verdict
        # as soon as its code was read.
        out.flush()


def cmd_issue(args: argparse.Namespace) -> int:
    if args.valid_from and args.valid_until and args.valid_from > args.valid_until:
        raise TicketUsageError("--valid-from is after --valid-until")
    key = read_key_file(args.key)
    for warning in key.warnings:
        print(f"edge-agent: warning: {warning}", file=sys.stderr)
    png_dir: Path | None = args.png
    if png_dir is not None:
        try:
            png_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FileAccessError(png_dir, f"cannot create PNG directory: {exc.strerror}") from None
    if args.at is not None and not args.rotating:
        raise TicketUsageError("--at only applies to --rotating codes")
    rotation_key = None
    if args.rotating:
        rotation_key = event_secret(key.private_key.private_bytes_raw(), args.event)
        at: int = int(time.time()) if args.at is None else args.at
    for _ in range(args.count):
        body = TicketBody(
            key_id=key.key_id,
            event_id=args.event,
            ticket_id=secrets.token_bytes(16),
            ticket_type=args.ticket_type,
            valid_from=args.valid_from,
            valid_until=args.valid_until,
        )
        code = encode_gh1(body, key.private_key)
        if rotation_key is not None:
            secret = ticket_secret(rotation_key, body.ticket_id)
            code = encode_rotating(code, secret, step_at(at))
        if png_dir is not None:
            write_qr_png(code, png_dir / f"{body.ticket_id_hex}.png")
        print(code)
    return 0


def make_qr(code: str) -> segno.QRCode:
    """The QR a gate expects: alphanumeric mode, level M, no silent level boost (so
    the symbol is the same version everywhere: 6 for a GH1 code, 7 for a rotating one)."""
    return segno.make_qr(code, error="m", mode="alphanumeric", boost_error=False)


def write_qr_png(code: str, path: Path) -> None:
    try:
        make_qr(code).save(str(path), kind="png", scale=8, border=4)
    except OSError as exc:
        raise FileAccessError(path, f"cannot write PNG: {exc.strerror}") from None
