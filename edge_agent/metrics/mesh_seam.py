"""The mesh's figures for ``/metrics`` and ``edge-agent doctor``: a seam the mesh fills.

Today a box claims admissions alone (``gate/claims.LocalClaimer``): a venue of one, the
valid default (DESIGN.md). A mesh claimer makes its figures known by having a
``mesh_figures()`` method that returns ``MeshFigures``; nothing here needs to change
when it does (``claimer_figures`` looks for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edge_agent.metrics.histogram import LatencyHistogram


@dataclass(frozen=True)
class MeshFigures:
    #: False: no mesh is configured and the box is a venue of one.
    configured: bool
    #: Boxes in the cluster this box sees, itself included.
    members: int
    #: Boxes the cluster expects (quorum = more than half of them answer).
    expected: int
    quorum: bool
    #: Cross-gate claim latency (seconds); empty for a venue of one.
    claim_latency: LatencyHistogram = field(default_factory=LatencyHistogram)
    detail: str = ""


ALONE = MeshFigures(
    configured=False,
    members=1,
    expected=1,
    quorum=True,
    detail="mesh not configured: this box is a venue of one",
)


def claimer_figures(claimer: object) -> MeshFigures:
    """The claimer's ``mesh_figures()`` if it has one, else a venue of one."""
    source = getattr(claimer, "mesh_figures", None)
    if callable(source):
        figures = source()
        if isinstance(figures, MeshFigures):
            return figures
    return ALONE
