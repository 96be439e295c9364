"""The worked example configs of ``docs/gate.md`` (theatre, festival, conference) load:
every key exists and every reference between the rule tables holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edge_agent.config.loading import load_config
from edge_agent.config.rules import gate_rules
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
