"""A figure laid out once whose changing artists are redrawn over a cached background (blitting).

Drawing axes, ticks and legends costs most of a frame; drawing them once and then only the
artists that change is 3–4× faster than redrawing the figure every frame.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from toygan.errors import ToyganError
from toygan.render.style import D_CMAP, STYLES
from toygan.validate import integer, number

__all__ = ["BlittedFigure", "Look", "STYLES"]


@dataclass(frozen=True)
class Look:
    """How a figure looks: ``dpi`` (text and line size; None: the width / 9.6, so that every width
    shows the same picture), ``cmap`` (the colour map of D and D*, best a diverging one, white in
    the middle) and ``style`` (light or dark)."""

    dpi: float | None = None
    cmap: str = D_CMAP
    style: str = "light"

    def __post_init__(self) -> None:
        if self.dpi is not None:
            number("dpi", self.dpi, 30, 600, open_low=False)
        if self.cmap not in matplotlib.colormaps:
            raise ToyganError(f"cmap = {self.cmap!r}: not a matplotlib colour map; diverging ones "
                              "suit D best: RdBu, PuOr, BrBG, coolwarm, PiYG, ...")
        if self.style not in STYLES:
            raise ToyganError(f"style = {self.style!r}: choose one of {list(STYLES)}")


def styled(look: Look) -> AbstractContextManager:
    """The look's style sheet as a context: artists made inside it take its colours."""
    return matplotlib.style.context(STYLES[look.style])


def new_figure(width: int, height_ratio: float, look: Look) -> Figure:
    """A figure ``width`` pixels wide (320–4096, rounded down to a multiple of 16) and
    ``height_ratio`` × width high (also a multiple of 16: video encoders need it), on its own Agg
    canvas, with a constrained layout."""
    integer("width", width, 320, 4096)
    width = width // 16 * 16
    height = round(width * height_ratio / 16) * 16
    # the layout is fixed in inches and the dpi follows the width, so every width shows the
    # same picture, only sharper or smaller
    dpi = look.dpi or width / 9.6
    with styled(look):
        # a Figure on its own Agg canvas, not pyplot: drawing never touches the user's backend
        # or pyplot's figure list (a notebook's own plots keep showing)
        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        fig.get_layout_engine().set(h_pad=0.06)  # room between the title and panel titles
    return fig


class BlittedFigure:
    """Base of the animations: ``__init__`` makes the figure, subclasses add their artists and call
    ``freeze()``; each frame updates the artists ``animated()`` lists and returns ``blit()``."""

    def __init__(self, width: int, height_ratio: float, look: Look | None = None) -> None:
        """``width`` in pixels (320–4096, rounded down to a multiple of 16); the height is
        ``height_ratio`` × width, also a multiple of 16 (video encoders need it)."""
        self.look = look or Look()
        self.fig = new_figure(width, height_ratio, self.look)

    def styled(self) -> AbstractContextManager:
        """The look's style sheet, active while the figure and its artists are made (they take
        their colours then; frames drawn later keep them)."""
        return styled(self.look)

    def animated(self) -> list:
        """The artists that change, in drawing order."""
        raise NotImplementedError

    def freeze(self) -> None:
        """Lay the figure out once, then cache everything but the animated artists."""
        self.fig.canvas.draw()  # the constrained layout places the axes once...
        self.fig.set_layout_engine("none")  # ...and stays put from then on
        self.laid_out()
        for artist in self.animated():
            artist.set_animated(True)
        self.fig.canvas.draw()
        self.background = self.fig.canvas.copy_from_bbox(self.fig.bbox)

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
