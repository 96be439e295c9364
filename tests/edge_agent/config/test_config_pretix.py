"""``[sync] kind = "pretix"`` and ``[sync.pretix]``: strict like every section, the box
office off with pretix, and the enrol command's own checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.cli.main import main
from edge_agent.config.loading import load_config
from edge_agent.errors import ConfigError
from tests.edge_agent.config.test_config import MINIMAL, write

PRETIX = (
    MINIMAL
    + """
[sync]
kind = "pretix"
platform_url = "https://pretix.example.org"
token_file = "device.token"
[sync.pretix]
organizer = "democon"
event = "2026"
checkin_list = 7
"""
)


def test_a_pretix_link_config(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, PRETIX))
    assert cfg.sync.kind == "pretix" and cfg.sync.enabled
    assert (cfg.sync.pretix.organizer, cfg.sync.pretix.event, cfg.sync.pretix.checkin_list) == (
        "democon",
        "2026",
        7,
    )
    assert cfg.box_office.enabled is False  # door sales need the Gatehouse protocol
    assert load_config(write(tmp_path, MINIMAL)).sync.kind == "gatehouse"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (PRETIX.replace('kind = "pretix"', 'kind = "pretic"'), "sync.kind"),
        (PRETIX.replace("checkin_list = 7", "checkin_list = 0"), "sync.pretix.checkin_list"),
        (PRETIX.replace('event = "2026"', 'event = "a b"'), "sync.pretix.event"),
        (PRETIX.replace('organizer = "democon"', 'organizer = ""'), "sync.pretix.organizer"),
        (PRETIX + "list = 3\n", "sync.pretix.list"),
        (PRETIX.replace('kind = "pretix"', 'kind = "gatehouse"'), "sync.pretix"),
        (PRETIX + "[box_office]\nenabled = true\n", "box_office.enabled"),
        (
            PRETIX.replace("checkin_list = 7", "checkin_list = 7\nupload_concurrency = 99"),
            "sync.pretix.upload_concurrency",
        ),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert caught.value.key == key


def test_enrol_wants_a_pretix_config_and_keeps_an_existing_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = write(tmp_path, MINIMAL)
    assert main(["pretix", "enrol", "--config", str(plain), "--token", "abc"]) == 2
    assert 'kind = "pretix"' in capsys.readouterr().err
    cfg = write(tmp_path, PRETIX)
    (tmp_path / "device.token").write_text("old\n")
    assert main(["pretix", "enrol", "--config", str(cfg), "--token", "abc"]) == 2
    assert "--replace" in capsys.readouterr().err
    assert (tmp_path / "device.token").read_text() == "old\n"
