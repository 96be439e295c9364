"""Verifying an evidence pack: pure, from the bytes of ``evidence.json`` and its
signature file (plus, optionally, a keyring the reviewer trusts).

Checks, in an order that names the first altered thing rather than only "the
signature fails": the pack's form; the keys (agent keys must be certified by a
platform key — the pack's own or the reviewer's ``--trust`` keyring); every checkpoint
signature; every segment's rows (types, contiguous ``seq``, each row's chain link, the
last link against its signed checkpoint); the scans list against the proven rows (no
edited field, no row of the order's tickets left out); the door sales' consistency and
their code hashes against the proven scans (``verify_sales``); the conclusion against
the scans and sales; and the pack signature. The report says what is proven and what is only
asserted (``docs/evidence.md``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from edge_agent.domain.errors import KeyringError
from edge_agent.domain.keyring import load_keyring
from edge_agent.domain.trusted_key import Keyring, KeyRole, TrustedKey
from edge_agent.evidence.core.canonical import (
    PackFormatError,
    PackSignature,
    pack_signature_verifies,
    parse_canonical,
)
from edge_agent.evidence.core.checkpoint import Checkpoint, CheckpointError, checkpoint_verifies
from edge_agent.evidence.core.conclusion import conclude
from edge_agent.evidence.core.pack_input import FIELD_INDEX
from edge_agent.evidence.core.timefmt import utc_text
from edge_agent.evidence.core.verify_sales import check_sales
from edge_agent.ledger.records import (
    SCAN_FIELDS,
    ScanRow,
    canonical_scan_bytes,
    decode_ext,
    encode_ext,
    genesis_chain,
)
from edge_agent.ledger.records import next_chain as chain_step

#: Types a scan field may hold (ledger-v1; None where the column is nullable).
_NULLABLE = {
    "event_id",
    "ticket_id",
    "ticket_type",
    "key_id",
    "override_operator",
    "override_reason",
    "manifest_at_ms",
}
_INT_FIELDS = {"seq", "at_ms", "event_id", "ticket_type", "manifest_at_ms"}
#: A row's canonical array with an extension object after the ledger-v1 fields.
_WITH_EXT = len(SCAN_FIELDS) + 1


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    proven: list[str] = field(default_factory=list)
    asserted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        lines = []
        if self.ok:
            lines.append("evidence pack VERIFIED")
        else:
            lines.append(f"evidence pack NOT VERIFIED: {self.problems[0]}")
            lines.extend(f"  also: {p}" for p in self.problems[1:10])
            if len(self.problems) > 10:
                lines.append(f"  … and {len(self.problems) - 10} more problem(s)")
        lines.append("Proven (checked signatures and hash chains):")
        lines.extend(f"  - {p}" for p in self.proven or ["nothing"])
        lines.append("Only asserted (the signer's word, not proven by this check):")
        lines.extend(f"  - {a}" for a in self.asserted or ["nothing"])
        return "\n".join(lines)


def verify_pack(
    pack_bytes: bytes, signature_bytes: bytes, trust: Mapping[str, Any] | None = None
) -> VerifyReport:
    report = VerifyReport()
    try:
        pack = parse_canonical(pack_bytes)
        signature = PackSignature.from_json_dict(json.loads(signature_bytes.decode("utf-8")))
    except (PackFormatError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.problems.append(str(exc))
        return report
    try:
        keyring = _keyring(pack, trust, report)
    except (KeyringError, PackFormatError) as exc:
        report.problems.append(f"keyring: {exc}")
        return report
    try:
        proven_rows = _check_ledgers(pack, keyring, report)
        _check_scans(pack, proven_rows, report)
        check_sales(pack, report.problems, report.asserted)
        _check_conclusion(pack, report)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        report.problems.append(f"pack structure: {type(exc).__name__}: {exc}")
    _check_signature(pack, pack_bytes, signature, keyring, report)
    _asserted(pack, report)
    return report


def _keyring(
    pack: Mapping[str, Any], trust: Mapping[str, Any] | None, report: VerifyReport
) -> Keyring:
    pack_doc = pack.get("keyring")
    if not isinstance(pack_doc, Mapping) or not isinstance(pack_doc.get("keys"), list):
        raise PackFormatError("the pack carries no keyring")
    if trust is None:
        keyring = load_keyring(pack_doc)
        platform = sorted(k.key_id_hex for k in keyring.keys.values() if k.role is KeyRole.PLATFORM)
        report.asserted.append(
            f"the platform key(s) {', '.join(platform) or 'none'} are the pack's own: pin the"
            " platform's published key with --trust KEYRING to make this check independent"
        )
        return keyring
    trusted = [
        e for e in trust.get("keys", []) if isinstance(e, Mapping) and e.get("role") == "platform"
    ]
    if not trusted:
        raise PackFormatError("the --trust keyring holds no platform key")
    trusted_keys = {e.get("public_key") for e in trusted}
    agents = [
        e
        for e in pack_doc["keys"]
        if isinstance(e, Mapping)
        and e.get("role") == "agent"
        and e.get("public_key") not in trusted_keys
    ]
    keyring = load_keyring({"keys": [*trusted, *agents]})
    report.proven.append(
        "platform key(s) pinned by the reviewer's --trust keyring: "
        + ", ".join(
            sorted(k.key_id_hex for k in keyring.keys.values() if k.role is KeyRole.PLATFORM)
        )
    )
    return keyring


def _agent_key(keyring: Keyring, agent_id: str, key_id: str) -> TrustedKey | None:
    try:
        key = keyring.get(bytes.fromhex(key_id))
    except ValueError:
        return None
    if key is None or key.role is not KeyRole.AGENT or key.agent_id != agent_id:
        return None
    return key


_RowKey = tuple[str, int]


def _check_ledgers(
    pack: Mapping[str, Any], keyring: Keyring, report: VerifyReport
) -> dict[_RowKey, tuple[list[Any], str, bool]]:
    """Every checkpoint and segment; returns (agent, seq) → (values, chain, signed)."""
    rows: dict[_RowKey, tuple[list[Any], str, bool]] = {}
    for ledger in pack["ledgers"]:
        agent_id = ledger["agent_id"]
        checkpoints: dict[int, Checkpoint] = {}
        last_number = -1
        for index, doc in enumerate(ledger["checkpoints"]):
            where = f"{agent_id} checkpoint[{index}]"
            try:
                cp = Checkpoint.from_json_dict(doc)
            except CheckpointError as exc:
                report.problems.append(f"{where}: {exc}")
                continue
            if cp.agent_id != agent_id:
                report.problems.append(f"{where}: belongs to agent {cp.agent_id}")
            if cp.number and cp.number <= last_number:
                report.problems.append(f"{where} (number {cp.number}): checkpoints out of order")
            last_number = max(last_number, cp.number)
            key = _agent_key(keyring, agent_id, cp.key_id)
            name = f"{agent_id} checkpoint {cp.number} (through seq {cp.through_seq})"
            if key is None:
                report.problems.append(
                    f"{name}: signing key {cp.key_id} is not an agent key of {agent_id}"
                    " certified by a trusted platform key"
                )
            elif not checkpoint_verifies(cp, key.public_key):
                report.problems.append(f"{name}: signature does not verify (altered)")
            else:
                checkpoints[cp.through_seq] = cp
        for segment in ledger["segments"]:
            _check_segment(agent_id, segment, checkpoints, rows, report)
    return rows


def _check_segment(
    agent_id: str,
    segment: Mapping[str, Any],
    checkpoints: Mapping[int, Checkpoint],
    rows_out: dict[_RowKey, tuple[list[Any], str, bool]],
    report: VerifyReport,
) -> None:
    rows: Sequence[Any] = segment["rows"]
    chains: Sequence[Any] = segment["chains"]
    first = segment["first_seq"]
    if len(rows) != len(chains) or not rows:
        report.problems.append(f"{agent_id} segment from seq {first}: rows and chains differ")
        return
    prev = genesis_chain(agent_id) if first == 1 else bytes.fromhex(segment["prev_chain"])
    if first == 1 and segment["prev_chain"] != prev.hex():
        report.problems.append(f"{agent_id} seq 1: prev_chain is not the genesis value")
        return
    broken = False
    for offset, values in enumerate(rows):
        expected_seq = first + offset
        problem = _row_problem(values, agent_id, expected_seq)
        if problem is not None:
            report.problems.append(f"{agent_id} seq {expected_seq}: {problem}")
            return
        prev = chain_step(prev, _canonical(values))
        if not broken and prev.hex() != chains[offset]:
            report.problems.append(
                f"{agent_id} seq {expected_seq}: row altered (its chain link does not match)"
            )
            broken = True
    last = first + len(rows) - 1
    ref = segment.get("checkpoint")
    signed = False
    if ref is not None:
        cp = checkpoints.get(ref.get("through_seq"))
        if cp is None or cp.number != ref.get("number") or cp.through_seq != last:
            report.problems.append(
                f"{agent_id} seqs {first}–{last}: the checkpoint they refer to"
                f" ({ref.get('number')}) is missing, unverified or does not end at seq {last}"
            )
        elif cp.chain != prev.hex():
            report.problems.append(
                f"{agent_id} seqs {first}–{last}: the chain does not reach checkpoint"
                f" {cp.number}'s signed value (rows altered, removed or reordered)"
            )
        elif not broken:
            signed = True
            report.proven.append(
                f"{agent_id} rows {first}–{last}: hash chain recomputed and equal to the value"
                f" the agent signed in checkpoint {cp.number} at {utc_text(cp.at_ms)}"
            )
    elif not broken:
        report.asserted.append(
            f"{agent_id} rows {first}–{last}: hash chain links check, but no signed"
            " checkpoint covers them yet (only the pack's signer vouches for them)"
        )
    for offset, values in enumerate(rows):
        rows_out[(agent_id, first + offset)] = (list(values), chains[offset], signed)


def _row_problem(values: object, agent_id: str, seq: int) -> str | None:
    if not isinstance(values, list) or len(values) not in (len(SCAN_FIELDS), _WITH_EXT):
        return (
            f"row must be a list of the {len(SCAN_FIELDS)} ledger-v1 fields"
            " (and at most an extension object after them)"
        )
    if len(values) == _WITH_EXT:
        try:
            decode_ext(values[-1])
        except ValueError as exc:
            return f"the row's extension is not valid: {exc}"
    if values[0] != seq:
        return f"row out of place: found seq {values[0]!r} (rows removed or reordered)"
    if values[FIELD_INDEX["agent_id"]] != agent_id:
        return f"row names agent {values[FIELD_INDEX['agent_id']]!r}"
    for name, value in zip(SCAN_FIELDS, values[: len(SCAN_FIELDS)], strict=True):
        if value is None and name in _NULLABLE:
            continue
        wanted: type = int if name in _INT_FIELDS else str
        if type(value) is not wanted:
            return f"field {name} has the wrong type"
    return None


def _canonical(values: list[Any]) -> bytes:
    ext = encode_ext(values[-1]) if len(values) == _WITH_EXT else None
    fields = values[: len(SCAN_FIELDS)]
    row = ScanRow(fields[1], *fields[3:])._replace(ext=ext)
    return canonical_scan_bytes(fields[0], fields[2], row)


def _check_scans(
    pack: Mapping[str, Any],
    rows: Mapping[_RowKey, tuple[list[Any], str, bool]],
    report: VerifyReport,
) -> None:
    subject = set(pack["subject"]["ticket_ids"])
    listed: set[_RowKey] = set()
    for scan in pack["scans"]:
        key = (scan["agent_id"], scan["seq"])
        name = f"scan {scan['agent_id']} seq {scan['seq']}"
        if key in listed:
            report.problems.append(f"{name}: listed twice")
        listed.add(key)
        found = rows.get(key)
        if found is None:
            report.problems.append(f"{name}: not among the proven ledger rows")
            continue
        values, chain, _signed = found
        for index, field_name in enumerate(SCAN_FIELDS):
            shown = scan.get("door_time_ms" if field_name == "at_ms" else field_name)
            if shown != values[index]:
                report.problems.append(f"{name}: field {field_name} differs from the ledger row")
                break
        ext = values[-1] if len(values) == _WITH_EXT else None
        if scan.get("extension") != ext:
            report.problems.append(f"{name}: extension differs from the ledger row")
        if scan["chain"] != chain:
            report.problems.append(f"{name}: chain differs from the ledger row")
        if scan["door_time_utc"] != utc_text(values[FIELD_INDEX["at_ms"]]):
            report.problems.append(f"{name}: door_time_utc does not match door_time_ms")
        if scan["ticket_id"] not in subject:
            report.problems.append(
                f"{name}: ticket {scan['ticket_id']} is not in the pack's subject"
            )
    for (agent_id, seq), (values, _chain, _signed) in sorted(rows.items()):
        if values[FIELD_INDEX["ticket_id"]] in subject and (agent_id, seq) not in listed:
            report.problems.append(
                f"{agent_id} seq {seq}: a scan of ticket {values[FIELD_INDEX['ticket_id']]}"
                " is in the ledger rows but left out of the scans list"
            )
    signed = sum(1 for k in listed if rows.get(k, ([], "", False))[2])
    if pack["scans"]:
        report.proven.append(
            f"{signed} of {len(pack['scans'])} scan(s) of the order's tickets are exactly"
            " those ledger rows" + ("" if signed == len(pack["scans"]) else " (others: see below)")
        )


def _check_conclusion(pack: Mapping[str, Any], report: VerifyReport) -> None:
    expected = conclude(pack)
    if expected == pack["conclusion"]:
        return
    shown = {str(t.get("ticket_id")): t for t in pack["conclusion"].get("tickets", [])}
    for ticket in expected["tickets"]:
        if shown.get(ticket["ticket_id"]) != ticket:
            report.problems.append(
                "conclusion: the summary does not follow from the scans and door sales"
                f" listed (ticket {ticket['ticket_id']})"
            )
            return
    report.problems.append(
        "conclusion: the summary does not follow from the scans and door sales listed"
    )


def _check_signature(
    pack: Mapping[str, Any],
    pack_bytes: bytes,
    signature: PackSignature,
    keyring: Keyring,
    report: VerifyReport,
) -> None:
    assembled = pack.get("assembled", {})
    by, signer_id = assembled.get("by"), assembled.get("id")
    try:
        key = keyring.get(bytes.fromhex(signature.key_id))
    except ValueError:
        key = None
    if key is None or key.raw_public_key != signature.public_key:
        report.problems.append(
            f"pack signature: key {signature.key_id} is not a trusted key of this keyring"
        )
        return
    if by == "platform" and key.role is not KeyRole.PLATFORM:
        report.problems.append("pack signature: a platform pack must be signed by a platform key")
        return
    if by == "agent" and (key.role is not KeyRole.AGENT or key.agent_id != signer_id):
        report.problems.append(f"pack signature: not a certified key of agent {signer_id}")
        return
    if not pack_signature_verifies(signature, key.public_key, pack_bytes):
        report.problems.append("pack signature does not verify: evidence.json was altered")
        return
    report.proven.append(
        f"the pack is signed by the {by} ({signer_id}, key {signature.key_id}) and unaltered"
    )


def _asserted(pack: Mapping[str, Any], report: VerifyReport) -> None:
    by = pack.get("assembled", {}).get("by")
    report.asserted.append(
        "door times are each gate's own clock (see each scan's clock status); the offset"
        " in a checkpoint is the agent's measurement, signed but not independently checked"
    )
    report.asserted.append(
        "that no later scans exist: a checkpoint proves rows up to its seq; rows after an"
        " agent's last checkpoint could be removed without trace"
    )
    if by == "platform":
        report.asserted.append(
            "the order, purchase, payment and delivery data, the tickets and their holders,"
            " and the times the platform received each row: the platform's records,"
            " covered by its signature only"
        )
        report.asserted.append(
            "completeness across gates: an agent that never uploaded is not in the pack"
        )
    else:
        report.asserted.append(
            "this agent's view only: other gates' scans and the order data are not in it"
        )
