"""Runs side by side, synchronised by step: saturating vs non-saturating, GAN vs R1 vs unrolled,
or the seeds of one ensemble as small multiples.

Each column is one run (a history and a member), each row one panel. Frame t shows, in every
column, the run's latest snapshot at or before the t-th step of the merged timeline, so the columns
always show the same training step (a run that has ended stays at its last snapshot).

With ``overlay`` the curves against the step are drawn once, every run's lines on one axes (a line
style per run), beside a row of the runs' maps: in a 16:9 frame the maps are then larger (1.2 to
1.7 times as tall in the gallery's recipes: ``benchmarks/map_sizes.py``), and the curves compare
on one scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from toygan.errors import ToyganError
from toygan.history import History
from toygan.render.animation import check_output, write_frames
from toygan.render.captions import CaptionBand, check_captions, check_shown, step_caption
from toygan.render.figure import BlittedFigure, Look, fitted_legend, frame_size
from toygan.render.panels import (PANELS, Context, CurvesPanel, Shared, check_panels, game_label,
                                  games_played, panel_names)
from toygan.render.panels.base import run_length
from toygan.render.style import ink
from toygan.render.timing import even, hold_captions

__all__ = ["Column", "Comparison", "compare", "grid_height", "panel_grid", "overlay_grid", "seeds",
           "RUN_STYLES"]

_MAX_COLUMNS = 16
RUN_STYLES = ("-", "--", "-.", (0, (5, 1, 1, 1, 1, 1)))
"""The line style of each run's curves in an overlay (so at most four runs): none dotted, since
the panels' reference lines (½, log 2, 0) are."""
CURVES_WIDTH = 0.9
"""The width of an overlay's column of curves, beside runs' columns of width 1."""


@dataclass(frozen=True)
class Column:
    """One run in a comparison: ``member`` of ``history``, headed ``label``."""

    history: History
    label: str
    member: int = 0


