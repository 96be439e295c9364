"""An agent enrolled on a real reference platform: its key, token file and config."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.config.key_files import write_key_file
from edge_agent.config.loading import load_config
from edge_agent.config.sections import Config
from tests.platform_fixture import PlatformFixture

CONFIG = """\
[agent]
agent_id = "{agent_id}"
data_dir = "data"

[event]
event_id = {event_id}
keyring = "keyring.json"

[api]
listen = ["127.0.0.1"]
port = 0

[sync]
platform_url = "{url}"
token_file = "agent.token"
manifest_interval_s = 3600
upload_interval_s = 3600
manifest_page_size = {page_size}
batch_rows = {batch_rows}
timeout_s = {timeout_s}
backoff_max_s = {backoff_max_s}

[log]
level = "{log_level}"
format = "json"
"""


def config_text(
    agent_id: str,
    event_id: int,
    url: str,
    *,
    page_size: int = 7,
    batch_rows: int = 1000,
    timeout_s: int = 10,
    backoff_max_s: int = 2,
    log_level: str = "info",
) -> str:
    """An agent config that syncs with ``url``; rounds come only when a test asks."""
    return CONFIG.format(
        agent_id=agent_id,
        event_id=event_id,
        url=url,
        page_size=page_size,
        batch_rows=batch_rows,
        timeout_s=timeout_s,
        backoff_max_s=backoff_max_s,
        log_level=log_level,
    )


async def enrolled_config(
    root: Path, platform: PlatformFixture, *, agent_id: str = "gate-a", page_size: int = 7
) -> Config:
    """Enrol a new agent key and write a config that syncs with ``platform``. The local
    keyring is empty: every key the gate trusts comes from the platform's manifest."""
    key = Ed25519PrivateKey.generate()
    token = await platform.enrol(agent_id, key)
    text = config_text(agent_id, platform.event_id, platform.url, page_size=page_size)
    return write_agent_files(root, token, text, agent_key=key)


def write_agent_files(
    root: Path, token: str, config_text: str, *, agent_key: Ed25519PrivateKey | None = None
) -> Config:
    """The token file, an empty keyring and the config; with ``agent_key``, also the
    agent's key file (``data/agent.key``): the key that was enrolled signs the ledger's
    checkpoints, which the platform checks against it."""
    root.mkdir(parents=True, exist_ok=True)
    if agent_key is not None:
        (root / "data").mkdir(mode=0o700, exist_ok=True)
        write_key_file(root / "data" / "agent.key", agent_key)
    fd = os.open(root / "agent.token", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    (root / "keyring.json").write_text('{"keys": []}\n')
    path = root / "config.toml"
    path.write_text(config_text)
    return load_config(path)
