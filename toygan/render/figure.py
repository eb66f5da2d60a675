"""A figure laid out once whose changing artists are redrawn over a cached background (blitting).

Drawing axes, ticks and legends costs most of a frame; drawing them once and then only the
artists that change is 3–4× faster than redrawing the figure every frame.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from toygan.errors import ToyganError
from toygan.render.style import D_CMAP, STYLES
from toygan.validate import integer, number

__all__ = ["BlittedFigure", "DoesNotFit", "Look", "SIZES", "STYLES", "fitted_legend", "frame_size",
           "new_figure", "styled", "lay_out"]


@dataclass(frozen=True)
class Look:
    """How a figure looks: ``dpi`` (text and line size; None: the width / 9.6, so that every width
    shows the same picture), ``cmap`` (the colour map of D and D*, best a diverging one, white in
    the middle), ``style`` (light or dark) and ``d_range`` (the values of D and D* that the colour
    map spans: 0 to 1, or a narrower range about ½ for a D that stays near ½, beyond which the end
    colours show)."""

    dpi: float | None = None
    cmap: str = D_CMAP
    style: str = "light"
    d_range: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self) -> None:
        low, high = check_d_range(self.d_range)
        object.__setattr__(self, "d_range", (low, high))
        if self.dpi is not None:
            number("dpi", self.dpi, 30, 600, open_low=False)
        if self.cmap not in matplotlib.colormaps:
            raise ToyganError(f"cmap = {self.cmap!r}: not a matplotlib colour map; diverging ones "
                              "suit D best: RdBu, PuOr, BrBG, coolwarm, PiYG, ...")
        if self.style not in STYLES:
            raise ToyganError(f"style = {self.style!r}: choose one of {list(STYLES)}")


def check_d_range(d_range, where: str = "d_range") -> tuple[float, float]:
    """``(low, high)`` if it is a range of D's values centred on ½ (white in a diverging map),
    with 0 ≤ low < ½; else a ToyganError naming it."""
    numbers = (isinstance(d_range, (list, tuple)) and len(d_range) == 2
               and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in d_range))
    low, high = (float(v) for v in d_range) if numbers else (float("nan"),) * 2
    if not (0.0 <= low < 0.5 and abs(low + high - 1.0) < 1e-9):
        raise ToyganError(f"{where} = {d_range!r}: give two numbers centred on 1/2, from 0 ≤ LOW < 0.5 "
                          "to HIGH = 1 − LOW, such as 0.3 and 0.7 (default 0 and 1)")
    return low, high


def styled(look: Look) -> AbstractContextManager:
    """The look's style sheet as a context: artists made inside it take its colours."""
    return matplotlib.style.context(STYLES[look.style])


SIZES = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}
"""Named frame sizes (16:9); ``frame_size`` also reads ``WIDTHxHEIGHT``."""
SMALLEST_TEXT = 8
"""Points of the smallest text the panels draw (ticks, legend)."""
TEXT_SHARE = 40
"""A sized frame's smallest text is at least 1/40 of its height: readable from the back of a room."""


def frame_size(size: str | tuple[int, int]) -> tuple[int, int]:
    """A frame size as (width, height) pixels: a name in ``SIZES`` or ``"WIDTHxHEIGHT"``, each side
    a multiple of 8 (the MP4 writer's blocks; other values are rounded down) between 320 and 4096
    wide and 240 to 2304 high, no wider than 4:1 nor taller than 1:1.

    Raises:
        ToyganError: for an unknown name, a malformed size or sides out of range.
    """
    asked = f"size {size if isinstance(size, str) else 'x'.join(map(str, size))!r}"
    if isinstance(size, str):
        text = size.strip().lower()
        if text in SIZES:
            return SIZES[text]
        w, sep, h = text.partition("x")
        if not (sep and w.isdigit() and h.isdigit()):
            raise ToyganError(f"size = {size!r}: give one of {', '.join(SIZES)} or WIDTHxHEIGHT in "
                              "pixels, such as 1600x900")
        size = (int(w), int(h))
    width = integer(f"{asked}: width", size[0], 320, 4096) // 8 * 8
    height = integer(f"{asked}: height", size[1], 240, 2304) // 8 * 8
    if not 1 <= width / height <= 4:
        raise ToyganError(f"size = {width}x{height}: the frame must be between square and 4:1 wide "
                          "(16:9 for a projector: 1920x1080)")
    return width, height


