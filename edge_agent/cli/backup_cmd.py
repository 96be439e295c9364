"""``edge-agent backup`` and ``edge-agent restore`` (``docs/backup.md``)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from edge_agent.backup.restore import restore_backup
from edge_agent.backup.take import take_backup
from edge_agent.config.loading import load_config
from edge_agent.errors import GatehouseError
from edge_agent.runtime import wall_clock_ms

PASSPHRASE_ENV = "GATEHOUSE_BACKUP_PASSPHRASE"  # noqa: S105 (the variable's name)


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("backup", help="a consistent copy of the ledger (while the agent runs)")
    p.add_argument("--config", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path, help="where to write the backup folder")
    p.add_argument(
        "--with-secrets",
        action="store_true",
        help="also the agent key and platform token, encrypted with a passphrase",
    )
    p.add_argument("--passphrase-file", type=Path, help=f"else ${PASSPHRASE_ENV} or a prompt")
    p.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", help="check a backup's chains, then put it in place")
    r.add_argument("--config", required=True, type=Path)
    r.add_argument("--from", dest="source", required=True, type=Path, help="a backup folder")
    r.add_argument("--passphrase-file", type=Path, help="to restore the sealed secrets too")
    r.add_argument("--force", action="store_true", help="move an existing ledger aside")
    r.set_defaults(func=cmd_restore)


def _passphrase(args: argparse.Namespace, *, confirm: bool) -> str | None:
    if args.passphrase_file is not None:
        try:
            return str(args.passphrase_file.read_text(encoding="utf-8")).strip("\n")
        except OSError as exc:
            raise GatehouseError(f"cannot read {args.passphrase_file}: {exc.strerror}") from None
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass("backup passphrase: ")
    if confirm and getpass.getpass("again: ") != first:
        raise GatehouseError("the two passphrases differ")
    return first


def cmd_backup(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    passphrase = None
    if args.with_secrets:
        passphrase = _passphrase(args, confirm=True)
        if passphrase is None:
            raise GatehouseError(
                f"--with-secrets needs a passphrase: --passphrase-file FILE or ${PASSPHRASE_ENV}"
            )
    done = take_backup(config, args.out, wall_clock_ms(), passphrase=passphrase)
    print(f"backup written: {done.path}")
    print(f"  scans through seq {done.head_seq}, door-sale rows through seq {done.sales_head_seq}")
    print("  agent key and token: " + ("included, encrypted" if done.secrets else "not included"))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    passphrase = _passphrase(args, confirm=False) if args.passphrase_file else None
    passphrase = passphrase or os.environ.get(PASSPHRASE_ENV) or None
    done = restore_backup(
        config, args.source, wall_clock_ms(), passphrase=passphrase, force=args.force
    )
    print(f"restored {args.source} into {config.ledger_path}")
    print(f"  chains verified; the next scan is seq {done.head_seq + 1}")
    if done.moved_aside is not None:
        print(f"  the ledger that was there is kept in {done.moved_aside}")
    for path in done.secrets_written:
        print(f"  wrote {path} (mode 600)")
    for note in done.notes:
        print(f"  note: {note}")
    return 0
