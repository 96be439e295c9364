"""The verifier against a genuine pack and every way of altering it: edit, delete or
reorder a row or a checkpoint, edit the scans list or the conclusion, swap a key. Each
must fail, and the first problem must name what was altered."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.agent_certificate import b64url_encode, issue_certificate
from edge_agent.domain.keyring import keyring_entry_for_agent, keyring_entry_for_platform
from edge_agent.evidence.core.canonical import canonical_json, sign_pack
from edge_agent.evidence.core.checkpoint import sign_checkpoint
from edge_agent.evidence.core.conclusion import conclude
from edge_agent.evidence.core.sale_entry import payment_text
from edge_agent.evidence.core.verify import verify_pack
from edge_agent.ledger.records import SCAN_FIELDS
from tests.edge_agent.evidence.packs import AGENT, EVENT, Built, build

Pack = dict[str, Any]


def sig_bytes(built: Built) -> bytes:
    return json.dumps(built.signature.to_json_dict()).encode()


def check(pack: Pack, built: Built, *, resign: bool = False, trust: Any = None) -> Any:
    data = canonical_json(pack)
    signature = sign_pack(built.platform_key, data) if resign else built.signature
    return verify_pack(data, json.dumps(signature.to_json_dict()).encode(), trust)


def test_a_genuine_pack_verifies_and_says_what_is_proven() -> None:
    built = build()
    report = verify_pack(built.pack_bytes, sig_bytes(built))
    assert report.ok, report.problems
    text = report.text()
    assert text.startswith("evidence pack VERIFIED")
    assert "gate-a rows 2–4: hash chain recomputed" in text
    assert "checkpoint 2" in text
    assert "pin the platform's published key with --trust" in text
    assert "rows after an agent's last checkpoint could be removed" in text
    # the same pack with the platform key pinned by the reviewer
    trust = {"keys": [built.keyring["keys"][0]]}
    pinned = verify_pack(built.pack_bytes, sig_bytes(built), trust)
    assert pinned.ok and "pinned by the reviewer's --trust keyring" in pinned.text()


# Every ledger field of the subject's first row (seq 2, in segment 0, row 0) and of an
# intermediate row (seq 3, another ticket's scan the proof needs).
EDITABLE = [f for f in SCAN_FIELDS if f not in ("seq", "agent_id")]


def _edited(value: Any) -> Any:
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value[:-1] + ("x" if not value.endswith("x") else "y")
    return "forged"


@pytest.mark.parametrize("field", EDITABLE)
@pytest.mark.parametrize(("row_index", "seq"), [(0, 2), (1, 3)])
def test_editing_any_field_of_any_row_names_that_row(field: str, row_index: int, seq: int) -> None:
    built = build()
    pack = copy.deepcopy(built.pack)
    row = pack["ledgers"][0]["segments"][0]["rows"][row_index]
    row[SCAN_FIELDS.index(field)] = _edited(row[SCAN_FIELDS.index(field)])
    report = check(pack, built, resign=True)  # even re-signed by the platform itself
    assert not report.ok
    assert report.problems[0].startswith(f"{AGENT} seq {seq}:"), report.problems


def _delete_row(p: Pack) -> None:
    del p["ledgers"][0]["segments"][1]["rows"][1]
    del p["ledgers"][0]["segments"][1]["chains"][1]


def _swap_rows(p: Pack) -> None:
    seg = p["ledgers"][0]["segments"][1]
    for key in ("rows", "chains"):
        seg[key][1], seg[key][2] = seg[key][2], seg[key][1]


def _drop_tail(p: Pack) -> None:  # the last row and its reference to checkpoint 2
    seg = p["ledgers"][0]["segments"][1]
    for key in ("rows", "chains"):
        seg[key].pop()


def _edit_checkpoint(field: str, value: Any) -> Callable[[Pack], None]:
    def edit(p: Pack) -> None:
        p["ledgers"][0]["checkpoints"][0][field] = value

    return edit


def _delete_checkpoint(p: Pack) -> None:
    del p["ledgers"][0]["checkpoints"][0]


def _reorder_checkpoints(p: Pack) -> None:
    cps = p["ledgers"][0]["checkpoints"]
    cps[0], cps[1] = cps[1], cps[0]


def _edit_scan(field: str, value: Any) -> Callable[[Pack], None]:
    def edit(p: Pack) -> None:
        p["scans"][1][field] = value

    return edit


def _drop_scan(p: Pack) -> None:
    del p["scans"][1]


def _edit_conclusion(p: Pack) -> None:
    p["conclusion"]["tickets"][0]["text"] = "Ticket was admitted twice."


def _edit_order(p: Pack) -> None:
    p["order"]["customer"]["name"] = "Someone Else"


TAMPERS: list[tuple[str, Callable[[Pack], None], str]] = [
    ("delete a row", _delete_row, "gate-a seq 6: row out of place"),
    ("reorder rows", _swap_rows, "gate-a seq 6: row out of place"),
    ("drop the last row", _drop_tail, "gate-a seqs 5–7: the checkpoint they refer to"),
    ("edit checkpoint chain", _edit_checkpoint("chain", "0" * 64), "gate-a checkpoint 1"),
    ("edit checkpoint seq", _edit_checkpoint("through_seq", 3), "gate-a checkpoint 1"),
    ("edit checkpoint time", _edit_checkpoint("at_ms", 1), "gate-a checkpoint 1"),
    ("edit checkpoint clock", _edit_checkpoint("clock_offset_ms", 0), "gate-a checkpoint 1"),
    ("delete a checkpoint", _delete_checkpoint, "gate-a seqs 2–4: the checkpoint"),
    ("reorder checkpoints", _reorder_checkpoints, "checkpoints out of order"),
    ("edit a scan's outcome", _edit_scan("outcome", "admit"), "scan gate-a seq 5: field outcome"),
    ("edit a scan's gate", _edit_scan("gate", "gate-9"), "scan gate-a seq 5: field gate"),
    ("edit a door time", _edit_scan("door_time_ms", 1), "scan gate-a seq 5: field at_ms"),
    ("edit a chain", _edit_scan("chain", "f" * 64), "scan gate-a seq 5: chain differs"),
    ("hide a refusal", _drop_scan, "gate-a seq 5: a scan of ticket"),
    ("edit the conclusion", _edit_conclusion, "conclusion: the summary does not follow"),
    ("edit the order data", _edit_order, "pack signature does not verify"),
]


def test_a_door_sale_verifies_and_is_said_to_be_asserted() -> None:
    built = build(door_sale=True)
    report = verify_pack(built.pack_bytes, sig_bytes(built))
    assert report.ok, report.problems
    [sale] = built.pack["sales"]
    assert "code" not in str(sale["tickets"][0]).replace("code_sha256", "")
    assert "customer_name" not in sale and "Ada" not in json.dumps(sale)
    text = report.text()
    assert "1 door sale/void row(s)" in text.split("Only asserted")[1]
    line = built.pack["conclusion"]["tickets"][0]["text"]
    assert "sold at the door of Riverside Hall by gate box gate-a" in line
    assert "paid by card terminal VISA ••4242 auth A1B2C3 (terminal T-01)" in line
    assert "; ticket admitted at gate-3, Riverside Hall at 2026-12-31" in line


def test_a_voided_door_sale_verifies_and_the_conclusion_says_so() -> None:
    built = build(door_sale=True, voided=True)
    report = verify_pack(built.pack_bytes, sig_bytes(built))
    assert report.ok, report.problems
    assert [s["kind"] for s in built.pack["sales"]] == ["sale", "void"]
    assert built.pack["sales"][1]["tickets"][0]["code_sha256"] is None
    line = built.pack["conclusion"]["tickets"][0]["text"]
    assert "The sale was voided on 2026-12-31 19:23:20 UTC (changed mind;" in line
    assert "EUR 45.00 handed back (terminal))." in line


def _void_of_unknown_sale(p: Pack) -> None:
    void = {**p["sales"][0], "kind": "void", "sale_id": "SALE-9", "reason": "wrong seat"}
    void.update(dict.fromkeys(("card_brand", "card_last4", "auth_ref", "terminal_id")))
    void["payment_text"] = payment_text(void)
    p["sales"].append(void)


def _edit_sale(field: str, value: Any) -> Callable[[Pack], None]:
    def edit(p: Pack) -> None:
        p["sales"][0][field] = value

    return edit


def _edit_sold_code(p: Pack) -> None:
    p["sales"][0]["tickets"][0]["code_sha256"] = "0" * 64


SALE_TAMPERS: list[tuple[str, Callable[[Pack], None], str]] = [
    ("amount", _edit_sale("amount_cents", 100), "amount_cents 100 is not the sum"),
    ("a longer card number", _edit_sale("card_last4", "4111111111111111"), "card_last4 must be"),
    ("last 4", _edit_sale("card_last4", "1881"), "payment_text does not say"),
    ("another order", _edit_sale("order_id", "O-2"), "is not the pack's order"),
    ("method", _edit_sale("method", "cash"), "a cash payment holds card fields"),
    ("the code issued", _edit_sold_code, "the code this sale issued is not the code scanned"),
    ("a void of no sale", _void_of_unknown_sale, "a void of a sale the pack does not list"),
    ("drop a field", lambda p: p["sales"][0].pop("operator"), "field operator is missing"),
]


@pytest.mark.parametrize(
    ("what", "tamper", "named"), SALE_TAMPERS, ids=[t[0] for t in SALE_TAMPERS]
)
def test_altering_a_door_sale_fails_naming_it(
    what: str, tamper: Callable[[Pack], None], named: str
) -> None:
    built = build(door_sale=True)
    pack = copy.deepcopy(built.pack)
    tamper(pack)
    report = check(pack, built, resign=True)  # consistent checks hold even re-signed
    assert not report.ok, what
    assert report.problems[0].startswith("sale gate-a sales seq 2 (SALE-"), report.problems
    assert named in report.problems[0], report.problems


def test_a_consistent_edit_of_a_door_sale_fails_on_the_conclusion_or_signature() -> None:
    """Last 4 and its text edited together: the conclusion no longer follows; with the
    conclusion recomputed too, only the pack signature stands in the way (the sale is
    the signer's word, as the report says)."""
    built = build(door_sale=True)
    pack = copy.deepcopy(built.pack)
    sale = pack["sales"][0]
    sale["card_last4"] = "1881"
    sale["payment_text"] = sale["payment_text"].replace("4242", "1881")
    report = check(pack, built)
    assert "conclusion: the summary does not follow" in report.problems[0]
    assert f"(ticket {pack['tickets'][0]['ticket_id']})" in report.problems[0]
    pack["conclusion"] = conclude(pack)
    report = check(pack, built)
    assert report.problems == ["pack signature does not verify: evidence.json was altered"]


@pytest.mark.parametrize(("what", "tamper", "named"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_tampering_fails_and_names_what(
    what: str, tamper: Callable[[Pack], None], named: str
) -> None:
    built = build()
    pack = copy.deepcopy(built.pack)
    tamper(pack)
    report = check(pack, built)
    assert not report.ok, what
    assert named in report.problems[0], report.problems


def test_a_reformatted_pack_is_refused_as_not_canonical() -> None:
    built = build()
    pretty = json.dumps(built.pack, indent=1, sort_keys=True).encode()
    report = verify_pack(pretty, sig_bytes(built))
    assert not report.ok and "not in canonical form" in report.problems[0]


def test_a_swapped_platform_key_fails_with_and_without_trust() -> None:
    """An attacker replaces the platform key and re-signs the pack with their own: the
    agent's certificate no longer verifies, so its checkpoints are not trusted; with
    the real key pinned, the pack's signature is not trusted either."""
    built = build()
    forger = Ed25519PrivateKey.generate()
    pack = copy.deepcopy(built.pack)
    pack["keyring"]["keys"][0] = keyring_entry_for_platform(
        forger.public_key().public_bytes_raw(), [EVENT]
    )
    data = canonical_json(pack)
    sig = json.dumps(sign_pack(forger, data).to_json_dict()).encode()
    report = verify_pack(data, sig)
    assert not report.ok
    assert "checkpoint 1" in report.problems[0] and "not an agent key" in report.problems[0]
    trust = {"keys": [built.keyring["keys"][0]]}
    pinned = verify_pack(data, sig, trust)
    assert not pinned.ok
    assert any("pack signature: key" in p for p in pinned.problems)


def test_a_swapped_agent_key_fails_even_with_a_new_certificate_and_checkpoints() -> None:
    """Everything re-made with a new agent key certified by a forged platform key:
    with the real platform key pinned, nothing of it is trusted."""
    built = build()
    forger = Ed25519PrivateKey.generate()
    fake_agent = Ed25519PrivateKey.generate()
    cert = issue_certificate(
        forger,
        agent_id=AGENT,
        agent_public_key=fake_agent.public_key().public_bytes_raw(),
        events=[EVENT],
        not_before=0,
        not_after=2**32 - 1,
    )
    pack = copy.deepcopy(built.pack)
    pack["keyring"]["keys"][1] = keyring_entry_for_agent(cert)
    for doc in pack["ledgers"][0]["checkpoints"]:
        cp = sign_checkpoint(
            fake_agent,
            agent_id=AGENT,
            number=doc["number"],
            through_seq=doc["through_seq"],
            chain=doc["chain"],
            at_ms=doc["at_ms"],
            clock_offset_ms=doc["clock_offset_ms"],
            clock_rtt_ms=doc["clock_rtt_ms"],
        )
        doc.update(cp.to_json_dict())
    report = check(pack, built, resign=True, trust={"keys": [built.keyring["keys"][0]]})
    assert not report.ok
    assert "checkpoint 1" in report.problems[0] and "not an agent key" in report.problems[0]
    assert b64url_encode(built.agent_key.public_key().public_bytes_raw()) not in json.dumps(
        pack["keyring"]
    )


def test_an_altered_signature_file_fails() -> None:
    built = build()
    doc = built.signature.to_json_dict()
    doc["signature"] = b64url_encode(bytes(64))
    report = verify_pack(built.pack_bytes, json.dumps(doc).encode())
    assert not report.ok and "pack signature does not verify" in report.problems[0]
