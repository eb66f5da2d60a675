"""The animation: one figure with a row of panels, redrawn in place for each snapshot."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from toygan.errors import ToyganError
from toygan.history import History
from toygan.render.captions import CaptionBand, check_captions, check_shown, step_caption
from toygan.render.figure import TEXT_SHARE, BlittedFigure, DoesNotFit, Look, fitted_legend, frame_size
from toygan.render.html import Player
from toygan.render.panels import (PANELS, Context, Shared, check_panels, game_changes, game_label,
                                  panel_names, row_heights)
from toygan.render.timing import even, hold_captions, schedule
from toygan.render.writers import FORMATS, output_format
from toygan.validate import integer, number, path_arg

__all__ = ["Animation", "render", "player", "FORMATS", "frame_indices", "check_output", "write_frames"]

DEFAULT_PANELS = ("samples", "discriminator", "convergence")
DEFAULT_PANELS_1D = ("goodfellow", "convergence")
STILLS_ELSEWHERE = "; a still figure of chosen steps (.pdf, .svg, .png): toygan figure"
MIN_DPI = 30
"""The smallest dpi text is shrunk to when many panels crowd a frame (``Look`` allows no less)."""
PANEL_MIN_WIDTH = 120
"""Pixels per square panel below which its ticks, title and colour bar overlap."""


frame_indices = even  # the even schedule by its old name


def layout_rows(classes: Sequence[type], width: int, height: int) -> list[list[type]]:
    """The panels in 1 to 3 rows, in order, whichever makes the panels largest in a ``width`` ×
    ``height`` frame whose smallest text is 1/40 of its height (``frame_size``); fewer rows on a tie.

    Sizes are in units of that text's height: a panel loses about 2 of them across to tick labels
    and 2.5 down to its title and ticks; the figure's title and legend take about 4. Rows are
    counted as equally tall here; drawn, a row of curves gives part of its height to the maps
    (``row_heights``). Counting that too chose two rows for the Goodfellow picture beside two
    curves, which squeezed the picture flat; one row draws it better.
    """
    across, down = width / height * TEXT_SHARE, TEXT_SHARE - 4.0
    best, best_side = [list(classes)], -1.0
    for r in range(1, min(3, len(classes)) + 1):
        k = -(-len(classes) // r)
        rows = [list(classes[i:i + k]) for i in range(0, len(classes), k)]
        side = min(min((across - 2 * len(row)) / sum(cls.width for cls in row), down / len(rows) - 2.5)
                   for row in rows)
        if side > best_side + 1e-9:
            best, best_side = rows, side
    return best


def default_panels(history: History) -> tuple[str, ...]:
    """The panels drawn when none are named: the plane's three, or the 1D picture for a 1D run."""
    return DEFAULT_PANELS_1D if history.samples.shape[-1] == 1 else DEFAULT_PANELS


