"""The agent's identity key is made once on first start and never replaced."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from edge_agent.config.key_files import KeyFileError, load_or_create_agent_key
from edge_agent.config.loading import load_config


def test_first_start_makes_a_private_key_file(tmp_path: Path) -> None:
    path = tmp_path / "agent.key"
    made = load_or_create_agent_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_agent_key(path)
    assert again.public_raw == made.public_raw  # read back, not replaced
    assert made.warnings == ()


def test_a_broken_key_file_is_an_error_not_a_new_key(tmp_path: Path) -> None:
    path = tmp_path / "agent.key"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(KeyFileError, match="not a key file"):
        load_or_create_agent_key(path)
    assert path.read_text(encoding="utf-8") == "{}"


def test_key_file_defaults_to_the_data_dir_and_resolves_relative_paths(tmp_path: Path) -> None:
    base = (
        '[agent]\nagent_id = "a"\ndata_dir = "data"\n{extra}'
        '[event]\nevent_id = 1\nkeyring = "k.json"\n'
    )
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text(base.format(extra=""), encoding="utf-8")
    assert load_config(cfg_file).agent_key_path == tmp_path / "data" / "agent.key"
    cfg_file.write_text(base.format(extra='key_file = "keys/box.key"\n'), encoding="utf-8")
    assert load_config(cfg_file).agent_key_path == tmp_path / "keys" / "box.key"
