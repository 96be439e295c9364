"""The pretix uploader: what each row becomes, the cursor over partial failures, rows
held for the manifest, and what counts as pretix disagreeing."""

from __future__ import annotations

from typing import Any, cast

import pytest

from sync.errors import ServerError, TransportError
from sync.pretix.client import PretixClient
from sync.pretix.model import PretixCheckinList
from sync.pretix.upload import PretixOutbox, chunks, disagreement, iso_ms
from tests.sync.pretix_fakes import FakePretix, FakeStore, row

LIST = PretixCheckinList(5, "All", True, (), None, False, False, True, False, False)


def outbox(
    fake: FakePretix, store: FakeStore, *, complete: int | None = None, cursor: int = 0
) -> PretixOutbox:
    return PretixOutbox(
        cast(PretixClient, fake),
        store,
        event="ev",
        checkin_list=lambda: LIST,
        device_id=lambda: 42,
        complete_as_of_ms=lambda: complete,
        cursor=cursor,
        concurrency=3,
    )


async def test_each_row_becomes_a_forced_check_in_or_a_failed_one() -> None:
    rows = [
        row(1),
        row(2, outcome="refuse", reason="already_admitted"),
        row(3, direction="out", outcome="exit", reason="exited"),
        row(4, outcome="refuse", reason="malformed", position=None, ticket=None, kind="unreadable"),
        row(5, kind="gh1", position=None, ticket="gh1-ticket"),  # not pretix's: ledger only
    ]
    fake, store = FakePretix(), FakeStore(rows)
    done = await outbox(fake, store).upload()
    assert done.sent == 5 and store.cursor_saves[-1] == 5
    paths = [p for p, _ in fake.posts]
    assert paths == [
        "/events/ev/checkinlists/5/positions/1/redeem/",
        "/events/ev/checkinlists/5/failed_checkins/",
        "/events/ev/checkinlists/5/positions/1/redeem/",
        "/events/ev/checkinlists/5/failed_checkins/",
    ]
    entry, failed, leave, unknown = (b for _, b in fake.posts)
    assert entry == {
        "force": True,
        "type": "entry",
        "datetime": iso_ms(rows[0].at_ms),
        "nonce": "scan-1",
        "questions_supported": False,
        "canceled_supported": True,
        "ignore_unpaid": True,
    }
    assert entry["datetime"].endswith("+00:00")
    assert (failed["error_reason"], failed["position"], failed["nonce"]) == (
        "already_redeemed",
        1,
        "scan-2",
    )
    assert failed["raw_barcode"] == "sha256:" + rows[1].code_sha256
    assert leave["type"] == "exit"
    assert unknown["error_reason"] == "invalid" and "position" not in unknown


async def test_a_failure_keeps_the_cursor_before_the_first_unsettled_row() -> None:
    fake, store = FakePretix(), FakeStore([row(i, ticket=f"t{i}") for i in range(1, 8)])
    box = outbox(fake, store)
    answers: list[Any] = [None] * 4 + [ServerError(503, "x", "busy", {})]
    original = fake.post

    async def post(path: str, body: Any) -> tuple[int, Any]:
        answer = answers.pop(0) if answers else None
        if isinstance(answer, BaseException):
            raise answer
        return await original(path, body)

    fake.post = post  # type: ignore[method-assign]
    with pytest.raises(ServerError):
        await box.upload()
    assert box.cursor == 4 and store.cursor_saves == [3, 4]
    await box.upload()  # the retry resends from row 5: pretix dedupes by nonce anyway
    assert box.cursor == 7
    nonces = [b["nonce"] for _, b in fake.posts]
    assert nonces.count("scan-5") == 1 and nonces[-3:] == ["scan-5", "scan-6", "scan-7"]


async def test_a_transport_error_leaves_nothing_settled_in_its_chunk() -> None:
    fake, store = FakePretix(), FakeStore([row(1, ticket="a"), row(2, ticket="b")])
    fake.fail_posts = [TransportError("cut")]
    with pytest.raises(TransportError):
        await outbox(fake, store).upload()
    assert store.cursor_saves == []


async def test_an_unknown_signed_ticket_waits_for_a_complete_manifest() -> None:
    rows = [row(1, position=None), row(2)]
    fake, store = FakePretix(), FakeStore(rows)
    box = outbox(fake, store, complete=None)
    await box.upload()
    assert box.cursor == 0 and fake.posts == []
    box = outbox(fake, store, complete=rows[0].at_ms - 1)  # a round that began before it
    await box.upload()
    assert box.cursor == 0
    box = outbox(fake, store, complete=rows[0].at_ms + 1)
    await box.upload()
    assert box.cursor == 2
    assert [c.pretix_reason for c in store.conflicts] == ["unknown_position"]


