"""A still figure for a slide or a paper: chosen training steps of one run side by side, the
panels stacked under each, one legend; PDF and SVG as vector files, or PNG.

Each column is one snapshot, so the figure reads left to right as the animation does; a step
that was not recorded is shown by the nearest snapshot, and its heading says which step that is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from toygan.errors import ToyganError
from toygan.history import History
from toygan.render.animation import PANEL_MIN_WIDTH, default_panels
from toygan.render.compare import Column, grid_height, panel_grid
from toygan.render.figure import Look, lay_out, new_figure, styled
from toygan.render.panels import PANELS, Shared, check_panels, game_label, panel_names
from toygan.render.writers import STILL_FORMATS, output_format, write_still
from toygan.validate import integer, path_arg

__all__ = ["still", "still_snapshots", "MAX_STEPS"]

MAX_STEPS = 8
"""Columns a still figure holds; more would be too small to read on a slide."""


def still_snapshots(history: History, steps: Sequence[int] | None) -> list[int]:
    """The snapshot indices that show ``steps``: for each step the nearest recorded snapshot.
    ``None``: the first, the middle and the last snapshot.

    Raises:
        ToyganError: for no steps or more than ``MAX_STEPS``, a step that is not a whole number
            within the recorded steps, or two steps that the same snapshot would show.
    """
    recorded = history.steps.astype(np.int64)
    if steps is None:
        return sorted({0, (len(recorded) - 1) // 2, len(recorded) - 1})
    if not 1 <= len(steps) <= MAX_STEPS:
        raise ToyganError(f"steps = {list(steps)!r}: give 1 to {MAX_STEPS} training steps")
    first, last = int(recorded[0]), int(recorded[-1])
    chosen: dict[int, int] = {}
    for step in steps:
        integer("step", step, 0)
        if not first <= step <= last:
            raise ToyganError(f"step = {step}: this run recorded steps {first:,} to {last:,}")
        i = int(np.abs(recorded - step).argmin())
        if i in chosen.values():
            twin = next(s for s, j in chosen.items() if j == i)
            raise ToyganError(f"steps {twin} and {step} would both show the snapshot of step "
                              f"{int(recorded[i]):,} (this run recorded {len(recorded)} snapshots from "
                              f"step {first:,} to {last:,}); choose steps further apart")
        chosen[step] = i
    return list(chosen.values())


def still(history: History, path: str | Path, *, steps: Sequence[int] | None = None,
          panels: Sequence[str] | None = None, format: str | None = None, width: int | None = None,
          member: int = 0, look: Look | None = None) -> Path:
    """Chosen steps of a run as one figure: a column per step, ``panels`` stacked in each.

    Args:
        history: what ``toygan.train`` returned or ``History.load`` read.
        path: the output file, ``.pdf``, ``.svg`` (vector) or ``.png``; written atomically.
        steps: training steps, left to right (1 to 8; the nearest snapshot shows each); ``None``:
            the first, middle and last snapshot.
        panels: panel names, top to bottom; ``None``: as in ``render``.
        format: ``pdf``, ``svg`` or ``png``; it must agree with the suffix.
        width: width in pixels (the PNG's; a PDF or SVG is ``width / dpi`` inches wide); ``None``:
            320 per column, at least 960.
        member: which ensemble member to show.
        look: dpi, colour map and style (``Look``).

    Returns:
        The path written. The same history and options give the same bytes.

    Raises:
        ToyganError: for a bad suffix, step, panel, width or member.
    """
    path = path_arg(path)
    fmt = output_format(path, format, list(STILL_FORMATS),
                        elsewhere="; an animation (.gif, .mp4, .html): toygan render")
    panels = default_panels(history) if panels is None else panel_names(panels)
    check_panels(history, panels, member)
    indices = still_snapshots(history, steps)
    look = look or Look()
    width = max(960, 320 * len(indices)) if width is None else integer("width", width, 320, 4096)
    need = round(PANEL_MIN_WIDTH * len(indices) * max(PANELS[name].width for name in panels))
    if width < need:
        raise ToyganError(f"{len(indices)} steps of {', '.join(panels)} need a width of at least "
                          f"{need} pixels (width = {width}); choose fewer steps or a wider figure")
    games = [game_label(history, i) for i in indices]  # the game in force at each column's step
    renamed = len(set(games)) > 1
    columns = [Column(history, f"step {int(history.steps[i]):,}" + (f"\n{game}" if renamed else ""), member)
               for i, game in zip(indices, games, strict=True)]
    fig = new_figure(width, grid_height(len(columns), len(columns), panels), look)
    try:
        with styled(look):
            shared = Shared.of(look, panels)
            grid = panel_grid(fig, columns, panels, len(columns), shared)
            for i, column in zip(indices, grid, strict=True):
                for panel in column:
                    panel.update(i)
            seed = history.config.train.seed + member
            game = "" if renamed else f" · {games[0]}"
            fig.suptitle(f"{history.config.data.name}{game} · seed {seed}", fontsize=11)
            lay_out(fig, look)
            renderer = fig.canvas.get_renderer()
            for panel in (p for column in grid for p in column):
                panel.laid_out(renderer)
        write_still(fig, path, fmt)
    finally:
        fig.clear()
    return path
