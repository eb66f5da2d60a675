"""The kinds of recipe, one registry: how each is measured and drawn, which labels its checks name,
and whether it trains."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from toygan.history import History
from toygan.recipes.checks import CheckResult
from toygan.recipes.measuring import DIRAC_METRICS, dirac_starts, integrate, train_recipe
from toygan.render import Column, Look, compare, render
from toygan.render.dirac import parse_runs
from toygan.render.dynamics import render_dirac

if TYPE_CHECKING:
    from toygan.recipes.reading import Recipe

__all__ = ["Kind", "RECIPE_KINDS"]


def _draw_run(recipe: Recipe, histories: dict[str, History], out: Path, member: int,
              size: str | None) -> None:
    render(histories[""], out, panels=recipe.panels, member=member, fps=recipe.fps,
           width=recipe.width, size=size, max_frames=recipe.frames, captions=recipe.captions,
           timing=recipe.timing, look=Look(d_range=recipe.d_range))


def _draw_compare(recipe: Recipe, histories: dict[str, History], out: Path, member: int,
                  size: str | None) -> None:
    columns = [Column(h, label, member) for label, h in histories.items()]
    compare(columns, out, panels=recipe.panels, fps=recipe.fps, width=recipe.width, size=size,
            max_frames=recipe.frames, captions=recipe.captions, overlay=recipe.overlay,
            look=Look(d_range=recipe.d_range))


def _draw_dirac(recipe: Recipe, histories: dict[str, History], out: Path, member: int,
                size: str | None) -> None:
    theta0, psi0 = dirac_starts(int(recipe.dirac.get("starts", 1)))[member]
    render_dirac(out, parse_runs(recipe.dirac.get("runs", "")), view=recipe.dirac.get("view", "trajectories"),
                 steps=int(recipe.dirac.get("steps", 500)), lr=float(recipe.dirac.get("lr", 0.1)),
                 theta0=float(theta0), psi0=float(psi0), width=recipe.width, size=size, fps=recipe.fps,
                 max_frames=recipe.frames)


def dirac_labels(table: dict, variants: list) -> list[str]:
    return [run.label for run in parse_runs(str(table.get("runs", "")))]


@dataclass(frozen=True)
class Kind:
    """A kind of recipe: how it is measured (trained over seeds, or integrated) and drawn, and
    which labels its checks may name."""

    measure: Callable[[Recipe, Callable[[str], None], bool], tuple[dict[str, History], list[CheckResult]]]
    draw: Callable[[Recipe, dict[str, History], Path, int, str | None], None]
    """Draws the histories, showing one seed index, at a size (``None``: the recipe's ``width``)."""
    trains: bool
    """Whether it trains configs over seeds (a Dirac-GAN recipe integrates its field instead)."""
    labels: Callable[[dict, list], list[str]] = lambda table, variants: [label for label, _ in variants]
    variants: bool = False
    """Trains one config per ``[[recipe.variants]]`` (at least two), not one."""
    metrics: dict[str, str] = field(default_factory=dict)
    """The metrics its checks may name → what each is; empty: a recorded scalar or "push" (checked
    when measured)."""


RECIPE_KINDS: dict[str, Kind] = {
    "run": Kind(train_recipe, _draw_run, trains=True),
    "compare": Kind(train_recipe, _draw_compare, trains=True, variants=True),
    "dirac": Kind(integrate, _draw_dirac, trains=False, labels=dirac_labels,
                  metrics={name: meaning for name, (meaning, _) in DIRAC_METRICS.items()}),
}
"""Name (``recipe.kind``) → kind: one run, variants side by side, or Dirac-GAN trajectories."""