class Animation(BlittedFigure):
    """A figure with ``panels`` side by side for one ensemble ``member`` of a history.

    ``frame(i)`` returns snapshot i as an RGB array ``(height, width, 3)``. The figure is built once;
    frames only update the artists that change.
    """

    def __init__(self, history: History, panels: Sequence[str] | None = None, *,
                 width: int = 960, member: int = 0, look: Look | None = None,
                 size: str | tuple[int, int] | None = None,
                 captions: Mapping[int, str] | None = None) -> None:
        panels = default_panels(history) if panels is None else panel_names(panels)
        captions = check_captions(captions)
        check_shown(captions, int(history.steps[-1]))
        check_panels(history, panels, member)
        classes = [PANELS[name] for name in panels]
        if size is None:
            rows = [classes]
            width = integer("width", width, 320, 4096)
            wide = sum(round(cls.width) for cls in classes)
            # about square panels plus room for titles and the legend: 0.4 × width for three
            # panels; a colour bar's extra fifth does not count, the wide 1D picture counts twice
            floor = 0.4 if any(cls.dims == (1,) for cls in classes) else 0.25  # room for its two axis lines
            super().__init__(width, min(0.8, max(floor, 1.2 / wide)), look)
        else:
            width, height = frame_size(size)
            rows = layout_rows(classes, width, height)
            super().__init__(width, height / width, look, height=height)
        need = round(PANEL_MIN_WIDTH * max(sum(cls.width for cls in row) for row in rows))
        if width < need:
            raise ToyganError(f"{len(panels)} panels need a width of at least {need} pixels (width = "
                              f"{width}); draw fewer panels or a wider frame")
        # many panels in a frame of the usual height can crowd their text off the frame; unless
        # the text size was asked for (--dpi, or a sized frame's 1/40), it is made smaller until
        # everything fits, rather than cut off
        given = self.look
        scales = () if given.dpi or size is not None else (0.8, 0.64, 0.5)
        first_dpi, failed, tried = self.fig.dpi, None, 1.0
        for scale in (1.0, *scales):
            if scale != 1.0:  # the same frame, its text smaller
                if first_dpi * scale < MIN_DPI:
                    break
                frame = round(self.fig.bbox.width), round(self.fig.bbox.height)
                self.close()
                look = dataclasses.replace(given, dpi=first_dpi * scale)
                BlittedFigure.__init__(self, frame[0], frame[1] / frame[0], look, height=frame[1])
            tried = scale
            try:
                self._draw(history, rows, member, captions)
                return
            except DoesNotFit as err:
                failed = err
        if not scales:
            raise failed
        w, h = round(self.fig.bbox.width), round(self.fig.bbox.height)
        raise DoesNotFit(f"{len(classes)} panels, the title and the captions do not fit a {w}x{h} "
                         f"frame, even with their text at {tried:g} of its size; draw fewer panels, "
                         "shorten the captions, or give a size (1080p) "
                         "to lay them out in rows")

    def _draw(self, history: History, rows: list[list[type]], member: int,
              captions: dict[int, str]) -> None:
        """The panels, title, captions and legend on the figure, laid out and frozen."""
        with self.styled():
            self.history = history
            # the figure's options, and what its panels compute once for all (D* maps)
            self.shared = Shared.of(self.look, [cls.name for row in rows for cls in row])
            self.panels = []
            for row, sub in zip(rows, self._row_figures(rows), strict=True):
                axes = np.atleast_1d(sub.subplots(1, len(row), width_ratios=[cls.width for cls in row]))
                context = Context(sub, history, member, self.shared)
                self.panels += [cls(context, ax) for cls, ax in zip(row, axes, strict=True)]
            cfg = history.config
            self.seed = cfg.train.seed + member
            # the game's name follows the settings in force at each frame, where they changed
            self.games = game_changes(history)
            self.renamed = len({game_label(history, i) for i in self.games}) > 1
            self.label = f"{cfg.data.name} · {game_label(history, 0)} · seed {self.seed}"
            # the title's widest text is set before the layout is frozen, so the layout leaves room
            self.band = CaptionBand(self.fig, captions)
            widest = max((self._title(i) for i in {*self.games, history.n_snapshots - 1}), key=len)
            self.title = self.fig.suptitle(self.band.under(widest), fontsize=11)
            fitted_legend(self.fig, [panel.handles for panel in self.panels])
            self.freeze()

    def _row_figures(self, rows: list[list[type]]) -> list:
        """The figure itself for one row of panels, else one subfigure per row."""
        if len(rows) == 1:
            return [self.fig]
        return list(self.fig.subfigures(len(rows), 1, hspace=0.02, height_ratios=row_heights(rows)))

    def laid_out(self) -> None:
        # the title's one changing part, the step, becomes its own short text right after the
        # fixed label: a frame redraws a few glyphs, not the whole line
        renderer = self.fig.canvas.get_renderer()
        for panel in self.panels:
            panel.laid_out(renderer)
        self.title.set_text(self._title(self.history.n_snapshots - 1))  # without the captions' room
        line = self.title.get_window_extent(renderer)
        left = line.x0
        self.title.set_text(self._fixed())
        self.title.set_horizontalalignment("left")
        self.title.set_x(left / self.fig.bbox.width)
        label = self.title.get_window_extent(renderer)
        self.step_text = self.fig.text(label.x1 / self.fig.bbox.width, self.title.get_position()[1],
                                       self._step(0), fontsize=11, va=self.title.get_va(), ha="left")
        self.band.place((line.y0 - 2) / self.fig.bbox.height)
        self.band.show(int(self.history.steps[0]))

    def animated(self) -> list:
        return ([a for panel in self.panels for a in panel.animated()] + [self.step_text]
                + self.band.animated())

    def frame(self, i: int) -> np.ndarray:
        """Snapshot ``i`` as RGB uint8 ``(height, width, 3)``."""
        for panel in self.panels:
            panel.update(i)
        self.step_text.set_text(self._step(i))
        self.band.show(int(self.history.steps[i]))
        return self.blit()

    def outgrown(self, history: History) -> bool:
        """Whether another history of the run no longer fits this figure's scales."""
        return any(panel.outgrown(history) for panel in self.panels)

    def show(self, history: History, i: int) -> np.ndarray:
        """Snapshot ``i`` of another history of the same run and settings (the live view's, which
        grows), on the figure as laid out; scales and marks stay as they were when it was made."""
        self.history = history
        self.shared.computed.clear()  # D* maps of the old history
        for panel in self.panels:
            panel.rebind(history)
        return self.frame(i)

    def _title(self, i: int) -> str:
        return f"{self._fixed()}{self._step(i)}"

    def _fixed(self) -> str:
        """The title's part that every frame shares."""
        if self.renamed:
            return f"{self.history.config.data.name} · "
        return f"{self.label} · "

    def _step(self, i: int) -> str:
        """The title's changing part: the step of snapshot i, and where training stopped (with the
        game's name in force then, where the run changed it)."""
        h = self.history
        note = ""
        if i == h.n_snapshots - 1 and h.status != "completed":
            note = f"  [{h.status}: training stopped here]"
        game = f"{game_label(h, i)} · seed {self.seed} · " if self.renamed else ""
        # the planned length in force then (a live run that went on past its end doubled it)
        return f"{game}step {int(h.steps[i]):,} / {h.config_at(i).train.steps:,}{note}"


