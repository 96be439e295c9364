"""Config: typed, frozen, and every mistake named by file, key and expectation."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from pathlib import Path

import pytest

from edge_agent.config import Config, load_config
from edge_agent.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = """
[agent]
agent_id = "box-1"
data_dir = "data"
[event]
event_id = 1001
keyring = "keyring.json"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text)
    return p


def test_minimal_config_gets_documented_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, MINIMAL))
    assert cfg.agent.data_dir == tmp_path / "data"  # relative to the file
    assert cfg.event.keyring == tmp_path / "keyring.json"
    assert cfg.api.listen == ("127.0.0.1",)  # loopback only unless asked
    assert cfg.policy.reentry is False and cfg.log.level == "info"
    assert cfg.sync.enabled is False and cfg.sync.platform_url == ""  # offline by default
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.agent.agent_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("extra", "key", "expected"),
    [
        ("[gate]\nallowed_tikcet_types = [1]\n", "gate.allowed_tikcet_types", "unknown key"),
        ("[polcy]\nreentry = true\n", "polcy", "unknown key"),
        ('[policy]\nreentry = "yes"\n', "policy.reentry", "expected true or false"),
        ('[api]\nport = "8080"\n', "api.port", "expected an integer"),
        ("[api]\nport = 70000\n", "api.port", "expected 0..65535"),
        ('[api]\nlisten = ["localhost"]\n', "api.listen[0]", "expected an IP address"),
        ('[api]\nlisten = "0.0.0.0"\n', "api.listen", "expected a list"),
        (
            '[gate]\nallowed_ticket_types = [1, "x"]\n',
            "gate.allowed_ticket_types[1]",
            "expected an integer",
        ),
        ('[log]\nlevel = "loud"\n', "log.level", "expected one of"),
        ("[policy]\nclock_skew_grace_s = -1\n", "policy.clock_skew_grace_s", "expected 0 or more"),
        ("[gate]\ntimezone = 3\n", "gate.timezone", "expected a string"),
        ('[sync]\nplatform_url = "ftp://x"\n', "sync.platform_url", "expected an http(s)://"),
        ('[sync]\nplatform_url = "http://p"\n', "sync.token_file", "required when"),
        ("[sync]\nbatch_rows = 1001\n", "sync.batch_rows", "expected 1..1000"),
        ("[sync]\nbatch_bytes = 2000000\n", "sync.batch_bytes", "at most 1048576"),
        ("[sync]\nmanifest_interval_s = 0\n", "sync.manifest_interval_s", "at least 1"),
        ("[sync]\nplatform_url = 5\n", "sync.platform_url", "expected a string"),
    ],
)
def test_mistakes_name_file_key_and_expectation(
    tmp_path: Path, extra: str, key: str, expected: str
) -> None:
    path = write(tmp_path, MINIMAL + extra)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.key == key
    assert expected in err.value.problem
    assert str(path) in str(err.value)


def test_missing_required_key_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"event\.event_id: missing required key"):
        load_config(write(tmp_path, MINIMAL.replace("event_id = 1001\n", "")))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, MINIMAL + "[agent\n"))
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(bad)


def _declared_keys(cls: type, prefix: str = "") -> set[str]:
    keys: set[str] = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name == "source":
            continue
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            keys |= _declared_keys(tp, f"{prefix}{f.name}.")  # type: ignore[arg-type]
        else:
            keys.add(f"{prefix}{f.name}")
    return keys


def test_example_config_documents_every_key_and_loads(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text()
    # uncomment every "# key = value" line: the file must then hold every key, and load
    uncommented = re.sub(r"^# (\w+ = .*)$", r"\1", text, flags=re.MULTILINE)
    doc = tomllib.loads(uncommented)
    documented = {f"{section}.{key}" for section, table in doc.items() for key in table}
    assert documented == _declared_keys(Config)
    (tmp_path / "example.toml").write_text(uncommented)
    cfg = load_config(tmp_path / "example.toml")
    assert cfg == load_config(
        write(
            tmp_path,
            MINIMAL.replace("box-1", "gate-box-1").replace('"data"', '"/var/lib/gatehouse"'),
        )
    )


def test_sync_token_file_is_relative_to_the_config_file(tmp_path: Path) -> None:
    extra = '[sync]\nplatform_url = "http://127.0.0.1:9/"\ntoken_file = "agent.token"\n'
    cfg = load_config(write(tmp_path, MINIMAL + extra))
    assert cfg.sync.enabled
    assert cfg.sync.token_file == str(tmp_path / "agent.token")
