"""Applies committed manifest pages to the running gate (sync's ``GateUpdates``).

Runs on the event loop right after a page's transaction committed, so the next scan
already sees it: revocations (and lifted ones), ticket-type names and flags, flagged
tickets, the event's status, the manifest time recorded with each scan, and — when the
platform's keyring changed — a new effective keyring (config-file entries win over the
platform's on the same key id) with a fresh credential cache. The pretix link shares
the event and keyring updates (``update_event``, ``update_keyring``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

from edge_agent.domain.errors import KeyringError
from edge_agent.domain.keyring import load_keyring, merge_keyrings
from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.trusted_key import Keyring
from edge_agent.gate.pipeline import ScanPipeline
from edge_agent.gate.state import GateState
from edge_agent.ledger.flag_queries import parse_flags
from sync.manifest_page import (
    EventInfo,
    FlagChange,
    ManifestPage,
    RevocationChange,
    TicketTypeChange,
)

log = logging.getLogger(__name__)


def effective_keyring(file_keyring: Keyring, platform_keyring_json: str | None) -> Keyring:
    """The config file's keyring plus the platform's (the file wins on a key id).

    Raises ``KeyringError`` if the platform's document is structurally wrong.
    """
    if not platform_keyring_json:
        return file_keyring
    return merge_keyrings(file_keyring, load_keyring(json.loads(platform_keyring_json)))


class LiveManifest:
    def __init__(
        self,
        state: GateState,
        pipeline: ScanPipeline,
        file_keyring: Keyring,
        *,
        keyring_json: str | None = None,
        event: EventInfo | None = None,
    ) -> None:
        self._state = state
        self._pipeline = pipeline
        self._file_keyring = file_keyring
        self._keyring_json = keyring_json
        self._on_keyring: Callable[[Keyring], None] | None = None
        self._page_listeners: list[Callable[[ManifestPage], None]] = []
        #: The event as the platform last described it (``None`` before any sync).
        self.event = event

    def on_keyring(self, callback: Callable[[Keyring], None]) -> None:
        """Call ``callback`` with each new effective keyring (after the pipeline has it)."""
        self._on_keyring = callback

    def on_page(self, listener: Callable[[ManifestPage], None]) -> None:
        """Call ``listener`` with each page after the gate applied it (the mesh shares
        what this box's uplink brought with the venue's other boxes)."""
        self._page_listeners.append(listener)

    def apply_revocations(self, changes: Sequence[RevocationChange]) -> None:
        """Revocations (or lifted ones) from now on, from wherever they were learned."""
        for change in changes:
            self._state.set_revocation(
                change.ticket_id, None if change.kind is None else RevocationKind(change.kind)
            )

    def apply_manifest_page(self, page: ManifestPage) -> None:
        self.apply_shared(
            event_id=page.event_id,
            revocations=page.revocations,
            ticket_types=page.ticket_types,
            event=page.event,
            manifest_at_ms=page.manifest_at_ms,
            keyring_json=page.keyring_json,
        )
        self.apply_flagged([t.ticket_id for t in page.tickets], page.flagged)
        for listener in self._page_listeners:
            try:
                listener(page)
            except Exception:  # a listener must not undo a committed page
                log.exception("a manifest page listener failed")

    @property
    def manifest_at_ms(self) -> int | None:
        """Platform time of the manifest in force (``None`` before the first sync)."""
        return self._state.manifest_at_ms

    @property
    def keyring_json(self) -> str | None:
        """The platform keyring in force (as received), ``None`` before any."""
        return self._keyring_json

    def apply_shared(
        self,
        *,
        event_id: int,
        revocations: Sequence[RevocationChange] = (),
        ticket_types: Sequence[TicketTypeChange] = (),
        event: EventInfo | None = None,
        manifest_at_ms: int | None = None,
        keyring_json: str | None = None,
    ) -> None:
        """What a manifest page changes at the gate, from the platform or (through the
        mesh) from another box's uplink; ``None`` leaves a value as it is."""
        state = self._state
        self.apply_revocations(revocations)
        for tt in ticket_types:
            state.set_ticket_type_name(tt.ticket_type, tt.name)
            flags = parse_flags(",".join(tt.flags), tt.note)
            state.set_type_flags(event_id, tt.ticket_type, flags)
        if event is not None:
            self.update_event(event, None)
        if manifest_at_ms is not None:
            state.manifest_at_ms = max(state.manifest_at_ms or 0, manifest_at_ms)
        if keyring_json is not None:
            self.update_keyring(keyring_json)

    def apply_flagged(self, ticket_ids: Sequence[str], flagged: Sequence[FlagChange]) -> None:
        """Single tickets' flags from a page (or another box's share of one): the
        flagged ones get theirs, every other ticket of the page loses any it had (so a
        lifted flag goes)."""
        state = self._state
        if not flagged and not state.has_ticket_flags:
            return
        marked = {f.ticket_id for f in flagged}
        for ticket_id in ticket_ids:
            if ticket_id not in marked:
                state.set_ticket_flags(ticket_id, None)
        for f in flagged:
            state.set_ticket_flags(f.ticket_id, parse_flags(",".join(f.flags), f.note))

    def update_event(self, event: EventInfo, manifest_at_ms: int | None) -> None:
        """The event as the platform describes it now; the manifest time when a page
        completes a sync (shared with the pretix link). The time never goes back: a
        venue's other box may bring older knowledge than this box's own."""
        state = self._state
        if event.status != state.event_status:
            level = logging.INFO if event.status == "on_sale" else logging.WARNING
            log.log(level, "event status now %r", event.status)
        state.set_event_status(event.status)
        self.event = event
        if manifest_at_ms is not None:
            state.manifest_at_ms = max(state.manifest_at_ms or 0, manifest_at_ms)

    def update_keyring(self, keyring_json: str) -> None:
        """Judge with the platform's keyring ``keyring_json`` from now on, if it changed."""
        if keyring_json != self._keyring_json:
            self._replace_keyring(keyring_json)

    def _replace_keyring(self, keyring_json: str) -> None:
        try:
            keyring = effective_keyring(self._file_keyring, keyring_json)
        except (KeyringError, ValueError) as exc:
            # The store checks a keyring before committing it, so this is a bug; keep
            # judging with the keyring in force rather than with none.
            log.error("platform keyring not applied: %s", exc)
            return
        self._keyring_json = keyring_json
        for warning in keyring.warnings:
            log.warning("keyring: %s", warning)
        self._pipeline.replace_keyring(keyring)
        if self._on_keyring is not None:
            self._on_keyring(keyring)
        log.info("keyring replaced", extra={"keys": len(keyring.keys)})