class Comparison(BlittedFigure):
    """Columns of runs, rows of panels, one shared legend; ``frame(t)`` draws timeline step t."""

    def __init__(self, columns: Sequence[Column], panels: Sequence[str] = ("samples",), *,
                 width: int = 960, look: Look | None = None,
                 size: str | tuple[int, int] | None = None,
                 captions: Mapping[int, str] | None = None, overlay: bool = False) -> None:
        captions = check_captions(captions)
        if not 2 <= len(columns) <= _MAX_COLUMNS:
            raise ToyganError(f"{len(columns)} column(s): a comparison shows 2 to {_MAX_COLUMNS} "
                              "runs, or the seeds of a run trained with --seeds N ≥ 2")
        panels = panel_names(panels)
        for c in columns:
            try:
                check_panels(c.history, panels, c.member)
            except ToyganError as err:
                raise ToyganError(f"run {c.label!r}: {err}") from None
        n = len(columns)
        if overlay:
            check_overlay(n, panels)
            if len({c.history.critic for c in columns}) > 1:
                raise ToyganError("overlay of a critic's run and a discriminator's: their curves have "
                                  "different quantities and scales; compare them without --overlay")
        across = min(n, 4)  # columns of about square cells in rows of up to 4
        width, height = (width, None) if size is None else frame_size(size)
        shape = overlay_height(n, panels) if overlay else grid_height(n, across, panels)
        super().__init__(width, shape, look, height)
        with self.styled():
            self.columns = columns
            self.timeline = np.unique(np.concatenate([c.history.steps for c in columns]))
            check_shown(captions, int(self.timeline[-1]))
            self.shared_facts, facts = run_facts(columns)
            shared = Shared.of(self.look, panels)
            grid = overlay_grid if overlay else panel_grid
            self.panels = grid(self.fig, columns, panels, across, shared, facts)
            # an overlay's one cursor marks the timeline's step, also once the first run has ended
            self.cursors = [p for p in self.panels[0] if is_curve(p.name)] if overlay else []
            # where a run changed its game mid-run, the headings name the game of each frame
            self.renamed = not overlay and any(len(games_played(c.history)) > 1 for c in columns)
            self.headings = [panels[0].ax.figure._suptitle for panels in self.panels] if self.renamed else []
            self.band = CaptionBand(self.fig, captions)
            self.title = self.fig.suptitle(self.band.under(self._title(len(self.timeline) - 1)),
                                           fontsize=11)
            self.freeze()

    @property
    def n_frames(self) -> int:
        return len(self.timeline)

    def snapshot_of(self, column: Column, t: int) -> int:
        """The index of ``column``'s latest snapshot at or before timeline step ``t``."""
        return max(0, int(np.searchsorted(column.history.steps, self.timeline[t], side="right")) - 1)

    def laid_out(self) -> None:
        renderer = self.fig.canvas.get_renderer()
        for panel in (p for column in self.panels for p in column):
            panel.laid_out(renderer)
        lower_headings(self.panels, renderer)
        self.title.set_text(self._title(len(self.timeline) - 1))  # without the captions' room
        self.band.place((self.title.get_window_extent(renderer).y0 - 2) / self.fig.bbox.height)

    def animated(self) -> list:
        return ([a for column in self.panels for panel in column for a in panel.animated()]
                + [self.title] + self.headings + self.band.animated())

    def frame(self, t: int) -> np.ndarray:
        for column, panels in zip(self.columns, self.panels, strict=True):
            i = self.snapshot_of(column, t)
            for panel in panels:
                panel.update(i)
        for panel in self.cursors:
            panel.cursor.set_xdata([self.timeline[t]] * 2)
        if self.renamed:
            self.shared_facts, own = run_facts(self.columns, [self.snapshot_of(c, t) for c in self.columns])
            for c, heading, fact in zip(self.columns, self.headings, own, strict=True):
                heading.set_text(f"{c.label}\n{fact}" if fact and fact != c.label else c.label)
        self.title.set_text(self._title(t))
        self.band.show(int(self.timeline[t]))
        return self.blit()

    def _title(self, t: int) -> str:
        last = max(int(c.history.config.train.steps) for c in self.columns)
        return " · ".join([*self.shared_facts, f"step {int(self.timeline[t]):,} / {last:,}"])


def run_facts(columns: Sequence[Column], at: Sequence[int] | None = None) -> tuple[list[str], list[str]]:
    """What each column's run is (its target, game and seed): the facts all columns share, for
    the figure's title, and each column's own, for its heading (``""`` when it has none). The game
    is the one in force at each column's snapshot ``at``, or, without ``at``, each game the run
    played in turn."""
    each = [[c.history.config.data.name,
             ", then ".join(games_played(c.history)) if at is None else game_label(c.history, at[k]),
             f"seed {c.history.config.train.seed + c.member}"] for k, c in enumerate(columns)]
    shared = [fact for k, fact in enumerate(each[0]) if all(e[k] == fact for e in each)]
    own = [" · ".join(fact for fact in e if fact not in shared and not _says(c.label, fact))
           for c, e in zip(columns, each, strict=True)]
    return shared, own


def _says(label: str, fact: str) -> bool:
    """Whether a column's label already states the fact ("saturating" states "saturating GAN")."""
    plain = fact.lower().removesuffix(" gan").strip()
    return label.strip().lower() in (fact.lower(), plain)


