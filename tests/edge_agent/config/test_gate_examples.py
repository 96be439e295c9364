"""The worked example configs of ``docs/gate.md`` (theatre, festival, conference) load:
every key exists and every reference between the rule tables holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edge_agent.config.loading import load_config
from edge_agent.config.rules import gate_rules
from edge_agent.errors import ConfigError
from tests.paths import REPO_ROOT

EXAMPLES = re.findall(
    r"### Worked example: (\w+).*?```toml\n(.*?)```",
    (REPO_ROOT / "docs" / "gate.md").read_text(),
    flags=re.DOTALL,
)


def test_there_are_three_worked_examples() -> None:
    assert len(EXAMPLES) == 3


@pytest.mark.parametrize(("name", "toml"), EXAMPLES, ids=[str(i) for i in range(len(EXAMPLES))])
def test_each_worked_example_loads(name: str, toml: str, tmp_path: Path) -> None:
    head = '[agent]\nagent_id = "box"\ndata_dir = "data"\n'
    if "[event]" not in toml:
        head += '[event]\nevent_id = 1\nkeyring = "keyring.json"\n'
    path = tmp_path / "config.toml"
    path.write_text(head + toml)
    config = load_config(path)
    rules = gate_rules(config)
    assert config.events and rules.policy.events
    for lane in config.lanes:
        if lane.lists or lane.zone:
            assert lane.id in rules.lane_policies


@pytest.mark.parametrize(
    ("rules", "key", "problem"),
    [
        ('[gate]\nlists = ["x"]\n', "gate.lists[0]", "no [[lists]] with id 'x'"),
        ('[gate]\nzone = "z"\n', "gate.zone", "no [[zones]] with id 'z'"),
        ('[gate]\nlanguage = "it"\n', "gate.language", "expected one of en, de, fr, es"),
        ('[gate]\nlists = ["a"]\nallowed_ticket_types = [1]\n[[lists]]\nid = "a"\n',
         "gate.allowed_ticket_types", "not used when gate.lists is set"),
        ('[[events]]\nevent_id = 2\ndoors = [{ day = "2026-13-01", open = "18:00", '
         'close = "23:00" }]\n', "events[0].doors[0].day", "expected a date"),
        ('[[events]]\nevent_id = 2\ndoors = [{ day = "2026-07-04", open = "25:00", '
         'close = "23:00" }]\n', "events[0].doors[0].open", "expected a time"),
        ('[[events]]\nevent_id = 2\nticket_types = [{ ticket_type = 1, flags = ["vip"] }]\n',
         "events[0].ticket_types[0].flags[0]", "expected one of attention"),
        ('[[zones]]\nid = "z"\nwhen_full = "maybe"\n', "zones[0].when_full", "refuse"),
        ('[[lists]]\nid = "l"\nevents = [9]\n', "lists[0].events[0]", "not admitted here"),
        ('[[lists]]\nid = "l"\nmax_entries = -1\n', "lists[0].max_entries", "no limit"),
        ('[[lists]]\nid = "l"\nmax_entrys = 1\n', "lists[0].max_entrys", "unknown key"),
    ],
)  # fmt: skip
def test_rule_mistakes_name_the_key(rules: str, key: str, problem: str, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[agent]\nagent_id = "box"\ndata_dir = "data"\n'
        '[event]\nevent_id = 1\nkeyring = "keyring.json"\n' + rules
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == key
    assert problem in str(caught.value)
