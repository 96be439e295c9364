"""A scan and a manual override take the same path into the ledger: both are recorded
alike, and both fail alike (``not_recorded``, the admission index put back)."""

from __future__ import annotations

from demo.event import DemoEvent
from edge_agent.domain.reasons import Direction, Outcome, ReasonCode
from edge_agent.runtime import AgentRuntime


async def test_a_scan_and_an_override_that_cannot_be_recorded_fail_alike(
    event: DemoEvent,
) -> None:
    rt = await AgentRuntime.start(event.config)
    try:
        pipeline = rt.pipeline
        first = await pipeline.scan(event.valid[0], lane="l1", device_id="d1", device_kind="api")
        assert first.recorded and first.decision.reason is ReasonCode.ADMITTED
        inside = first.decision.ticket_id
        assert inside is not None
        before = rt.state.admission(inside)
        await rt.writer.close()  # the ledger takes nothing more (as on a dead disk)
        scan = await pipeline.scan(event.valid[1], lane="l1", device_id="d1", device_kind="api")
        override = await pipeline.record_override(
            inside,
            event_id=first.decision.event_id,
            ticket_type=first.decision.ticket_type,
            direction=Direction.OUT,
            lane="l1",
            device_id="d2",
            operator="Sam",
            reason="left for the cloakroom",
        )
        for result in (scan, override):
            d = result.decision
            assert (d.outcome, d.reason, d.previous) == (
                Outcome.REFUSE,
                ReasonCode.NOT_RECORDED,
                None,
            )
            assert result.seq is None and not result.recorded
        assert scan.decision.ticket_id is not None
        assert rt.state.admission(scan.decision.ticket_id) is None  # the admission undone
        assert rt.state.admission(inside) == before  # still inside: the exit undone
        assert pipeline.stats.not_recorded == 2
    finally:
        await rt.stop()


async def test_subscribers_hear_every_verdict_and_a_failing_one_is_skipped(
    event: DemoEvent,
) -> None:
    rt = await AgentRuntime.start(event.config)
    try:
        heard: list[str] = []

        def broken(_result: object) -> None:
            raise RuntimeError("a listener bug")

        rt.pipeline.subscribe(broken)
        leave = rt.pipeline.subscribe(lambda r: heard.append(r.decision.reason))
        await rt.pipeline.scan(event.valid[0], lane="l1", device_id="d1", device_kind="api")
        await rt.pipeline.scan(event.valid[0], lane="l1", device_id="d1", device_kind="api")
        leave()
        await rt.pipeline.scan(event.valid[1], lane="l1", device_id="d1", device_kind="api")
        assert heard == ["admitted", "already_admitted"]
        assert rt.pipeline.stats.total == 3  # counted whatever the listeners do
    finally:
        await rt.stop()
