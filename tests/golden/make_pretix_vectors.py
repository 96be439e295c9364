"""Generate the ``pretix_sig1`` golden vectors: ``pretix_vectors.jsonl``, ``pretix_keyring.json``
and ``pretix_valid_keys.json``.

Made with OUR strict encoder (``edge_agent.domain.pretix_sig1``) from fixed key seeds,
so re-running reproduces the files byte for byte. Each line: ``name``, ``code``,
``event``, ``at``, ``expected`` (the exact ``ticket inspect`` object), ``pretix``
(whether pretix's own ``Sig1TicketSecretGenerator._parse`` accepts the code, and the
ticket it reads) and ``canonical`` (for a lenient spelling: the one spelling Gatehouse
accepts, which pretix reads as the same ticket).

The ``pretix`` verdicts are pretix's, not ours: with ``--oracle PYTHON`` (a virtualenv
with pretix installed) the script asks pretix's parser (``tests/pretix/oracle.py``);
without it, it keeps the verdicts already in the file. ``tests/pretix/test_oracle.py``
checks them again against the installed pretix on every ``make test-pretix``.

    .venv/bin/python tests/golden/make_pretix_vectors.py --oracle .pretix/venv-*/bin/python
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.keyring import dump_keyring, keyring_entry_for_pretix, load_keyring
from edge_agent.domain.pretix_keys import raw_to_pem_b64
from edge_agent.domain.pretix_payload import PretixTicket, encode_payload
from edge_agent.domain.pretix_sig1 import encode_pretix_sig1
from edge_agent.domain.verification import inspect_code

HERE = Path(__file__).resolve().parent
VECTORS = HERE / "pretix_vectors.jsonl"
KEYRING = HERE / "pretix_keyring.json"
VALID_KEYS = HERE / "pretix_valid_keys.json"
ORACLE = HERE.parent / "pretix" / "oracle.py"

EVENT, OTHER_EVENT = 1001, 1002
AT = 1767260000
VF, VU = AT - 3600, AT + 86400


def key(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"pretix-vectors:" + name.encode()).digest()
    )


def raw_public(k: Ed25519PrivateKey) -> bytes:
    return k.public_key().public_bytes_raw()


EV = key("event-1001")  # the event's pretix key (in the keyring for event 1001)
OTHER = key("event-1002")  # another event's key (in the keyring for event 1002)
STRANGER = key("stranger")  # not in the keyring


def envelope(
    payload: bytes,
    signature: bytes,
    *,
    version: int = 1,
    sig_len: int | None = None,
    payload_len: int | None = None,
    tail: bytes = b"",
) -> bytes:
    pl = len(payload) if payload_len is None else payload_len
    sl = len(signature) if sig_len is None else sig_len
    return struct.pack(">BHH", version, pl, sl) + payload + signature + tail


def spell(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")[::-1]


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def bump(char: str) -> str:
    """The next base64 digit: the same high bits, the lowest (unused) bit set."""
    index = _ALPHABET.index(char)
    assert index % 2 == 0, char
    return _ALPHABET[index + 1]


def signed(payload: bytes, k: Ed25519PrivateKey = EV) -> tuple[bytes, bytes]:
    return payload, k.sign(payload)


T_BASIC = PretixTicket("WnCF7oHwH", 1)
T_VAR = PretixTicket("s4tUrdAy7", 3, variation=1)
T_SERIES = PretixTicket("dAy2sEr1e", 1, subevent=2)
T_VALID = PretixTicket("vAl1dItY9", 1, valid_from=VF, valid_until=VU)
T_TWO_PAD = PretixTicket("tW0pAdd1", 12)  # decoded length ≡ 1 (mod 3): two pad characters


def canonical(t: PretixTicket, k: Ed25519PrivateKey = EV, **kw: Any) -> str:
    return encode_pretix_sig1(encode_payload(t, **kw), k)


def vectors() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(
        name: str,
        code: str,
        *,
        event: int | None = None,
        at: int = AT,
        canonical_code: str | None = None,
    ) -> None:
        out.append(
            {"name": name, "code": code, "event": event, "at": at, "canonical": canonical_code}
        )

    basic = canonical(T_BASIC)
    two_pad = canonical(T_TWO_PAD)
    assert basic.startswith("=") and not basic.startswith("=="), basic
    assert two_pad.startswith("=="), two_pad
    # --- ok: pretix's own shapes --------------------------------------------------------
    add("ok-basic", basic)
    add("ok-basic-event", basic, event=EVENT)
    add("ok-two-pad", two_pad)
    add("ok-variation", canonical(T_VAR))
    add("ok-subevent", canonical(T_SERIES))
    add("ok-validity", canonical(T_VALID))
    add("ok-at-valid-from", canonical(T_VALID), at=VF)
    add("ok-at-valid-until", canonical(T_VALID), at=VU)
    add("ok-old-four-fields", canonical(T_BASIC, write_validity=False))
    add("ok-wedge-newline", basic + "\r\n")
    add("ok-spaces-around", " \t" + basic + " ")
    payload = encode_payload(T_BASIC) + b"\x38\x07" + b"\x42\x03abc"  # unknown fields 7 and 8
    add("ok-unknown-fields", spell(envelope(*signed(payload))))
    add("ok-no-padding", canonical(PretixTicket("n0pAdd1ng0", 1)))
    # --- validity, event, signature -----------------------------------------------------
    add("nyv-before-valid-from", canonical(T_VALID), at=VF - 1)
    add("exp-after-valid-until", canonical(T_VALID), at=VU + 1)
    add("we-other-events-key", canonical(T_BASIC, OTHER), event=EVENT)
    add("we-event-key-other-event", basic, event=OTHER_EVENT)
    add("bs-stranger-key", canonical(T_BASIC, STRANGER))
    payload, sig = signed(encode_payload(T_BASIC))
    add("bs-payload-changed", spell(envelope(payload.replace(b"\x10\x01", b"\x10\x02"), sig)))
    add("bs-signature-flipped", spell(envelope(payload, bytes([sig[0] ^ 1]) + sig[1:])))
    # --- malformed spellings pretix's reader accepts (the same ticket as ok-basic) --------
    raw = base64.b64decode(basic[::-1])
    lenient: list[tuple[str, str]] = [
        ("mal-a-bang-inside", basic[:60] + "!" + basic[60:]),
        ("mal-a-urlsafe-inside", basic[:5] + "-_" + basic[5:]),
        ("mal-a-newline-tab-inside", basic[:10] + "\n \t" + basic[10:]),
        ("mal-a-nul-inside", basic[:20] + "\x00" + basic[20:]),
        ("mal-a-dot-hash-star", basic[:30] + ".#*" + basic[30:]),
        ("mal-b-prefix-after-padding", "QUJDREVG" + basic),
        ("mal-b-extra-padding", "==" + basic),
        ("mal-b-words-before", "hello world! ==xyz" + basic),
        ("mal-b-quad-padding-inside", basic[:40] + "====" + basic[40:]),
        ("mal-c-unused-bits-one-pad", "=" + bump(basic[1]) + basic[2:]),
        ("mal-c-unused-bits-two-pad", "==" + bump(two_pad[2]) + two_pad[3:]),
        ("mal-d-one-byte-after", spell(raw + b"\x00")),
        ("mal-d-200-bytes-after", spell(raw + bytes(200))),
        ("mal-d-second-ticket-after", spell(raw + base64.b64decode(canonical(T_VAR)[::-1]))),
        ("mal-e-sig-len-ffff", spell(envelope(*signed(encode_payload(T_BASIC)), sig_len=0xFFFF))),
        ("mal-e-sig-len-65", spell(envelope(*signed(encode_payload(T_BASIC)), sig_len=65))),
        (
            "mal-f-stacked",
            "junk===\n"
            + spell(raw + b"\x00\x00\x00")[:40]
            + "\n"
            + spell(raw + b"\x00\x00\x00")[40:],
        ),
    ]
    for name, text in lenient:
        add(name, text, canonical_code=two_pad if "two-pad" in name else basic)
    # --- malformed payloads: validly signed, read by pretix, refused here ----------------
    odd_payloads: list[tuple[str, bytes]] = [
        ("mal-p-duplicate-item", encode_payload(T_BASIC) + b"\x10\x02"),
        ("mal-p-overlong-varint", b"\x0a\x09WnCF7oHwH\x10\x81\x00\x28\x00\x30\x00"),
        ("mal-p-negative-item", b"\x0a\x09WnCF7oHwH\x10" + b"\xff" * 9 + b"\x01"),
        ("mal-p-empty-payload", b""),
        ("mal-p-item-wrong-wire-type", b"\x0a\x09WnCF7oHwH\x15\x01\x00\x00\x00"),
        ("mal-p-group-wire-type", encode_payload(T_BASIC) + b"\x3b\x3c"),
    ]
    for name, payload in odd_payloads:
        add(name, spell(envelope(*signed(payload))))
    # --- malformed, and pretix refuses them too (its reader takes them for signed codes) -
    add("plain-version-2", spell(envelope(*signed(encode_payload(T_BASIC)), version=2)))
    add("plain-sig-len-63", spell(envelope(*signed(encode_payload(T_BASIC)), sig_len=63)))
    add("mal-x-bad-utf8-seed", spell(envelope(*signed(b"\x0a\x02\xff\xfe\x10\x01"))))
    add("mal-x-truncated-varint", spell(envelope(*signed(b"\x0a\x01a\x10\x81"))))
    # --- not pretix codes at all: plain --------------------------------------------------
    add("plain-not-reversed", basic[::-1])
    add("plain-missing-padding", basic[1:])
    add("plain-empty", "")
    add("plain-random-secret", "k4x9qzwpf2b7s3rmvd8hcj6tnyeg5au1")
    return out


def run_oracle(python: str, codes: list[str], pubkey: str) -> list[dict[str, Any]]:
    lines = "\n".join(json.dumps({"code": c, "pubkey": pubkey}) for c in codes) + "\n"
    done = subprocess.run(
        [python, str(ORACLE)], input=lines, capture_output=True, text=True, check=True, timeout=300
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--oracle", metavar="PYTHON", help="a python with pretix installed")
    args = ap.parse_args()
    keyring_doc = dump_keyring(
        [
            keyring_entry_for_pretix(raw_public(EV), [EVENT]),
            keyring_entry_for_pretix(raw_public(OTHER), [OTHER_EVENT]),
        ]
    )
    keyring = load_keyring(keyring_doc)
    items = vectors()
    old = {}
    if VECTORS.exists():
        old = {
            v["name"]: v.get("pretix") for v in map(json.loads, VECTORS.read_text().splitlines())
        }
    pem = raw_to_pem_b64(raw_public(EV))
    verdicts: Callable[[], list[dict[str, Any]]]
    if args.oracle:
        answers = run_oracle(args.oracle, [v["code"] for v in items], pem)
        verdicts = lambda: answers  # noqa: E731
    else:
        verdicts = lambda: [old.get(v["name"]) for v in items]  # type: ignore[misc]  # noqa: E731
    for item, pretix in zip(items, verdicts(), strict=True):
        item["expected"] = inspect_code(item["code"], keyring, item["event"], item["at"])
        item["pretix"] = pretix
    lines = [json.dumps(v, sort_keys=True, ensure_ascii=True) for v in items]
    VECTORS.write_text("\n".join(lines) + "\n")
    KEYRING.write_text(json.dumps(keyring_doc, indent=2) + "\n")
    VALID_KEYS.write_text(json.dumps({"pretix_sig1": [pem]}, indent=2) + "\n")
    counts: dict[str, int] = {}
    for v in items:
        counts[v["expected"]["reason"]] = counts.get(v["expected"]["reason"], 0) + 1
    print(f"wrote {len(items)} vectors: {counts}")


if __name__ == "__main__":
    main()
