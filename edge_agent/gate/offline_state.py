"""The gate's state read from a stopped agent's ledger (read-only), for tools.

``rules explain`` judges a code as the running gate would: with the admissions,
revocations, plain codes and flags the ledger holds (and, with a pretix link, pretix's
products, dates, check-in list and check-ins). Without a ledger (before the first
start) the state is empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from edge_agent.config.rules import gate_rules
from edge_agent.config.sections import Config
from edge_agent.domain.errors import KeyringError
from edge_agent.domain.gate_policy import PlainTicket
from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.trusted_key import Keyring
from edge_agent.gate.live_manifest import effective_keyring
from edge_agent.gate.rule_facts import day_function
from edge_agent.gate.state import GateState
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.flag_queries import flagged_tickets, holder_name, type_flags
from edge_agent.ledger.queries import (
    admission_history,
    all_revocations,
    lookup_plain_code,
    ticket_type_names,
)
from edge_agent.ledger.sync_tables import read_sync_state
from edge_agent.platform_link.pretix.store import load_gate_state as load_pretix_state


@contextmanager
def offline_state(config: Config) -> Iterator[GateState]:
    path = config.ledger_path
    if not path.exists():
        yield GateState(lambda _sha: None)
        return
    reader = open_read_connection(path)
    try:

        def plain(code_sha256: str) -> PlainTicket | None:
            row = lookup_plain_code(reader, code_sha256)
            if row is None:
                return None
            return PlainTicket(
                row.ticket_id,
                row.event_id,
                row.ticket_type,
                row.valid_from,
                row.valid_until,
                row.subevent,
            )

        state = GateState(
            plain,
            ticket_type_names(reader, config.event.event_id),
            {tid: RevocationKind(kind) for tid, kind in all_revocations(reader).items()},
        )
        state.set_holder_lookup(lambda ticket_id: holder_name(reader, ticket_id))
        for (event_id, ticket_type), flags in type_flags(reader).items():
            state.set_type_flags(event_id, ticket_type, flags)
        for ticket_id, flags in flagged_tickets(reader).items():
            state.set_ticket_flags(ticket_id, flags)
        state.rebuild_admissions(
            admission_history(reader),
            day_of=day_function(gate_rules(config).policy),
            gate_names={config.gate.id: config.gate.name},
        )
        if config.sync.kind == "pretix":  # pretix's products, dates, list and check-ins
            load_pretix_state(reader, state)
        yield state
    finally:
        reader.close()


def offline_keyring(config: Config, file_keyring: Keyring) -> Keyring:
    """The keyring the gate judged with when it stopped: the config file's plus the
    platform's as last synced (a pretix link's event keys come only that way)."""
    path = config.ledger_path
    if not path.exists():
        return file_keyring
    reader = open_read_connection(path)
    try:
        synced = read_sync_state(reader)
    finally:
        reader.close()
    if synced.event_id not in (None, config.event.event_id):
        return file_keyring  # synced for another event: none of it applies here
    try:
        return effective_keyring(file_keyring, synced.keyring_json)
    except (KeyringError, ValueError):
        return file_keyring
