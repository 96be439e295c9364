"""The pretix download: catalog, three cursor passes, resuming after a failed commit, and
the page-number fallback inside a block of items sharing one time stamp."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from sync.errors import ProtocolError
from sync.pretix.client import PretixClient
from sync.pretix.download import Cursor, PretixManifestSync
from tests.sync.pretix_fakes import FakePretix, FakeStore, iso, order, position

T0 = 1_800_000_000_000


def manifest(fake: FakePretix, store: FakeStore, cursor: str = "") -> PretixManifestSync:
    return PretixManifestSync(
        cast(PretixClient, fake),
        store,
        event="ev",
        list_id=5,
        clock_ms=lambda: T0,
        cursor=cursor,
    )


async def test_a_round_commits_pages_then_a_complete_one() -> None:
    fake, store = FakePretix(), FakeStore()
    fake.orders = [order(f"O{i}", T0 + i * 1000, [position(i + 1, f"sec{i}")]) for i in range(120)]
    fake.revoked = [{"secret": "old", "created": iso(T0)}]
    fake.blocked = [{"secret": "sec3", "updated": iso(T0), "blocked": True}]
    sync = manifest(fake, store)
    done = await sync.sync()
    assert done.positions == 120 and done.revoked == 1 and done.blocked == 1
    # each request asks again from the last time seen: a page brings 49 new orders and
    # the one it repeats is left out
    assert [len(p.positions) for p in store.pages[:3]] == [50, 49, 21]
    codes = [p.order_code for page in store.pages for p in page.positions]
    assert sorted(codes) == sorted(f"O{i}" for i in range(120))
    assert store.pages[-1].complete and store.pages[-1].manifest_at_ms == 1796551200000
    assert store.applied == store.pages  # each page applied right after its commit
    assert sync.checkin_list is not None and sync.checkin_list.id == 5
    assert sync.device_id == 42 and sync.complete_as_of_ms == T0
    cursor = json.loads(sync.cursor)
    assert cursor["orders"] == iso(T0 + 119_000)
    names = {p.name for p in store.pages[0].catalog.products}
    assert names == {"Ticket", "Tagespass – Sat", "Tagespass – Sun"}
    # the next round asks only from there (and gets the last order once more)
    store.pages.clear()
    await sync.sync()
    assert sum(len(p.positions) for p in store.pages) == 1


async def test_a_failed_commit_resumes_after_the_last_committed_page() -> None:
    fake, store = FakePretix(), FakeStore()
    fake.orders = [order(f"O{i}", T0 + i * 1000, [position(i + 1, f"s{i}")]) for i in range(120)]
    store.fail_commit_at = 1
    sync = manifest(fake, store)
    with pytest.raises(RuntimeError, match="disk full"):
        await sync.sync()
    assert json.loads(sync.cursor)["orders"] == iso(T0 + 49_000)
    store.fail_commit_at = None
    again = manifest(fake, store, cursor=sync.cursor)  # a restart: from the stored cursor
    await again.sync()
    codes = [p.order_code for page in store.pages for p in page.positions]
    assert codes[:50] == [f"O{i}" for i in range(50)]
    assert codes[50:] == [f"O{i}" for i in range(49, 120)]  # O49 once more, nothing lost
    assert len(codes) == 121


async def test_items_with_one_time_stamp_are_paged_by_number() -> None:
    fake, store = FakePretix(), FakeStore()
    fake.orders = [order(f"S{i:03d}", T0, [position(i + 1, f"s{i}")]) for i in range(130)]
    fake.orders.append(order("LATE", T0 + 5000, [position(500, "late")]))
    await manifest(fake, store).sync()
    codes = {p.order_code for page in store.pages for p in page.positions}
    assert len(codes) == 131
    pages = [params.get("page", 1) for path, params in fake.requests if path.endswith("orders/")]
    assert pages == [1, 1, 2, 3]  # the tie block went by page number


def test_an_unreadable_cursor_means_a_full_load() -> None:
    assert Cursor.parse("c:17").since == {}
    assert Cursor.parse('{"orders": 5}').since == {}
    assert Cursor.parse('{"orders": "x", "other": "y"}').since == {"orders": "x"}


async def test_an_unknown_checkin_list_is_refused() -> None:
    fake, store = FakePretix(), FakeStore()
    sync = PretixManifestSync(
        cast(PretixClient, fake), store, event="ev", list_id=99, clock_ms=lambda: T0
    )
    with pytest.raises(ProtocolError, match="no check-in list 99"):
        await sync.sync()
    assert store.pages == []


async def test_a_bad_order_refuses_the_page_whole() -> None:
    fake, store = FakePretix(), FakeStore()
    bad: dict[str, Any] = order("BAD", T0, [position(1, "s")], status="x")
    fake.orders = [order("OK", T0 - 1, [position(2, "t")]), bad]
    with pytest.raises(ProtocolError, match=r"orders\[1\]\.status"):
        await manifest(fake, store).sync()
    assert store.pages == []
