"""Each hardening scenario, light (the heavy run is ``make hardening``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hardening import kill_loop

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_sigkill_loop_keeps_every_answered_scan(tmp_path: Path) -> None:
    outcome = await kill_loop.run(tmp_path, heavy=False)
    assert outcome.ok, outcome.figures
