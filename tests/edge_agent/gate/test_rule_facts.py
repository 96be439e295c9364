"""The rule facts a scan row keeps: built by hand on the hot path, byte for byte what
``records.encode_ext`` makes of the same attributes, and nothing for refusals."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from edge_agent.domain.credential import CredentialKind
from edge_agent.domain.decide import Decision
from edge_agent.domain.reasons import Direction, Outcome, ReasonCode
from edge_agent.domain.rules.model import Flag, TicketFlags
from edge_agent.gate.rule_facts import rule_facts
from edge_agent.ledger.records import ExtValue, encode_ext

texts = st.text(min_size=0, max_size=20)


@given(
    day=texts,
    list_id=st.one_of(st.none(), texts),
    zone=st.one_of(st.none(), texts),
    flags=st.frozensets(st.sampled_from(list(Flag))),
    zone_over=st.one_of(st.none(), texts),
)
def test_rule_facts_are_encode_ext_of_the_same_attributes(
    day: str, list_id: str | None, zone: str | None, flags: frozenset[Flag], zone_over: str | None
) -> None:
    decision = Decision(
        outcome=Outcome.ADMIT,
        reason=ReasonCode.ADMITTED,
        message="",
        direction=Direction.IN,
        credential_kind=CredentialKind.GH1,
        flags=TicketFlags(flags) if flags else None,
        list_id=list_id,
        zone=zone,
        day=day,
        zone_over=zone_over,
    )
    attrs: dict[str, ExtValue] = {}
    if day:
        attrs["day"] = day
    if flags:
        attrs["flags"] = ",".join(sorted(flags))
    if list_id:
        attrs["list"] = list_id
    if zone:
        attrs["zone"] = zone
    if zone_over:
        attrs["zone_over"] = True
    assert rule_facts(decision) == encode_ext(attrs)
    assert rule_facts(decision._replace(outcome=Outcome.REFUSE)) is None