def grid_height(n: int, across: int, panels: Sequence[str]) -> float:
    """The height / width of a grid of ``n`` columns, ``across`` to a row, each with ``panels``
    stacked: about square maps and curves 0.6 as tall (``Panel.height``), plus room for titles
    and the legend."""
    down = -(-n // across)
    tall = sum(PANELS[name].height for name in panels)
    return min(2.0, max(0.3, down * tall * 0.95 / across + 0.12))


def panel_grid(fig, columns: Sequence[Column], panels: Sequence[str], across: int,
               shared: Shared, facts: Sequence[str] | None = None) -> list[list]:
    """Columns (``across`` to a row) of ``panels`` stacked, each column a subfigure headed by its
    label (and under it its ``facts``, a line per column), and one legend below for all; returns
    the panels, column by column. ``shared`` is one for all columns, so that their scales agree."""
    grid = column_grid(fig, columns, panels, across, shared, facts)
    fitted_legend(fig, [panel.handles for column in grid for panel in column])
    return grid


def column_grid(fig, columns: Sequence[Column], panels: Sequence[str], across: int,
                shared: Shared, facts: Sequence[str] | None = None) -> list[list]:
    """``panel_grid`` without the legend."""
    n, p = len(columns), len(panels)
    figures = np.atleast_1d(fig.subfigures(-(-n // across), across, wspace=0.02, hspace=0.02)).ravel()
    for name in panels:
        PANELS[name].agree([(c.history, c.member) for c in columns], shared)
    grid, heights = [], [PANELS[name].height for name in panels]
    for c, sub in zip(columns, figures, strict=False):
        axes = np.atleast_1d(sub.subplots(p, 1, height_ratios=heights))
        context = Context(sub, c.history, c.member, shared)
        grid.append([PANELS[name](context, ax) for name, ax in zip(panels, axes, strict=True)])
        fact = facts[len(grid) - 1] if facts else ""
        heading = sub.suptitle(c.label, fontsize=10, fontweight="bold")
        if fact and fact != c.label:
            # the facts as a second line of the heading: the layout leaves room for both
            heading.set_text(f"{c.label}\n{fact}")
    for sub in figures[n:]:
        sub.set_visible(False)
    return grid


def lower_headings(grid: list[list], renderer) -> None:
    """Move each column's heading (its subfigure's title) down to just above its top panel: maps
    kept square in a tall row (an overlay's, beside the curves) leave room above them, and a
    heading at the top of it stood apart from its column."""
    for column in grid:
        sub = column[0].ax.get_figure(root=False)
        heading = sub._suptitle  # column_grid's; matplotlib keeps no public handle on it
        if heading is None:
            continue
        top = column[0].ax.get_tightbbox(renderer).y1 + 4  # pixels: above the panel's title
        if top < heading.get_window_extent(renderer).y0:
            heading.set_verticalalignment("bottom")
            heading.set_y(sub.transSubfigure.inverted().transform((0, top))[1])


def check_overlay(n: int, panels: Sequence[str]) -> None:
    """A ToyganError unless ``n`` runs and ``panels`` can be overlaid: curves to draw once and
    maps to draw per run, for at most as many runs as there are line styles."""
    curves = [name for name in panels if is_curve(name)]
    if not curves or len(curves) == len(panels):
        raise ToyganError(f"overlay with panels {list(panels)}: it draws the curves ({curve_names()}) "
                          "once, beside each run's other panels; name at least one of each")
    if n > len(RUN_STYLES):
        raise ToyganError(f"overlay of {n} runs: a line style per run tells them apart, for at most "
                          f"{len(RUN_STYLES)} runs")


def is_curve(name: str) -> bool:
    """Whether panel ``name`` is curves against the step, which an overlay draws once."""
    return name in PANELS and issubclass(PANELS[name], CurvesPanel)


def curve_names() -> str:
    return ", ".join(name for name in PANELS if is_curve(name))


def overlay_height(n: int, panels: Sequence[str]) -> float:
    """The height / width of an overlay: a row of ``n`` columns of the per-run panels, beside a
    column of curves ``CURVES_WIDTH`` wide, plus room for titles and the legend."""
    tall = sum(PANELS[name].height for name in panels if not is_curve(name))
    return min(2.0, max(0.3, tall * 0.95 / (n + CURVES_WIDTH) + 0.12))


def overlay_grid(fig, columns: Sequence[Column], panels: Sequence[str], across: int,
                 shared: Shared, facts: Sequence[str] | None = None) -> list[list]:
    """The runs' own panels in a row of columns (as ``panel_grid``), and beside them each curve
    panel once, with every run's lines on it in the run's ``RUN_STYLES``; one legend below, with
    an entry per run's line style. Returns the panels column by column, each column's list ending
    with its curves (``across`` is unused: an overlay has one row)."""
    own = [name for name in panels if not is_curve(name)]
    curves = [name for name in panels if is_curve(name)]
    left, right = fig.subfigures(1, 2, width_ratios=[len(columns), CURVES_WIDTH], wspace=0.02)
    grid = column_grid(left, columns, own, len(columns), shared, facts)
    styles = [Line2D([], [], c=ink(0.6), lw=1.5, ls=style, label=c.label)
              for c, style in zip(columns, RUN_STYLES, strict=False)]
    for name, ax in zip(curves, np.atleast_1d(right.subplots(len(curves), 1)), strict=True):
        runs = [PANELS[name](Context(right, c.history, c.member, shared), ax) for c in columns]
        limits = np.array([run.ylim(run.history, run.member) for run in runs])
        ax.set_ylim(limits[:, 0].min(), limits[:, 1].max())  # every run's lines fit, to its end
        ax.set_xlim(0, max(run_length(run.history) for run in runs))
        for k, (run, column) in enumerate(zip(runs, grid, strict=True)):
            for line in run.curve_lines():
                line.set_linestyle(RUN_STYLES[k])
            run.cursor.set_visible(k == 0)  # the runs are at one step: one cursor
            if k and run.history.events == runs[0].history.events:
                run.drop_events()  # the same changes at the same steps: marked once
            column.append(run)
    # the curves' colours from the first run (drawn solid), then the runs' line styles
    fitted_legend(fig, [panel.handles for column in grid for panel in column[:len(own)]]
                  + [panel.handles for panel in grid[0][len(own):]] + [styles])
    return grid


def compare(columns: Sequence[Column], path: str | Path, *, panels: Sequence[str] = ("samples",),
            format: str | None = None, fps: float = 12, width: int = 960, max_frames: int = 120,
            filmstrip_frames: int = 8, look: Look | None = None,
            size: str | tuple[int, int] | None = None,
            captions: Mapping[int, str] | None = None, overlay: bool = False) -> Path:
    """Render runs side by side, synchronised by step, as GIF, MP4, PNG filmstrip or HTML player.

    Args:
        columns: the runs, left to right (2 to 16; more than 4 wrap into rows).
        path, format, fps, width, max_frames, filmstrip_frames, look, size, captions: as in
            ``toygan.render.render``.
        panels: the panels each run shows, top to bottom.
        overlay: draw the curve panels once, every run's lines on one axes, beside a row of the
            runs' other panels (2 to 4 runs; see the module docstring).
    """
    path, fmt = check_output(path, format, fps, max_frames)
    figure = Comparison(columns, panels, width=width, look=look, size=size, captions=captions,
                        overlay=overlay)
    try:
        indices = hold_captions(even(figure.n_frames, max_frames), figure.timeline, figure.band.captions,
                                fps)
        return write_frames(figure.frame, figure.n_frames, path, format=fmt, fps=fps,
                            max_frames=max_frames, filmstrip_frames=filmstrip_frames, indices=indices,
                            caption=lambda t: step_caption(int(figure.timeline[t]), figure.band.captions),
                            title=" vs ".join(c.label for c in columns))
    finally:
        figure.close()


def seeds(history: History, members: Sequence[int] | None = None) -> list[Column]:
    """Columns for the seeds of one ensemble run (small multiples): ``members`` or the first 16."""
    chosen = list(range(min(history.members, _MAX_COLUMNS))) if members is None else list(members)
    return [Column(history, f"seed {history.config.train.seed + m}", m) for m in chosen]
