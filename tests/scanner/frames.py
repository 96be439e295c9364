"""Shared material for the camera tests: the shared QR corpus and real GH1 codes."""

from __future__ import annotations

import functools
import random
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import encode_gh1
from scanner.decoders.images import load_image
from tests.paths import DATA_DIR

#: The shared QR corpus (Apache-2.0, from the ZXing project), vendored so the accuracy tests
#: always run: a skipped accuracy test could never fail in CI.
CORPUS = DATA_DIR / "qr-corpus"


def corpus_files() -> list[tuple[Path, bytes]]:
    """Every corpus image with its exact expected bytes (see the corpus README)."""
    if not (CORPUS / "manifest.csv").exists():
        pytest.skip(f"the shared QR corpus is not at {CORPUS}")
    return [
        (image, (CORPUS / "expected" / f"{image.stem}.txt").read_bytes())
        for image in sorted((CORPUS / "images").iterdir())
    ]


@functools.cache
def _loaded() -> tuple[tuple[Path, np.ndarray, bytes], ...]:
    return tuple((path, load_image(path), expected) for path, expected in corpus_files())


def corpus_images() -> tuple[tuple[Path, np.ndarray, bytes], ...]:
    """:func:`corpus_files` loaded once per test process (loading is most of the cost)."""
    corpus_files()  # skips when the corpus is absent
    return _loaded()


def gh1_codes(n: int, seed: int = 11) -> list[str]:
    """Real signed GH1 codes (fixed key, seeded ticket ids): the text a gate must read."""
    rng = random.Random(seed)
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    return [
        encode_gh1(
            TicketBody(
                key_id=b"\x00\x00\x00\x07",
                event_id=1001,
                ticket_id=rng.randbytes(16),
                ticket_type=rng.randrange(3),
            ),
            key,
        )
        for _ in range(n)
    ]
