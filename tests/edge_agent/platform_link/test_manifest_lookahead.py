"""The manifest download fetches the next page while the current one commits: a refund
made mid-load still ends applied, and a page that fails to commit leaves nothing behind
(the page already fetched after it is dropped, never applied)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.reasons import ReasonCode
from sync.errors import ProtocolError
from sync.manifest_page import ManifestPage
from tests.edge_agent.platform_link.scripted import ScriptedPlatform
from tests.edge_agent.platform_link.stack import AGENT, Stack, sync_stack
from tests.edge_agent.platform_link.test_manifest_apply import page, ticket
from tests.platform_fixture import running_platform

pytestmark = pytest.mark.integration


async def scan(stack: Stack, code: str) -> ReasonCode:
    result = await stack.pipeline.scan(code, lane="l1", device_id="d1", device_kind="test")
    return result.decision.reason


async def test_a_refund_made_mid_load_ends_applied(tmp_path: Path) -> None:
    async with running_platform(tmp_path, gh1=0, plain=30) as platform:
        token = await platform.enrol(AGENT, Ed25519PrivateKey.generate())
        by_id = {t.ticket_id: t for t in platform.plain_tickets}
        refunded: list[str] = []
        async with sync_stack(tmp_path / "ledger.sqlite3", platform.url, token) as stack:
            commit = stack.store.commit_manifest_page

            async def commit_then_refund(p: ManifestPage) -> None:
                await commit(p)
                stored = {r[0] for r in stack.sql("SELECT ticket_id FROM manifest_tickets")}
                if refunded or not stored or not p.more:
                    return
                # one ticket already committed, one not yet (the page on its way, or later)
                done = next(t for t in platform.plain_tickets if t.ticket_id in stored)
                ahead = next(t for t in platform.plain_tickets if t.ticket_id not in stored)
                for t in (done, ahead):
                    await platform.admin.refund(t.ticket_id)
                    refunded.append(t.ticket_id)

            stack.store.commit_manifest_page = commit_then_refund  # type: ignore[method-assign]
            sync = await stack.manifest(limit=5)
            done = await sync.sync()
            assert done.pages > 3 and len(refunded) == 2
            assert stack.sql("SELECT count(*) FROM manifest_tickets") == [(30,)]
            assert sorted(stack.sql("SELECT ticket_id, kind FROM revocations")) == sorted(
                (tid, "refunded") for tid in refunded
            )
            for tid in refunded:
                assert await scan(stack, by_id[tid].code) is ReasonCode.REFUNDED
            others = [t for t in platform.plain_tickets if t.ticket_id not in refunded]
            assert await scan(stack, others[0].code) is ReasonCode.ADMITTED


async def test_a_page_that_fails_to_commit_drops_the_page_fetched_after_it(
    tmp_path: Path, aiohttp_server: Any
) -> None:
    scripted = ScriptedPlatform()
    server: TestServer = await aiohttp_server(scripted.app())
    bad_keyring = {"keys": [{"public_key": "xx", "role": "platform"}]}
    scripted.queue(200, page("c:1", True, tickets=[ticket(1)], keyring=bad_keyring))
    scripted.queue(200, page("c:2", False, tickets=[ticket(2)]))
    async with sync_stack(tmp_path / "ledger.sqlite3", str(server.make_url(""))) as stack:
        sync = await stack.manifest(limit=1)
        with pytest.raises(ProtocolError, match="keyring refused"):
            await sync.sync()
        assert stack.sql("SELECT count(*) FROM manifest_tickets") == [(0,)]
        assert stack.sql("SELECT manifest_cursor FROM sync_state") == [("",)]
        assert sync.cursor == ""
        # the next round starts again from the last committed cursor (none)
        scripted.answers.clear()
        scripted.queue(200, page("c:2", False, tickets=[ticket(1), ticket(2)]))
        await sync.sync()
        assert scripted.received[-1].query.get("since") is None
        assert stack.sql("SELECT count(*) FROM manifest_tickets") == [(2,)]
