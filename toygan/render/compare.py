"""Runs side by side, synchronised by step: saturating vs non-saturating, GAN vs R1 vs unrolled,
or the seeds of one ensemble as small multiples.

Each column is one run (a history and a member), each row one panel. Frame t shows, in every
column, the run's latest snapshot at or before the t-th step of the merged timeline, so the columns
always show the same training step (a run that has ended stays at its last snapshot).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toygan.errors import ToyganError
from toygan.history import History
from toygan.render.animation import check_output, write_frames
from toygan.render.captions import CaptionBand, check_captions, check_shown, step_caption
from toygan.render.figure import BlittedFigure, Look, fitted_legend, frame_size
from toygan.render.panels import PANELS, Context, Shared, check_panels, game_label, panel_names
from toygan.render.timing import even, hold_captions

__all__ = ["Column", "Comparison", "compare", "grid_height", "panel_grid", "seeds"]

_MAX_COLUMNS = 16


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
                 captions: Mapping[int, str] | None = None) -> None:
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
        across = min(n, 4)  # columns of about square cells in rows of up to 4
        width, height = (width, None) if size is None else frame_size(size)
        super().__init__(width, grid_height(n, across, panels), look, height)
        with self.styled():
            self.columns = columns
            self.timeline = np.unique(np.concatenate([c.history.steps for c in columns]))
            check_shown(captions, int(self.timeline[-1]))
            self.shared_facts, facts = run_facts(columns)
            shared = Shared(cmap=self.look.cmap, number_modes="modes" in panels)
            self.panels = panel_grid(self.fig, columns, panels, across, shared,
                                     facts)
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
        self.title.set_text(self._title(len(self.timeline) - 1))  # without the captions' room
        self.band.place((self.title.get_window_extent(renderer).y0 - 2) / self.fig.bbox.height)

    def animated(self) -> list:
        return ([a for column in self.panels for panel in column for a in panel.animated()]
                + [self.title] + self.band.animated())

    def frame(self, t: int) -> np.ndarray:
        for column, panels in zip(self.columns, self.panels, strict=True):
            i = self.snapshot_of(column, t)
            for panel in panels:
                panel.update(i)
        self.title.set_text(self._title(t))
        self.band.show(int(self.timeline[t]))
        return self.blit()

    def _title(self, t: int) -> str:
        last = max(int(c.history.config.train.steps) for c in self.columns)
        return " · ".join([*self.shared_facts, f"step {int(self.timeline[t]):,} / {last:,}"])


def run_facts(columns: Sequence[Column]) -> tuple[list[str], list[str]]:
    """What each column's run is (its target, game and seed): the facts all columns share, for
    the figure's title, and each column's own, for its heading (``""`` when it has none)."""
    each = [[c.history.config.data.name, game_label(c.history),
             f"seed {c.history.config.train.seed + c.member}"] for c in columns]
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
    handles = list({h.get_label(): h for column in grid for panel in column
                    for h in panel.handles}.values())
    fitted_legend(fig, handles)
    return grid


def compare(columns: Sequence[Column], path: str | Path, *, panels: Sequence[str] = ("samples",),
            format: str | None = None, fps: float = 12, width: int = 960, max_frames: int = 120,
            filmstrip_frames: int = 8, look: Look | None = None,
            size: str | tuple[int, int] | None = None,
            captions: Mapping[int, str] | None = None) -> Path:
    """Render runs side by side, synchronised by step, as GIF, MP4, PNG filmstrip or HTML player.

    Args:
        columns: the runs, left to right (2 to 16; more than 4 wrap into rows).
        path, format, fps, width, max_frames, filmstrip_frames, look, size, captions: as in
            ``toygan.render.render``.
        panels: the panels each run shows, top to bottom.
    """
    path, fmt = check_output(path, format, fps, max_frames)
    figure = Comparison(columns, panels, width=width, look=look, size=size, captions=captions)
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
