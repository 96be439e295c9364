"""``edge-agent check --config FILE``: is this box ready for doors? Says what is wrong."""

from __future__ import annotations

import argparse
import ipaddress
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge_agent.config.key_files import read_token_file
from edge_agent.config.loading import load_config
from edge_agent.config.rules_keyring import config_keyring
from edge_agent.config.sections import Config
from edge_agent.errors import GatehouseError, LedgerCorrupt
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.health import check_ledger
from edge_agent.ledger.lock import DataDirLock
from edge_agent.ledger.pretix_tables import product_map
from edge_agent.ledger.queries import ticket_type_names
from edge_agent.ledger.wal_guard import check_wal_not_lost
from edge_agent.runtime import policy_from_config
from edge_agent.tls.server_cert import setup_tls
from edge_agent.tls.venue_ca import CA_CERT_FILE, load_venue_ca
from sync.client import redact_url


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("check", help="validate a config file, the keyring and the data dir")
    p.add_argument("--config", required=True, type=Path)
    p.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    problems = 0

    def line(ok: bool, text: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        print(f"{'ok ' if ok else 'BAD'}  {text}")

    try:
        config = load_config(args.config)
    except GatehouseError as exc:
        line(False, f"config: {exc}")
        return 1
    line(
        True,
        f"config: {args.config} (agent {config.agent.agent_id}, event {config.event.event_id})",
    )
    try:
        policy_from_config(config)
        keyring = config_keyring(config)
        line(True, f"keyring: {len(keyring.keys)} trusted keys from {config.event.keyring}")
        for warning in keyring.warnings:
            print(f"warn keyring: {warning}")
        if keyring.rotation:
            events = ", ".join(map(str, sorted(keyring.rotation)))
            print(f"note keyring: rotation secrets for events {events} (keep the file 0600)")
        admitted = len({config.event.event_id, *(e.event_id for e in config.events)})
        print(
            f"note rules: {admitted} event(s), {len(config.lists)} list(s),"
            f" {len(config.zones)} zone(s) (docs/gate.md; edge-agent rules explain)"
        )
    except GatehouseError as exc:
        line(False, str(exc))
    _check_sync(config, line)
    _check_tls(config, line)
    _check_data_dir(config, line)
    _show_lanes(config)
    return 0 if problems == 0 else 1


def _check_tls(config: Config, line: Any) -> None:
    """The API's certificate: the venue's own files must load and match; the venue CA,
    once made, must be readable (it is made at first start otherwise)."""
    lan = [h for h in config.api.listen if not ipaddress.ip_address(h).is_loopback]
    try:
        if config.tls.cert_file:
            tls = setup_tls(
                config.tls_dir,
                agent_id=config.agent.agent_id,
                venue=config.agent.venue,
                listen=config.api.listen,
                cert_file=config.tls.cert_file,
                key_file=config.tls.key_file,
                now=datetime.now(UTC),
            )
            line(True, f"tls: the venue's own certificate {tls.cert_path}, until {tls.not_after}")
        elif (config.tls_dir / CA_CERT_FILE).exists():
            ca = load_venue_ca(config.tls_dir)
            line(True, f"tls: venue CA in {config.tls_dir}, SHA-256 {ca.fingerprint_sha256}")
        else:
            print(f"note tls: the venue CA is made in {config.tls_dir} on first start")
    except (GatehouseError, ValueError, OSError) as exc:
        line(False, f"tls: {exc}")
    if lan:
        print(f"note api: HTTPS on {', '.join(lan)} (staff devices trust the CA: /trust/)")


def _check_sync(config: Config, line: Any) -> None:
    if not config.sync.enabled:
        print("note sync: off (sync.platform_url is empty); the gate works offline")
        return
    try:
        read_token_file(config.sync_token_path)
    except GatehouseError as exc:
        hint = " (edge-agent pretix enrol makes it)" if config.sync.kind == "pretix" else ""
        line(False, f"sync: {exc}{hint}")
        return
    where = redact_url(config.sync.platform_url)
    if config.sync.kind == "pretix":
        px = config.sync.pretix
        where += f" (pretix {px.organizer}/{px.event}, check-in list {px.checkin_list})"
    line(True, f"sync: {where}, token {config.sync_token_path}")


def _show_lanes(config: Config) -> None:
    """One line per lane, and a warning for a scanner device that is not there now (it
    may be plugged in later: the agent waits for it, so this is not a failure)."""
    for lane in config.lanes:
        ins = ", ".join(f"{i.id} ({i.type})" for i in lane.inputs) or "none"
        outs = ", ".join(f"{o.id} ({o.type})" for o in lane.outputs) or "none"
        print(f"ok   lane {lane.id} ({lane.direction}): inputs {ins}; outputs {outs}")
        for spec in lane.inputs:
            device = getattr(spec.options, "path", "") if spec.type == "evdev" else ""
            device = getattr(spec.options, "port", "") if spec.type == "serial" else device
            if device and not Path(device).exists():
                print(f"warn lane {lane.id}: {spec.id}: {device} is not there now (unplugged?)")


def _check_data_dir(config: Config, line: Any) -> None:
    data_dir = config.agent.data_dir
    if not data_dir.exists():
        parent = data_dir.parent
        writable = os.access(parent, os.W_OK)
        line(
            writable,
            f"data dir: {data_dir} does not exist yet"
            + (" (will be created at start)" if writable else f" and {parent} is not writable"),
        )
        return
    if not os.access(data_dir, os.W_OK):
        line(False, f"data dir: {data_dir} is not writable by this user")
        return
    line(True, f"data dir: {data_dir}")
    lock = DataDirLock(data_dir)
    try:
        lock.acquire()
    except GatehouseError as exc:
        print(f"note {exc}")
    else:
        lock.release()
    if config.ledger_path.exists():
        try:
            check_wal_not_lost(config.ledger_path)
        except LedgerCorrupt as exc:
            line(False, f"ledger WAL LOST: {exc}")
            return
        report = check_ledger(config.ledger_path, config.agent.agent_id)
        line(report.ok, report.summary())
        if report.ok and config.sync.kind == "pretix":
            _show_pretix_types(config)
    else:
        line(True, f"ledger: {config.ledger_path} will be created at first start")


def _show_pretix_types(config: Config) -> None:
    """The ticket type each pretix product became (numbered on first sight and kept):
    the numbers ``[[events.ticket_types]]`` and ``[[lists]] ticket_types`` use for pretix
    tickets (docs/gate.md, "pretix codes and the gate rules")."""
    conn = open_read_connection(config.ledger_path)
    try:
        products = product_map(conn)
        names = ticket_type_names(conn, config.event.event_id)
    finally:
        conn.close()
    for (item, variation), ticket_type in sorted(products.items(), key=lambda p: p[1]):
        product = f"item {item}" + (f" variation {variation}" if variation else "")
        name = names.get(ticket_type, "")
        print(
            f"note pretix {product} is ticket type {ticket_type}" + (f" ({name})" if name else "")
        )
