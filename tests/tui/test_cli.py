"""``edge-agent tui``: where it finds the agent and the token file."""

from __future__ import annotations

import argparse
from pathlib import Path

from demo.event import DemoEvent
from edge_agent.cli.main import build_parser
from edge_agent.cli.tui_cmd import DEFAULT_URL, agent_url, ca_file, config_url


def args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["tui", *argv])


def test_url_by_default_by_flag_and_from_the_agent_config(event: DemoEvent) -> None:
    assert agent_url(args()) == DEFAULT_URL == "http://127.0.0.1:8443"
    assert agent_url(args("--url", "http://10.0.0.5:8443")) == "http://10.0.0.5:8443"
    api = event.config.api
    expected = f"http://{api.listen[0]}:{api.port}"
    assert agent_url(args("--config", str(event.config_path))) == expected


def test_a_lan_only_agent_is_reached_over_https_with_its_ca(event: DemoEvent) -> None:
    assert config_url(("127.0.0.1", "192.0.2.7"), 8443, False) == "http://127.0.0.1:8443"
    assert config_url(("192.0.2.7",), 8443, False) == "https://192.0.2.7:8443"
    assert config_url(("0.0.0.0",), 8443, False) == "https://127.0.0.1:8443"
    assert config_url(("127.0.0.1",), 8443, True) == "https://127.0.0.1:8443"
    assert ca_file(args("--ca-file", "/x/ca.crt")) == "/x/ca.crt"
    assert ca_file(args()) is None  # the system's trusted CAs
    (event.config.tls_dir).mkdir(parents=True)
    (event.config.tls_dir / "venue-ca.crt").write_text("pem")
    assert ca_file(args("--config", str(event.config_path))) == str(
        event.config.tls_dir / "venue-ca.crt"
    )


def test_a_broken_token_file_is_a_clear_error(tmp_path: Path, capsys: object) -> None:
    from edge_agent.cli.main import main

    bad = tmp_path / "token.json"
    bad.write_text("{nope")
    assert main(["tui", "--token-file", str(bad)]) == 2
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert f"{bad}: cannot read the token file" in err
