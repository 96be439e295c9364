"""``[sync] kind = "pretix"`` and ``[sync.pretix]``: strict like every section, the box
office off with pretix, and the enrol command's own checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from demo.event import raw_public
from edge_agent.cli.main import main
from edge_agent.config.loading import load_config
from edge_agent.domain.keyring import dump_keyring, keyring_entry_for_pretix
from edge_agent.domain.pretix_payload import PretixTicket
from edge_agent.domain.pretix_rules import PretixRules
from edge_agent.domain.pretix_sig1 import sign_pretix_ticket
from edge_agent.errors import ConfigError
from edge_agent.ledger import pretix_tables
from edge_agent.ledger.writer import LedgerWriter
from edge_agent.platform_link.pretix import translate
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


RULES = """
[gate]
lists = ["main"]
[[events]]
event_id = 1001
ticket_types = [{ ticket_type = 2, name = "VIP", flags = ["id_check"] }]
[[lists]]
id = "main"
ticket_types = [1, 2]
max_entries_per_day = 2
"""


async def test_a_pretix_box_with_gate_rules_and_check_naming_pretixs_products(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pretix link and rule tables in one config; ``check`` lists which ticket type each
    pretix product became, the numbers the rule tables use."""
    path = write(tmp_path, PRETIX + RULES)
    config = load_config(path)
    assert config.sync.kind == "pretix" and config.lists[0].max_entries_per_day == 2
    (tmp_path / "keyring.json").write_text('{"keys": []}\n')
    (tmp_path / "data").mkdir()
    writer = await LedgerWriter.open(config.ledger_path, config.agent.agent_id)
    await writer.execute(lambda c: pretix_tables.assign_products(c, [(12, 0), (13, 7)]))
    await writer.execute(
        lambda c: c.execute(
            "INSERT INTO ticket_types(event_id, ticket_type, name) VALUES (1001, 2, 'Day – Sat')"
        )
    )
    await writer.close()
    main(["check", "--config", str(path)])
    out = capsys.readouterr().out
    assert "note rules: 1 event(s), 1 list(s), 0 zone(s)" in out
    assert "note pretix item 12 is ticket type 1\n" in out
    assert "note pretix item 13 variation 7 is ticket type 2 (Day – Sat)" in out


async def test_rules_explain_judges_a_pretix_code_with_the_synced_keys_and_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pretix's keys reach a box only through the link (the keyring file is empty): the
    explanation reads them, and pretix's products and list, from the stopped box's ledger."""
    key = Ed25519PrivateKey.from_private_bytes(b"\x31" * 32)
    path = write(tmp_path, PRETIX + RULES)
    config = load_config(path)
    (tmp_path / "keyring.json").write_text('{"keys": []}\n')
    (tmp_path / "data").mkdir()
    synced = json.dumps(dump_keyring([keyring_entry_for_pretix(raw_public(key), [1001])]))
    rules = translate.rules_to_json(PretixRules(products={}, list_types=frozenset({2})))
    writer = await LedgerWriter.open(config.ledger_path, config.agent.agent_id)
    await writer.execute(lambda c: pretix_tables.assign_products(c, [(12, 0), (13, 0)]))
    await writer.execute(
        lambda c: c.execute(
            "UPDATE sync_state SET event_id = 1001, keyring_json = ? WHERE id = 1", (synced,)
        )
    )
    await writer.execute(
        lambda c: c.execute("UPDATE pretix_state SET rules_json = ? WHERE id = 1", (rules,))
    )
    await writer.close()
    code = sign_pretix_ticket(PretixTicket("Seed0001A", 12), key)  # product 12: type 1
    assert main(["rules", "explain", "--config", str(path), "--json", code]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["reason"] == "not_allowed_at_gate"  # pretix's list takes type 2 only
    assert "pretix check-in list: does not cover type 1; dates: every date" in doc["trace"]
    assert doc["trace"][-1] == "decided by: pretix's check-in list does not cover the type"
