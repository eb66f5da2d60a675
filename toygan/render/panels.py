"""Panels: each draws its static parts once, then ``update(i)`` moves its artists to snapshot i.
``handles`` are the artists the figure's shared legend explains; ``animated()`` lists, in drawing
order, the artists that change (or must be drawn above those that change), which the figure redraws
on a cached background each frame (blitting).

Colours are one code across panels: blue is the data ("real"), orange is the generator ("fake").
The discriminator map uses the same code, blue where D says real (D → 1), red where D says fake.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from toygan.data import make_target
from toygan.history import History

__all__ = ["PANELS", "SamplesPanel", "DiscriminatorPanel", "ConvergencePanel", "REAL", "FAKE"]

REAL = "#1f77b4"
FAKE = "#ff7f0e"
D_CMAP = "RdBu"  # diverging, white at ½: red = "fake" (D → 0), blue = "real" (D → 1)
_DENSITY_RES = 320  # fine enough to resolve a σ = 0.02 mode in a window ~5 units wide


def _square(ax: Axes, window: tuple[float, float, float, float]) -> None:
    ax.set_xlim(window[0], window[1])
    ax.set_ylim(window[2], window[3])
    ax.set_aspect("equal")
    ax.tick_params(labelsize=8)


class SamplesPanel:
    """Generator samples (a fixed noise batch) over the data density's filled contours."""

    title = "Generator vs data"

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int) -> None:
        self.ax, self.history, self.member = ax, history, member
        _square(ax, history.window)
        target = make_target(history.config.data.name, history.config.data.params)
        x0, x1, y0, y1 = history.window
        xs, ys = np.linspace(x0, x1, _DENSITY_RES), np.linspace(y0, y1, _DENSITY_RES)
        xx, yy = np.meshgrid(xs, ys)
        density = np.exp(target.log_prob(np.stack([xx.ravel(), yy.ravel()], axis=1)))
        density = density.reshape(xx.shape)
        # regions within 3σ, 2σ, 1σ of the densest mode: density ≥ peak · exp(−k²/2)
        peak = density.max()
        levels = [peak * np.exp(-k * k / 2) for k in (3, 2, 1)] + [peak * 1.01]
        ax.contourf(xx, yy, density, levels=levels, colors=["#c6dbef", "#6baed6", "#2171b5"])
        self.scatter = ax.scatter(*history.samples[0, member].T, s=3, c=FAKE, alpha=0.7,
                                  linewidths=0, label="G(z), fixed z")
        density_key = ax.scatter([], [], s=30, c="#6baed6", marker="s",
                                 label="data density, 1/2/3σ (exact)")
        self.handles = [density_key, self.scatter]
        ax.set_title(self.title, fontsize=10)

    def animated(self) -> list:
        return [self.scatter]

    def update(self, i: int) -> None:
        self.scatter.set_offsets(self.history.samples[i, self.member])


class DiscriminatorPanel:
    """D(x) on the grid, a diverging map centred at ½, its D = ½ contour and the data modes."""

    title = "Discriminator D(x)"

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int) -> None:
        self.ax, self.history, self.member = ax, history, member
        _square(ax, history.window)
        self.xs, self.ys = history.grid_axes()
        self.image = ax.imshow(history.d_grid[0, member], origin="lower", extent=history.window,
                               cmap=D_CMAP, norm=Normalize(0.0, 1.0), interpolation="bilinear")
        bar = fig.colorbar(self.image, ax=ax, fraction=0.046, pad=0.03, ticks=[0, 0.25, 0.5, 0.75, 1])
        bar.ax.tick_params(labelsize=8)
        bar.set_label("D(x): P(real)", fontsize=9)
        modes = make_target(history.config.data.name, history.config.data.params).modes
        mode_marks = ax.scatter(*modes.T, s=14, facecolors="none", edgecolors="k",
                                linewidths=0.8, label="data modes")
        (half_key,) = ax.plot([], [], c="k", lw=1.2, label="D(x) = ½")
        self.handles = [mode_marks, half_key]
        self.modes = mode_marks
        self.contour = None
        self._draw_contour(0)
        ax.set_title(self.title, fontsize=10)

    def _draw_contour(self, i: int) -> None:
        if self.contour is not None:
            self.contour.remove()
            self.contour = None
        d = self.history.d_grid[i, self.member]
        if d.min() < 0.5 < d.max():  # contour() warns and draws nothing when ½ is not crossed
            self.contour = self.ax.contour(self.xs, self.ys, d, levels=[0.5], colors="k",
                                           linewidths=1.2)
            self.contour.set_animated(True)

    def animated(self) -> list:
        # the map covers the axes, so the marks on it and the frame are redrawn above it
        on_top = [self.contour] if self.contour is not None else []
        return [self.image, *on_top, self.modes, *self.ax.spines.values()]

    def update(self, i: int) -> None:
        self.image.set_data(self.history.d_grid[i, self.member])
        self._draw_contour(i)


class ConvergencePanel:
    """Mean D on real and on generated samples against the step, with ½ and a cursor."""

    title = "Convergence toward D = ½"

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int) -> None:
        self.ax, self.history, self.member = ax, history, member
        steps = history.steps
        ax.set_xlim(0, max(int(history.config.train.steps), int(steps[-1]), 1))
        ax.set_ylim(0, 1)
        half = ax.axhline(0.5, ls="--", c="0.3", lw=1, label="½: the optimum when p_g = p_data")
        (self.real,) = ax.plot([], [], c=REAL, lw=1.5, label="mean D(real)")
        (self.fake,) = ax.plot([], [], c=FAKE, lw=1.5, label="mean D(G(z))")
        self.cursor = ax.axvline(0, c="0.5", lw=0.8)
        ax.set_xlabel("generator step", fontsize=9)
        ax.set_ylabel("mean D", fontsize=9)
        ax.tick_params(labelsize=8)
        self.handles = [self.real, self.fake, half]
        ax.set_title(self.title, fontsize=10)

    def animated(self) -> list:
        return [self.real, self.fake, self.cursor]

    def update(self, i: int) -> None:
        s, h, m = self.history.steps[: i + 1], self.history.scalars, self.member
        self.real.set_data(s, h["d_real"][: i + 1, m])
        self.fake.set_data(s, h["d_fake"][: i + 1, m])
        self.cursor.set_xdata([s[-1], s[-1]])


PANELS = {"samples": SamplesPanel, "discriminator": DiscriminatorPanel,
          "convergence": ConvergencePanel}
"""Name → panel class."""
