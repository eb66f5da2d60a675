"""Panels: one view of a history each, behind one protocol (``Panel`` in ``base``), in modules by
kind: points in the plane (``plane``), maps with a colour bar (``maps``), curves against the step
(``curves``), the data modes (``modes``), the 1D picture (``line``) and the eigenvalues of the
game (``spectrum``). ``PANELS`` maps each name
to its class; adding a panel is adding a class there.
"""

from __future__ import annotations

from collections.abc import Sequence

from toygan.errors import ToyganError
from toygan.history import History
from toygan.render.panels.base import (Context, Panel, Shared, changes_at, game_changes, game_label,
                                       games_played, row_heights, samples_label, step_label)
from toygan.render.panels.curves import (
    ConvergencePanel,
    CurvesPanel,
    JSDPanel,
    LossesPanel,
    OptimalityPanel,
    ValuePanel,
    event_label,
    event_marks,
)
from toygan.render.panels.line import GoodfellowPanel
from toygan.render.panels.maps import (
    DiscriminatorPanel,
    GapPanel,
    OptimalDiscriminatorPanel,
    OptimalDiscriminators,
)
from toygan.render.panels.modes import ModeTimelinePanel, SeedCoveragePanel
from toygan.render.panels.plane import ManifoldPanel, PushPanel, SamplesPanel, typical_push
from toygan.render.panels.spectrum import EigenvaluesPanel

__all__ = ["PANELS", "one_d_panels", "Context", "Panel", "Shared", "check_panels", "panel_names",
           "game_label", "game_changes", "games_played", "changes_at", "step_label", "row_heights",
           "samples_label", "event_label", "event_marks", "typical_push",
           "OptimalDiscriminators", "CurvesPanel", "SamplesPanel", "DiscriminatorPanel", "ConvergencePanel",
           "OptimalDiscriminatorPanel", "GapPanel", "OptimalityPanel", "ModeTimelinePanel", "JSDPanel",
           "ValuePanel", "LossesPanel", "ManifoldPanel", "PushPanel", "SeedCoveragePanel",
           "GoodfellowPanel", "EigenvaluesPanel"]

PANELS: dict[str, type[Panel]] = {cls.name: cls for cls in (
    SamplesPanel, DiscriminatorPanel, ConvergencePanel, OptimalDiscriminatorPanel, GapPanel,
    OptimalityPanel, ModeTimelinePanel, JSDPanel, ValuePanel, LossesPanel, ManifoldPanel, PushPanel,
    SeedCoveragePanel, GoodfellowPanel, EigenvaluesPanel)}
"""Name → panel class."""



def one_d_panels() -> list[str]:
    """The panels a run on a 1D target can show (those registered now); the others draw the plane."""
    return [name for name, cls in PANELS.items() if 1 in cls.dims]


def panel_names(panels: str | Sequence[str]) -> list[str]:
    """Panel names from a list, or from one comma-separated string (``"samples,push"``)."""
    if isinstance(panels, str):
        return [name.strip() for name in panels.split(",") if name.strip()]
    return list(panels)


def check_panels(history: History, panels: Sequence[str], member: int = 0) -> None:
    """A ToyganError unless the history has snapshots, ``member`` is one of its members, and every
    name is a panel that can draw the history (its dimension, its objective, its recordings)."""
    if history.n_snapshots == 0:
        raise ToyganError("the history has no snapshots to render")
    if not 0 <= member < history.members:
        raise ToyganError(f"member = {member}: must be between 0 and {history.members - 1}")
    if not panels:
        raise ToyganError(f"panels = {list(panels)!r}: name at least one of {sorted(PANELS)}")
    dim = history.samples.shape[-1]
    for name in panels:
        if name not in PANELS:
            raise ToyganError(f"panel {name!r}: unknown; choose from {sorted(PANELS)}")
        cls = PANELS[name]
        if dim == 1 and 1 not in cls.dims:
            raise ToyganError(f"panel {name!r} draws the plane; a run on a 1D target shows "
                              f"{', '.join(one_d_panels())}")
        if dim == 2 and 2 not in cls.dims:
            raise ToyganError(f"panel {name!r} is the 1D picture; it needs a 1D target "
                              "(data.name = 'mixture1d')")
        cls.check(history)
