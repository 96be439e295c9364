"""The golden vectors' ``pretix`` verdicts are pretix's own: each code goes through the
installed pretix's ``Sig1TicketSecretGenerator._parse`` again (``oracle.py``, in pretix's
virtualenv), and must get exactly the recorded answer. So "pretix accepts this spelling"
in ``tests/edge_agent/domain/test_pretix_golden.py`` is checked against pretix, not
assumed."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.paths import GOLDEN_DIR
from tests.pretix.environment import HERE, PretixEnv

pytestmark = [pytest.mark.pretix, pytest.mark.integration]

VECTORS = [
    json.loads(line) for line in (GOLDEN_DIR / "pretix_vectors.jsonl").read_text().splitlines()
]


def test_pretix_parses_every_vector_as_recorded(pretix_env: PretixEnv) -> None:
    pubkey = json.loads((GOLDEN_DIR / "pretix_valid_keys.json").read_text())["pretix_sig1"][0]
    lines = "".join(json.dumps({"code": v["code"], "pubkey": pubkey}) + "\n" for v in VECTORS)
    done = subprocess.run(
        [str(pretix_env.python), str(HERE / "oracle.py")],
        input=lines,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(VECTORS)
    differ = [
        (v["name"], v["pretix"], got)
        for v, got in zip(VECTORS, answers, strict=True)
        if got != v["pretix"]
    ]
    assert differ == []
    accepted_but_refused = [
        v["name"]
        for v in VECTORS
        if v["pretix"]["accepted"] and v["expected"]["reason"] == "malformed"
    ]
    assert len(accepted_but_refused) >= 20  # every leniency, each refused by Gatehouse