def render(history: History, path: str | Path, *, format: str | None = None, fps: float = 12,
           width: int = 960, member: int = 0, max_frames: int = 120,
           panels: Sequence[str] | None = None, filmstrip_frames: int = 8,
           look: Look | None = None, size: str | tuple[int, int] | None = None,
           timing: str = "even", holds: Mapping[int, float] | None = None,
           captions: Mapping[int, str] | None = None) -> Path:
    """Render a history to a GIF, an MP4, a PNG filmstrip or an HTML player, without training.

    Args:
        history: what ``toygan.train`` returned or ``History.load`` read.
        path: the output file; written atomically.
        format: ``gif``, ``mp4``, ``png`` or ``html``; the file's suffix gives it, and a format
            given must agree with the suffix.
        fps: frames per second (GIF, MP4 and the HTML player).
        width: frame width in pixels (rounded down to a multiple of 16); height follows.
        size: instead of ``width``, the frame's exact size: ``"720p"``, ``"1080p"``, ``"4k"``,
            ``"WIDTHxHEIGHT"`` or a (width, height) pair; the panels are laid out in the rows that
            make them largest, with the smallest text 1/40 of the height (a projector's 16:9).
        member: which ensemble member to show.
        max_frames: the number of frames (at most the snapshots' number with ``even`` timing),
            before holds and captions add held frames.
        timing: when each snapshot is shown (``toygan.render.timing.TIMINGS``): ``even``,
            ``log`` (the early steps slowed down) or ``changes`` (time where the picture changes).
        holds: step → seconds to hold its frame (``{200: 2}``).
        captions: step → a line of text under the panels, shown from that step until the next
            caption's (``{0: "D tilts toward the data", 200: "G follows D's slope"}``) and for at
            least ``CAPTION_SECONDS`` (its first frame held); the HTML player also shows it beside
            the step.
        panels: panel names, left to right; ``None``: samples, discriminator, convergence (for
            a 1D target: goodfellow, convergence).
        filmstrip_frames: frames in the PNG filmstrip, tiled two across.
        look: dpi (text size), D's colour map and the light or dark style (``Look``).

    Returns:
        The path written.

    Raises:
        ToyganError: for an unknown format or panel, a bad size, fps or member.
    """
    path, fmt = check_output(path, format, fps, max_frames)
    frames = schedule(history, max_frames, timing, holds=holds, fps=fps, member=member)
    animation = Animation(history, panels, width=width, member=member, look=look, size=size,
                          captions=captions)
    try:
        frames = hold_captions(frames, history.steps, animation.band.captions, fps)
        return write_frames(animation.frame, history.n_snapshots, path, format=fmt, fps=fps,
                            max_frames=max_frames, filmstrip_frames=filmstrip_frames, indices=frames,
                            caption=lambda i: step_caption(int(history.steps[i]), animation.band.captions),
                            title=animation.label)
    finally:
        animation.close()