def new_figure(width: int, height_ratio: float, look: Look, height: int | None = None) -> Figure:
    """A figure ``width`` pixels wide (320–4096) and ``height_ratio`` × width high, both rounded to
    multiples of 16 (video encoders need it), on its own Agg canvas, with a constrained layout.
    With ``height`` (a sized frame, whose sides ``frame_size`` checked) the frame is exactly
    width × height and the text scales with the height, its smallest 1/40 of it."""
    integer("width", width, 320, 4096)
    if height is None:
        width = width // 16 * 16
        height = round(width * height_ratio / 16) * 16
        # the layout is fixed in inches and the dpi follows the width, so every width shows the
        # same picture, only sharper or smaller
        usual = width / 9.6
    else:
        usual = height / TEXT_SHARE * 72 / SMALLEST_TEXT
    dpi = look.dpi or usual
    with styled(look):
        # a Figure on its own Agg canvas, not pyplot: drawing never touches the user's backend
        # or pyplot's figure list (a notebook's own plots keep showing)
        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        fig.get_layout_engine().set(h_pad=0.06)  # room between the title and panel titles
    fig.usual_dpi = usual  # what a refusal names as the default, when a --dpi was asked for
    return fig


def fitted_legend(fig: Figure, groups: Sequence[Sequence], fontsize: float = 8, most: int = 4):
    """One legend below the figure's panels, in as many columns (up to ``most``) as fit the
    figure's width, so that no entry is cut off at the frame's edge. ``groups`` are the entries of
    each panel in turn; a label already given is not repeated, and a group is kept in one column
    where it fits (mean D(real) beside mean D(G(z)), not split over two columns)."""
    seen: set[str] = set()
    sizes, handles = [], []
    for group in groups:
        fresh = [h for h in group if h.get_label() not in seen and not seen.add(h.get_label())]
        if fresh:
            sizes.append(len(fresh))
            handles += fresh
    renderer = fig.canvas.get_renderer()
    for ncol in range(min(len(handles), most), 0, -1):
        columns = legend_columns(sizes, ncol)
        rows = max(len(column) for column in columns)
        laid = [handles[k] if k is not None else Line2D([], [], ls="none", label=" ")
                for column in columns for k in [*column, *[None] * (rows - len(column))]]
        legend = fig.legend(handles=laid, labels=[h.get_label() for h in laid], loc="outside lower center",
                            ncol=len(columns), fontsize=fontsize, frameon=False, markerscale=1.5)
        if ncol == 1 or legend.get_window_extent(renderer).width <= 0.98 * fig.bbox.width:
            return legend
        legend.remove()
    return None  # no handles


