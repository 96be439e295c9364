"""A faster, byte-identical twin of ``records.canonical_scan_bytes`` for the writer.

The writer encodes every row it commits, inside the transaction, so the cost of
``json.dumps`` (which builds a new encoder on each call) shows up directly in rows/s.
Here the C encoder that ``json.dumps`` itself uses is built once and reused. The
output is the same by construction (same encoder, same options; the circular-reference
check it skips cannot change the bytes of a flat tuple of scalars), and
``tests/edge_agent/ledger/test_ledger_writer.py`` pins it against ``canonical_scan_bytes``.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from typing import Any


def _refuse(obj: object) -> Any:
    raise TypeError(f"a scan field of type {type(obj).__name__} has no canonical form")


def _build() -> Callable[[tuple[Any, ...]], bytes]:
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # CPython without the _json accelerator: the public, slower path
        encode = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), check_circular=False
        ).encode
        return lambda values: encode(values).encode("utf-8")
    # Same arguments JSONEncoder.iterencode passes for ensure_ascii=False,
    # separators=(",", ":"), check_circular=False, allow_nan=True.
    chunks_of = make(
        None, _refuse, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
    join = "".join
    return lambda values: join(chunks_of(values, 0)).encode("utf-8")


#: ``canonical_values(values) -> bytes`` for ``values`` in ``SCAN_FIELDS`` order.
canonical_values: Callable[[tuple[Any, ...]], bytes] = _build()