async def test_pretix_disagreeing_is_recorded_as_a_conflict() -> None:
    fake, store = FakePretix(), FakeStore([row(1), row(2, ticket="t2", position=2)])
    fake.answers = [
        (404, {"status": "error", "reason": "invalid"}),
        (201, {"status": "ok", "position": {"order__status": "p", "blocked": ["admin"]}}),
    ]
    await outbox(fake, store).upload()
    assert [(c.seq, c.pretix_reason) for c in store.conflicts] == [(1, "invalid"), (2, "blocked")]


def test_disagreement_reads_pretix_state_before_the_check_in() -> None:
    admit = row(1)
    t = iso_ms(admit.at_ms)
    other = {"list": 5, "type": "entry", "datetime": "2026-01-01T10:00:00Z", "device_id": 3}
    mine = {"list": 5, "type": "entry", "datetime": t, "device_id": 42}
    out = {**other, "type": "exit", "datetime": "2026-01-01T11:00:00Z"}

    def check(position: dict[str, Any], **rowargs: Any) -> str | None:
        found = disagreement(row(1, **rowargs), position, LIST, 42)
        return None if found is None else found[0]

    paid: dict[str, Any] = {"order__status": "p", "checkins": []}
    assert check(paid) is None
    assert check({**paid, "checkins": [mine]}) is None  # this very row, from a lost answer
    assert check({**paid, "checkins": [other]}) == "already_redeemed"
    assert check({**paid, "checkins": [other, out]}) is None  # left again: may re-enter
    assert check({**paid, "checkins": [{**other, "list": 6}]}) is None  # another list
    assert check({**paid, "checkins": [other]}, direction="out") is None
    assert check({"order__status": "n", "checkins": []}) == "unpaid"
    assert check({"order__status": "n", "order__valid_if_pending": True}) is None
    assert check({"order__status": "c"}) == "canceled"
    found = disagreement(admit, {**paid, "checkins": [other]}, LIST, 42)
    assert found is not None and found[2] == ((3, 1767261600000),)


def test_chunks_never_hold_one_ticket_twice() -> None:
    rows = [
        row(1, ticket="a"),
        row(2, ticket="b"),
        row(3, ticket="a"),
        row(4, ticket=None),
        row(5, ticket=None),
        row(6, ticket="c"),
    ]
    assert [[r.seq for r in c] for c in chunks(rows, 3)] == [[1, 2], [3, 4, 5], [6]]


async def test_a_refusal_is_reported_without_the_secret_pretix_sends_back() -> None:
    fake, store = FakePretix(), FakeStore([row(1)])
    fake.answers = [
        (
            400,
            {
                "status": "error",
                "reason": "incomplete",
                "position": {"secret": "SECRET-CODE", "order__status": "p"},
            },
        )
    ]
    await outbox(fake, store).upload()
    (conflict,) = store.conflicts
    assert conflict.pretix_reason == "incomplete"
    assert "SECRET-CODE" not in conflict.detail and "reason=incomplete" in conflict.detail


async def test_the_gate_rules_verdicts_reach_pretix_as_its_nearest_reasons() -> None:
    """Refusals of the gate rules are failed check-ins with pretix's nearest reason; a zone
    move is an admit but no entry on pretix's list, so it stays in the ledger only."""
    reasons = ("doors_not_open", "wrong_day", "day_limit", "entry_limit", "zone_full")
    rows = [row(i + 1, outcome="refuse", reason=r) for i, r in enumerate(reasons)]
    rows += [row(6, reason="admitted"), row(7, reason="moved")]
    fake, store = FakePretix(), FakeStore(rows)
    done = await outbox(fake, store).upload()
    assert done.sent == 7 and store.cursor_saves[-1] == 7 and store.conflicts == []
    failed = [b["error_reason"] for p, b in fake.posts if p.endswith("failed_checkins/")]
    assert failed == ["invalid_time", "invalid_time", "rules", "rules", "rules"]
    redeemed = [p for p, _ in fake.posts if p.endswith("redeem/")]
    assert redeemed == ["/events/ev/checkinlists/5/positions/1/redeem/"]  # not the move