def player(history: History, *, fps: float = 12, width: int = 720, member: int = 0,
           max_frames: int = 60, panels: Sequence[str] | None = None,
           look: Look | None = None, size: str | tuple[int, int] | None = None,
           timing: str = "even", holds: Mapping[int, float] | None = None,
           captions: Mapping[int, str] | None = None) -> Player:
    """An HTML player of the history for a notebook: a cell that ends in ``player(history)`` shows
    it inline; ``.save(path)`` writes it as a page. Options as in ``render``."""
    check_output("player.html", None, fps, max_frames)
    indices = schedule(history, max_frames, timing, holds=holds, fps=fps, member=member)
    animation = Animation(history, panels, width=width, member=member, look=look, size=size,
                          captions=captions)
    try:
        indices = hold_captions(indices, history.steps, animation.band.captions, fps)
        frames = list(_drawn(animation.frame, indices))
    finally:
        animation.close()
    texts = [step_caption(int(history.steps[i]), animation.band.captions) for i in indices]
    return Player(frames, texts, fps, title=animation.label)




def check_output(path: str | Path, format: str | None, fps: float, max_frames: int) -> tuple[Path, str]:
    """Validate the output options before any drawing; returns the path and the format.

    Raises:
        ToyganError: for a folder, an unknown or missing suffix, a format that disagrees with the
            suffix, an fps outside 0.5–60, or fewer than 2 frames.
    """
    path = path_arg(path)
    fmt = output_format(path, format, list(FORMATS), elsewhere=STILLS_ELSEWHERE)
    number("fps", fps, 0.5, 60, open_low=False)
    integer("max_frames", max_frames, 2)
    return path, fmt


def write_frames(frame: Callable[[int], np.ndarray], n_frames: int, path: str | Path, *,
                 format: str | None = None, fps: float = 12, max_frames: int = 120,
                 filmstrip_frames: int = 8, caption: Callable[[int], str] | None = None,
                 title: str = "toygan animation", indices: Sequence[int] | None = None) -> Path:
    """Draw frames ``frame(i)`` for up to ``max_frames`` of ``n_frames`` indices (evenly spread;
    ``filmstrip_frames`` for a PNG), or for ``indices`` in that order (a schedule, where a repeated
    index is shown longer), and write them as GIF, MP4, PNG filmstrip or HTML player.
    ``caption(i)`` labels frame i in the HTML player (default: ``frame i``); ``title`` names the page."""
    path, fmt = check_output(path, format, fps, max_frames)
    writer = FORMATS[fmt]
    if indices is None:
        indices = even(n_frames, min(filmstrip_frames, max_frames) if writer.stills else max_frames)
    elif writer.stills:  # a filmstrip shows distinct moments
        distinct = np.unique(np.asarray(indices))
        indices = distinct[even(len(distinct), min(filmstrip_frames, max_frames))]
    indices = [int(i) for i in indices]
    caption = caption or (lambda i: f"frame {i}")
    writer.write(_drawn(frame, indices), path, fps, [caption(i) for i in indices], title)
    return path


def _drawn(frame: Callable[[int], np.ndarray], indices: list[int]) -> Iterator[np.ndarray]:
    """The frames of ``indices``, a repeated index drawn once."""
    last, image = None, None
    for i in indices:
        if i != last:
            last, image = i, frame(i)
        yield image
