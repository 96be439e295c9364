"""``edge-agent manifest import``: load a local manifest file into a stopped agent's ledger."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from edge_agent.config.loading import load_config
from edge_agent.config.sections import Config
from edge_agent.errors import ConfigError
from edge_agent.ledger.lock import DataDirLock
from edge_agent.ledger.manifest_store import (
    add_revocations,
    upsert_plain_codes,
    upsert_ticket_flags,
    upsert_ticket_types,
)
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.manifest_file import Manifest, read_manifest_file
from edge_agent.runtime import wall_clock_ms


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("manifest", help="load ticket types, plain codes, revocations from a file")
    p.add_argument("action", choices=["import"])
    p.add_argument("file", type=Path, help="manifest JSON (docs/manifest-file.md)")
    p.add_argument("--config", required=True, type=Path)
    p.set_defaults(func=cmd_manifest)


def cmd_manifest(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    manifest = read_manifest_file(args.file, wall_clock_ms())
    admitted = [config.event.event_id, *(e.event_id for e in config.events)]
    if manifest.event_id not in admitted:
        raise ConfigError(
            str(args.file),
            "event_id",
            f"manifest is for event {manifest.event_id}, this agent admits"
            f" {', '.join(map(str, dict.fromkeys(admitted)))}",
        )
    asyncio.run(import_manifest(config, manifest))
    print(
        f"imported {len(manifest.ticket_types)} ticket types, {len(manifest.plain_codes)} plain "
        f"codes, {len(manifest.revocations)} revocations, {len(manifest.tickets)} tickets"
        f" into {config.ledger_path}"
    )
    return 0


async def import_manifest(config: Config, manifest: Manifest) -> None:
    """Write a manifest through a writer of its own; the agent must not be running."""
    config.agent.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = DataDirLock(config.agent.data_dir)
    lock.acquire()
    try:
        writer = await LedgerWriter.open(config.ledger_path, config.agent.agent_id)
        try:
            await writer.execute(lambda c: upsert_ticket_types(c, manifest.ticket_types))
            await writer.execute(lambda c: upsert_plain_codes(c, manifest.plain_codes))
            await writer.execute(lambda c: add_revocations(c, manifest.revocations))
            await writer.execute(lambda c: upsert_ticket_flags(c, manifest.tickets))
        finally:
            await writer.close()
    finally:
        lock.release()
