"""The keyring a gate starts with: ``[event] keyring`` plus each event's own keyring.

An ``[[events]] keyring`` file holds that event's keys; every key read from it is cut
to that event, so a key handed over for one show can never admit to another.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

from edge_agent.config.key_files import read_keyring_file
from edge_agent.config.sections import Config
from edge_agent.domain.keyring import merge_keyrings
from edge_agent.domain.trusted_key import Keyring


def config_keyring(config: Config) -> Keyring:
    """The config file's keyring (the main file wins on a key id it also holds)."""
    keyring = read_keyring_file(config.event.keyring)
    for event in config.events:
        if event.keyring:
            own = scoped_to(read_keyring_file(Path(event.keyring)), event.event_id)
            keyring = merge_keyrings(keyring, own)
    return keyring


def scoped_to(keyring: Keyring, event_id: int) -> Keyring:
    """Every key and rotation secret of ``keyring`` limited to ``event_id``."""
    keys = {
        key_id: dataclasses.replace(
            key, events=frozenset({event_id}) & (key.events or frozenset({event_id}))
        )
        for key_id, key in keyring.keys.items()
    }
    rotation = {e: s for e, s in keyring.rotation.items() if e == event_id}
    return Keyring(
        keys=MappingProxyType(keys),
        warnings=keyring.warnings,
        rotation=MappingProxyType(rotation),
    )
