"""``edge-agent tls``, ``check`` and ``pair`` on TLS: the fingerprint to compare, files
that must load, the HTTPS address a device pairs with; and [tls] config mistakes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from demo.event import DemoEvent
from edge_agent.cli.main import main
from edge_agent.cli.pair_cmd import device_urls
from edge_agent.cli.run_cmd import https_on
from edge_agent.config.loading import load_config
from edge_agent.errors import ConfigError
from edge_agent.tls.server_cert import setup_tls
from edge_agent.tls.venue_ca import create_venue_ca, issue_cert


def test_tls_shows_the_fingerprint_once_the_agent_made_the_ca(
    event: DemoEvent, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tls", "--config", str(event.config_path)]) == 2
    assert "no venue CA yet" in capsys.readouterr().err
    cfg = event.config
    tls = setup_tls(
        cfg.tls_dir, agent_id="demo", venue="", listen=("127.0.0.1",), now=dt.datetime.now(dt.UTC)
    )
    assert tls.ca is not None
    assert main(["tls", "--config", str(event.config_path)]) == 0
    out = capsys.readouterr().out
    assert tls.ca.fingerprint.upper()[:4] + " " + tls.ca.fingerprint.upper()[4:8] in out
    assert "localhost" in out and "/trust/" in out


def test_check_names_a_venue_certificate_that_does_not_load(
    event: DemoEvent, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = dt.datetime.now(dt.UTC)
    ca = create_venue_ca("IT", now)
    leaf, other = (issue_cert(ca, n, dns_names=[f"{n}.example"], now=now) for n in ("a", "b"))
    (tmp_path / "cert.pem").write_bytes(leaf.cert_pem)
    (tmp_path / "key.pem").write_bytes(other.key_pem)
    (tmp_path / "key.pem").chmod(0o600)
    path = event.config_path
    tls = f'[tls]\ncert_file = "{tmp_path / "cert.pem"}"\nkey_file = "{tmp_path / "key.pem"}"\n'
    path.write_text(path.read_text() + tls)
    assert main(["check", "--config", str(path)]) == 1
    assert "BAD  tls:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('[tls]\ncert_file = "c.pem"\n', "tls.key_file"),
        ('[tls]\nnames = ["not a name"]\n', "tls.names[0]"),
        ("[tls]\nloopbak = true\n", "tls.loopbak"),
        ("[api]\npaired_reserve = 400\n", "api.paired_reserve"),
        ("[api]\nheader_timeout_s = 0\n", "api.header_timeout_s"),
        ("[ledger]\nrequest_ids_kept_s = 5\n", "ledger.request_ids_kept_s"),
    ],
)
def test_tls_and_limit_mistakes_name_the_key(event: DemoEvent, extra: str, key: str) -> None:
    path = event.config_path
    text = path.read_text()
    if extra.startswith("[api]"):  # the demo config has an [api] table already
        text = text.replace("[api]\n", extra, 1)
    else:
        text += extra
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.key == key


def test_a_device_pairs_over_https_on_the_lan() -> None:
    # HTTPS on every address but loopback (there too with [tls] loopback)
    assert https_on("192.0.2.7", False) and https_on("2001:db8::7", False)
    assert not https_on("127.0.0.1", False) and not https_on("::1", False)
    assert https_on("127.0.0.1", True)
    # the agent's bound URLs (GET /control/addresses: HTTPS beyond loopback) as a
    # device reaches them
    bound = ["http://127.0.0.1:8443", "https://192.0.2.7:8443", "https://[2001:db8::7]:8443"]
    assert device_urls(bound) == bound
    assert device_urls(["https://0.0.0.0:8443"]) == ["https://<this box's address>:8443"]
