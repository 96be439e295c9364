"""``gatehouse-platform support-user --data DIR --username NAME``: add (or reset) a
support account. The password comes from ``--password-file`` or a prompt, never from
the command line (it would stay in the shell's history and the process list)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from reference_platform.data_dir import db_path, wall_ms
from reference_platform.store.database import open_connection, transaction
from reference_platform.support.accounts import add_user


def add_parser(sub: Any, data_arg: Any) -> None:
    parser = sub.add_parser("support-user", help="add or reset a support page account")
    data_arg(parser, required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password-file", type=Path, help="else asked for (twice)")
    parser.set_defaults(func=cmd_support_user)


def cmd_support_user(args: argparse.Namespace) -> int:
    if args.password_file is not None:
        password = args.password_file.read_text(encoding="utf-8").strip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("the two passwords differ", file=sys.stderr)
            return 2
    conn = open_connection(db_path(args.data))
    try:
        with transaction(conn):
            add_user(conn, args.username, password, wall_ms())
    except ValueError as exc:
        print(f"gatehouse-platform: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    print(f"support account {args.username!r} ready: sign in at <platform>/support/")
    return 0
