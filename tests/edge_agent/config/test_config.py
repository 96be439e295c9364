"""Config: typed, frozen, and every mistake named by file, key and expectation."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from pathlib import Path

import pytest

from edge_agent.config.lanes import LaneSection
from edge_agent.config.loading import load_config
from edge_agent.config.rules_sections import (
    EventRulesSection,
    ListSection,
    TicketTypeSection,
    ZoneSection,
)
from edge_agent.config.sections import Config
from edge_agent.errors import ConfigError
from hardware.registry import OUTPUTS, PRINTERS
from scanner.inputs.registry import BACKENDS as INPUTS
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
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


def _uncomment(text: str) -> str:
    """Every commented "# key = value" line and "# [table]" header, made live."""
    text = re.sub(r"^#\s*(\[\[?[\w.]+\]\]?)\s*$", r"\1", text, flags=re.MULTILINE)
    return re.sub(r"^#\s*(\w+ = .*)$", r"\1", text, flags=re.MULTILINE)


def _flat_keys(doc: dict[str, object], prefix: str = "") -> set[str]:
    """Dotted keys of a TOML document's tables (a sub-table such as [sync.pretix] too)."""
    keys: set[str] = set()
    for key, value in doc.items():
        if isinstance(value, dict):
            keys |= _flat_keys(value, f"{prefix}{key}.")
        elif prefix:
            keys.add(f"{prefix}{key}")
    return keys


def test_example_config_documents_every_key_and_loads(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text()
    # uncomment every "# key = value" line: the file must then hold every key, and load
    uncommented = _uncomment(text)
    doc = tomllib.loads(uncommented)
    devices = {k: doc.pop(k) for k in ("lanes", "printer")}
    rule_tables = {k: doc.pop(k) for k in ("events", "zones", "lists")}
    documented = _flat_keys(doc)
    documented |= {
        f"lanes.{key}" for key in devices["lanes"][0] if key not in ("inputs", "outputs")
    }
    documented |= {"lanes", "printer", *rule_tables}
    declared = _declared_keys(Config) | {f"lanes.{k}" for k in _declared_keys(LaneSection)}
    assert documented == declared - {"lanes.inputs", "lanes.outputs"}
    for name, section in (("events", EventRulesSection), ("zones", ZoneSection),
                          ("lists", ListSection)):  # fmt: skip
        assert set(rule_tables[name][0]) == _declared_keys(section)
    assert set(rule_tables["events"][0]["ticket_types"][0]) == _declared_keys(TicketTypeSection)
    (tmp_path / "example.toml").write_text(uncommented)
    cfg = load_config(tmp_path / "example.toml")
    assert cfg.events[0].ticket_types[0].days == ("2026-07-04",)
    assert cfg.lists[0].id == "ga" and cfg.zones[0].id == "hall-b"
    rules_free = dataclasses.replace(cfg, lanes=(), printer=None, events=(), zones=(), lists=())
    assert rules_free == load_config(
        write(
            tmp_path,
            MINIMAL.replace("box-1", "gate-box-1").replace('"data"', '"/var/lib/gatehouse"'),
        )
    )
    assert cfg.printer is not None and cfg.printer.type == "network"


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_example_config_documents_every_key_of_every_device_type() -> None:
    doc = tomllib.loads(_uncomment((ROOT / "config.example.toml").read_text()))
    lane = doc["lanes"][0]
    inputs = {t["type"]: set(t) - {"id", "type"} for t in lane["inputs"]}
    outputs = {t["type"]: set(t) - {"id", "type"} for t in lane["outputs"]}
    assert inputs == {kind: _fields(b.load()[0]) for kind, b in INPUTS.items()}
    assert outputs == {kind: _fields(b.options) for kind, b in OUTPUTS.items()}
    printer = doc["printer"]
    assert set(printer) - {"id", "type"} == _fields(PRINTERS[printer["type"]].options)


LANES = """
[[lanes]]
id = "lane-1"
direction = "out"
  [[lanes.inputs]]
  id = "usb-1"
  type = "evdev"
  name = "honeywell"
  layout = "de"
  [[lanes.inputs]]
  id = "tcp-1"
  type = "tcp"
  port = 7300
  [[lanes.outputs]]
  id = "lights-1"
  type = "fake"
[[lanes]]
id = "lane-2"
  [[lanes.inputs]]
  id = "replay"
  type = "fake"
  codes_file = "codes.txt"
"""


def test_lanes_load_with_their_backends_options(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, MINIMAL + LANES))
    lane1, lane2 = cfg.lanes
    assert (lane1.id, lane1.direction, lane1.debounce_ms) == ("lane-1", "out", 1500)
    assert [(i.id, i.type) for i in lane1.inputs] == [("usb-1", "evdev"), ("tcp-1", "tcp")]
    assert lane1.inputs[0].options.layout == "de"
    assert lane1.inputs[1].options.host == "127.0.0.1"  # loopback unless told
    assert lane2.inputs[0].options.codes_file == tmp_path / "codes.txt"  # relative to file
    assert lane2.direction == "in" and lane2.outputs == ()
    assert cfg.printer is None


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        (('layout = "de"', 'layuot = "de"'), "lanes[0].inputs[0].layuot", "unknown key"),
        (('layout = "de"', 'layout = "ch"'), "lanes[0].inputs[0]", "layout: expected one of"),
        (('type = "evdev"', 'type = "ps2"'), "lanes[0].inputs[0].type", "unknown input type"),
        (("port = 7300", 'port = "7300"'), "lanes[0].inputs[1].port", "expected an integer"),
        (("port = 7300", "port = 8443"), "lanes[0].inputs[1].port", "already api.port"),
        (('direction = "out"', 'direction = "up"'), "lanes[0].direction", '"in" or "out"'),
        (('id = "lane-2"', 'id = "lane-1"'), "lanes[1].id", "defined twice"),
        (('id = "replay"', 'id = "usb-1"'), "lanes[1].inputs[0].id", "already used"),
        (
            ('type = "fake"\n[[', 'type = "gpio"\n  pin = 3\n[['),
            "lanes[0].outputs[0].pin",
            "unknown key",
        ),
        (('  id = "lights-1"\n', ""), "lanes[0].outputs[0].id", "missing required key"),
        (
            ('[[lanes]]\nid = "lane-1"', '[[lanes]]\nid = "lane-1"\nspeed = 3'),
            "lanes[0].speed",
            "unknown key",
        ),
    ],
)
def test_lane_mistakes_name_the_key(
    tmp_path: Path, change: tuple[str, str], key: str, expected: str
) -> None:
    text = MINIMAL + LANES.replace(*change, 1)
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert err.value.key == key
    assert expected in err.value.problem


def test_unknown_printer_type_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, MINIMAL + '[printer]\nid = "p"\ntype = "laser"\n'))
    assert err.value.key == "printer.type"


def test_sync_token_file_is_relative_to_the_config_file(tmp_path: Path) -> None:
    extra = '[sync]\nplatform_url = "http://127.0.0.1:9/"\ntoken_file = "agent.token"\n'
    cfg = load_config(write(tmp_path, MINIMAL + extra))
    assert cfg.sync.enabled
    assert cfg.sync.token_file == str(tmp_path / "agent.token")