def legend_columns(sizes: Sequence[int], ncol: int) -> list[list[int]]:
    """Entry indices in at most ``ncol`` columns, groups of ``sizes`` entries in order, a group not
    split over columns unless it is longer than a column: in the fewest rows, or one more if that
    keeps the groups whole (a row costs the panels height); else split where they fall."""
    total = sum(sizes)
    least = max(1, -(-total // ncol))
    for rows in (least, least + 1):
        columns: list[list[int]] = [[]]
        k = 0
        for size in sizes:
            if columns[-1] and len(columns[-1]) + size > rows:
                columns.append([])  # the group fits a column of its own: start one
            for _ in range(size):
                if len(columns[-1]) == rows:
                    columns.append([])
                columns[-1].append(k)
                k += 1
        if len(columns) <= ncol:
            return columns
    return [list(range(k, min(k + least, total))) for k in range(0, total, least)]


def wrap_wide_titles(fig: Figure) -> bool:
    """Break each panel title that the layout pushed past the frame's edge onto two lines, at the
    space nearest its middle; True if one was broken (the layout must then run again)."""
    renderer, width = fig.canvas.get_renderer(), fig.bbox.width
    broken = False
    for ax in fig.axes:
        box = ax.title.get_window_extent(renderer)
        text = ax.title.get_text()
        if (box.x0 < 0 or box.x1 > width) and " " in text and "\n" not in text:
            middle = len(text) / 2
            cut = min((i for i, c in enumerate(text) if c == " "), key=lambda i: abs(i - middle))
            ax.title.set_text(f"{text[:cut]}\n{text[cut + 1:]}")
            broken = True
    return broken


class DoesNotFit(ToyganError):
    """The figure's text or panels would reach past the frame's edges."""


def check_fits(fig: Figure, look: Look, gave_up: bool = False) -> None:
    """A ToyganError if the laid-out figure's text or panels reach past its edges or the layout
    gave up (``gave_up``: text too large for the frame): a frame never shows a cut-off label."""
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    boxes = ([ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible()]
             + [artist.get_window_extent(renderer) for artist in [*fig.legends, *fig.texts]])
    if boxes and not gave_up:
        reach = max(max(b.x1 - frame.width, -b.x0, b.y1 - frame.height, -b.y0) for b in boxes)
        if reach <= 1:
            return
    size = f"{round(frame.width)}x{round(frame.height)}"
    usual = getattr(fig, "usual_dpi", frame.width / 9.6)
    fix = f"lower --dpi (default {round(usual)})" if look.dpi else "choose a larger frame"
    raise DoesNotFit(f"the panels and their text do not fit a {size} frame at dpi {fig.dpi:g}: {fix} "
                      "or draw fewer panels")


def lay_out(fig: Figure, look: Look) -> None:
    """Run the figure's constrained layout, break panel titles too wide for the frame
    (``wrap_wide_titles``) and check that everything fits (``check_fits``)."""
    with warnings.catch_warnings(record=True) as caught:
        # matplotlib warns and leaves the layout when text leaves the panels no room;
        # check_fits says so in one line instead
        warnings.simplefilter("always")
        fig.canvas.draw()
        if wrap_wide_titles(fig):
            fig.canvas.draw()
    gave_up = any("constrained_layout not applied" in str(w.message) for w in caught)
    for w in caught:
        if "constrained_layout not applied" not in str(w.message):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    check_fits(fig, look, gave_up)


class BlittedFigure:
    """Base of the animations: ``__init__`` makes the figure, subclasses add their artists and call
    ``freeze()``; each frame updates the artists ``animated()`` lists and returns ``blit()``."""

    def __init__(self, width: int, height_ratio: float, look: Look | None = None,
                 height: int | None = None) -> None:
        """``width`` in pixels (320–4096, rounded down to a multiple of 16); the height is
        ``height_ratio`` × width, also a multiple of 16 (video encoders need it), or ``height``
        (``new_figure``)."""
        self.look = look or Look()
        self.fig = new_figure(width, height_ratio, self.look, height)

    def styled(self) -> AbstractContextManager:
        """The look's style sheet, active while the figure and its artists are made (they take
        their colours then; frames drawn later keep them)."""
        return styled(self.look)

    def animated(self) -> list:
        """The artists that change, in drawing order."""
        raise NotImplementedError

    def freeze(self) -> None:
        """Lay the figure out once, then cache everything but the animated artists."""
        lay_out(self.fig, self.look)  # the constrained layout places the axes once...
        self.fig.set_layout_engine("none")  # ...and stays put from then on
        self.laid_out()
        animated = self.animated()
        shown = [artist.get_visible() for artist in animated]
        for artist in animated:
            artist.set_animated(True)
            # hidden as well: an axis draws its own label whether animated or not, and a label
            # baked into the background would show under each frame's new one
            artist.set_visible(False)
        self.fig.canvas.draw()
        self.background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        for artist, visible in zip(animated, shown, strict=True):
            artist.set_visible(visible)

    def laid_out(self) -> None:
        """Called once the layout is fixed, before the background is cached (a subclass may place
        artists by what the layout drew)."""

    def blit(self) -> np.ndarray:
        """The cached background with the animated artists drawn on it, RGB uint8 ``(H, W, 3)``."""
        self.fig.canvas.restore_region(self.background)
        for artist in self.animated():
            self.fig.draw_artist(artist)
        return np.asarray(self.fig.canvas.buffer_rgba())[..., :3].copy()

    def close(self) -> None:
        self.fig.clear()
