"""Maps over the plane with a colour bar: D(x) (or a critic), the optimal D*, and |D − D*|."""

from __future__ import annotations

import matplotlib
import numpy as np
from contourpy import contour_generator
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.ticker import MaxNLocator

from toygan.history import History
from toygan.render.panels.base import Context, Panel, Shared, needs_probability, square
from toygan.render.style import GAP_CMAP, NO_MASS, map_marks
from toygan.theory import compared_densities, min_bandwidth, optimal_discriminator_from_log_densities

__all__ = ["MapPanel", "DiscriminatorPanel", "OptimalDiscriminatorPanel", "GapPanel",
           "OptimalDiscriminators", "SUPPORT_LEVEL"]

SUPPORT_LEVEL = 1e-3
"""D* is drawn where p_data + p_g exceeds this fraction of its peak, grey elsewhere."""


class OptimalDiscriminators:
    """D*(x) = p_data / (p_data + p_g) on the history's grid, per snapshot, computed on demand and
    cached (panels of one figure share it).

    p_g is exact when the run's fake samples come from a target (``train.generator = "target"``);
    otherwise it is a Gaussian KDE of the snapshot's generator samples, with p_data seen through the
    same kernel (``toygan.theory.compared_densities``), and ``exact`` is False so
    that panels can say so.
    """

    def __init__(self, history: History, member: int) -> None:
        cfg = history.config
        self.history, self.member = history, member
        self.p_data = history.target()
        self.exact = not cfg.train.generator_mode.network  # a fixed p_g from a target
        self.p_g = history.fake_target() if self.exact else None
        xs, ys = history.grid_axes()
        xx, yy = np.meshgrid(xs, ys)
        self.points = np.stack([xx.ravel(), yy.ravel()], axis=1)
        self.bandwidth = cfg.record.kde_bandwidth
        self._cache: dict[int, tuple[np.ndarray, float]] = {}

    def _compute(self, i: int) -> tuple[np.ndarray, float]:
        key = 0 if self.exact else i  # a fixed p_g has one D* for every snapshot
        if key not in self._cache:
            samples = self.history.samples[i, self.member].astype(np.float64)
            p_data, p_g, h = compared_densities(self.p_data, samples, p_g=self.p_g,
                                                bandwidth=self.bandwidth,
                                                min_bandwidth=min_bandwidth(self.history.window))
            lp_data, lp_g = p_data.log_prob(self.points), p_g.log_prob(self.points)
            d = optimal_discriminator_from_log_densities(lp_data, lp_g)
            # where neither density has mass D* is a ratio of two vanishing tails: hide it
            mass = np.logaddexp(lp_data, lp_g)
            d = np.where(mass > mass.max() + np.log(SUPPORT_LEVEL), d, np.nan)
            self._cache[key] = d.reshape(self.history.d_grid.shape[-2:]), h
        return self._cache[key]

    def label(self, i: int = 0) -> str:
        """How D* was computed, for titles."""
        if self.exact:
            return "exact" if self.p_data.exact else "p_data by KDE"
        h = self._compute(i)[1]
        floor = " (the minimum: G collapsed)" if h == min_bandwidth(self.history.window) else ""
        return f"KDE, h = {h:.2g}{floor}"

    def __call__(self, i: int) -> np.ndarray:
        return self._compute(i)[0]



def optimal(history: History, member: int, shared: Shared) -> OptimalDiscriminators:
    """The D* maps of one member, made once per figure and shared by its panels."""
    key = ("d_star", id(history), member)  # a comparison's runs share one Shared
    if key not in shared.computed:
        shared.computed[key] = OptimalDiscriminators(history, member)
    return shared.computed[key]


class MapPanel(Panel):
    """A map over the window with a colorbar, the data modes marked and an optional contour.
    Subclasses give ``map(i)``, the array drawn at snapshot i."""

    width = 1.2
    cmap: str | None = None
    """The map's colour map; None: the figure's colour map of D (``Shared.cmap``)."""
    contour_level: float | None = 0.5
    limits = (0.0, 1.0)
    ticks: list[float] | None = [0, 0.25, 0.5, 0.75, 1]
    short = "D(x)"  # the contour's name in the legend
    extend = "neither"  # "both": values beyond the limits are drawn in the end colours

    def map(self, i: int) -> np.ndarray:
        raise NotImplementedError

    def __init__(self, context: Context, ax: Axes) -> None:
        history = context.history
        super().__init__(context, ax)
        square(ax, history.window)
        self.xs, self.ys = history.grid_axes()
        # NaN, where neither density has mass, in grey
        cmap = matplotlib.colormaps[self.cmap or context.shared.cmap].with_extremes(bad=NO_MASS)
        self.image = ax.imshow(self.map(0), origin="lower", extent=history.window, cmap=cmap,
                               norm=Normalize(*self.limits), interpolation="bilinear")
        bar = context.fig.colorbar(self.image, ax=ax, fraction=0.046, pad=0.03, ticks=self.ticks,
                                   extend=self.extend)
        bar.ax.tick_params(labelsize=8)
        modes = history.target().modes
        modes = np.empty((0, 2)) if modes is None else modes  # sample-only targets have none
        marks = map_marks()
        self.modes = ax.scatter(*modes.T, s=14, facecolors="none", edgecolors=[marks["color"]],
                                linewidths=0.8, path_effects=marks["path_effects"], label="data modes")
        # the ½ line: one line whose pieces (NaN between them) each frame replaces; contourpy
        # computes them, as a new matplotlib contour set per frame costs 4× the time of the rest of
        # the map. A LineCollection there drew the same segments in one of two ways from run to run
        # (4 pixels of ring-collapse's last frame, in 3-5 of 16 draws): a line draws them alike,
        # and is its own legend entry.
        (self.contour,) = ax.plot([], [], c=marks["color"], lw=1.2, path_effects=marks["path_effects"])
        self.handles = [self.modes]
        if self.contour_level is not None:
            level = "½" if self.contour_level == 0.5 else f"{self.contour_level:g}"
            self.contour.set_label(f"{self.short} = {level}")
            self.handles.append(self.contour)
        self._draw_contour(0)
        ax.set_title(self.title, fontsize=10)

    def _draw_contour(self, i: int) -> None:
        if self.contour_level is None:
            return
        m = np.ma.masked_invalid(self.map(i))
        lines = []
        if m.count() and m.min() < self.contour_level < m.max():
            lines = contour_generator(self.xs, self.ys, m, line_type="Separate").lines(self.contour_level)
        pieces = [np.vstack([line, [[np.nan, np.nan]]]) for line in lines]
        joined = np.concatenate(pieces) if pieces else np.empty((0, 2))
        self.contour.set_data(joined[:, 0], joined[:, 1])

    def animated(self) -> list:
        # the map covers the axes, so the marks on it and the frame are redrawn above it
        on_top = [self.contour] if self.contour_level is not None else []
        return [self.image, *on_top, self.modes, *self.ax.spines.values()]

    def update(self, i: int) -> None:
        self.image.set_data(self.map(i))
        self._draw_contour(i)


class DiscriminatorPanel(MapPanel):
    """D(x) on the grid, a diverging map centred at ½, its D = ½ contour and the data modes.

    For a critic objective (Wasserstein, hinge) the map is the critic f(x) instead. A Wasserstein
    critic is defined up to an added constant, which drifts during training, so each frame shows
    f minus its median over the window, with one symmetric colour range for the whole run, and no
    contour.
    """

    name = "discriminator"
    title = "Discriminator D(x)"

    def __init__(self, context: Context, ax: Axes) -> None:
        history, member = context.history, context.member
        self.critic = history.critic
        if self.critic:
            self.title, self.contour_level = "Critic f(x) − its median", None
            self.limits, self.ticks, self.extend = critic_range(history.d_grid[:, member]), None, "both"
        else:
            self.limits, self.ticks, self.extend = probability_range(context.shared)
            if self.limits != (0.0, 1.0):  # say so: the map looks as strong as a 0-to-1 one
                self.title = f"{self.title}, colours {self.limits[0]:g}–{self.limits[1]:g}"
        if history.config.train.pack > 1:
            who = "Critic" if self.critic else "D"
            self.title = f"{who} on packs of {history.config.train.pack} copies of x"
        super().__init__(context, ax)

    def map(self, i: int) -> np.ndarray:
        grid = self.history.d_grid[i, self.member]
        return grid - np.median(grid) if self.critic else grid

    def outgrown(self, history: History) -> bool:
        if not self.critic:
            return False
        grid = history.d_grid[-1, self.member]
        return float(np.percentile(np.abs(grid - np.median(grid)), 99)) > 1.25 * self.limits[1]


def probability_range(shared: Shared) -> tuple[tuple[float, float], list[float], str]:
    """The limits, colour-bar ticks and extension of a map of D or D*: 0 to 1, or the figure's
    narrower ``d_range`` about ½ with its end colours extended beyond it."""
    low, high = shared.d_range
    if (low, high) == (0.0, 1.0):
        return (0.0, 1.0), [0, 0.25, 0.5, 0.75, 1], "neither"
    # the ends, ½, and round ticks between that are not crowded against the ends (not 0.425)
    inner = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    gap = 0.15 * (high - low)
    inner = {round(float(t), 6) for t in inner if low + gap <= t <= high - gap}
    return (low, high), sorted(inner | {low, 0.5, high}), "both"


def critic_range(grids: np.ndarray) -> tuple[float, float]:
    """The colour range of a critic's maps ``(T, H, W)``: ± the median over the snapshots of each
    map's 98th percentile of |f − its median|. A range set by the run's largest values (an early
    spike, the window's far corners) left the typical frame pale; beyond it the end colours show."""
    centred = np.abs(grids - np.median(grids, axis=(1, 2), keepdims=True))
    reach = float(np.median(np.percentile(centred.reshape(len(grids), -1), 98, axis=1)))
    reach = reach if np.isfinite(reach) and reach > 0 else 1.0
    return -reach, reach


class OptimalDiscriminatorPanel(MapPanel):
    """D*(x) = p_data / (p_data + p_g) for the current p_g (Goodfellow et al. 2014, Prop. 1), in
    the same colours as D, so the two can be compared side by side."""

    name = "dstar"
    contour_level = None  # a KDE-based D* is too ragged for a meaningful ½ line; an exact one has it

    @classmethod
    def check(cls, history: History) -> None:
        needs_probability(history, cls.name)

    def __init__(self, context: Context, ax: Axes) -> None:
        history = context.history
        maps = optimal(history, context.member, context.shared)
        self.title = f"Optimal D* ({maps.label(history.n_snapshots - 1)})"
        if maps.exact and maps.p_data.exact:  # exact densities: a smooth ½ line, where p_g = p_data
            self.contour_level = 0.5
        self.limits, self.ticks, self.extend = probability_range(context.shared)  # as D's, to compare
        super().__init__(context, ax)
        (grey,) = ax.plot([], [], marker="s", ls="none", c=NO_MASS,
                          label="no data or G mass: D* undefined")
        self.handles.append(grey)

    def map(self, i: int) -> np.ndarray:
        return optimal(self.history, self.member, self.shared)(i)


class GapPanel(MapPanel):
    """|D(x) − D*(x)|: where the discriminator is not yet optimal for the current generator."""

    name = "gap"
    title = "|D − D*|: D's distance to optimal"
    cmap = GAP_CMAP
    contour_level = None

    @classmethod
    def check(cls, history: History) -> None:
        needs_probability(history, cls.name)

    def map(self, i: int) -> np.ndarray:
        d_star = optimal(self.history, self.member, self.shared)(i)
        return np.abs(self.history.d_grid[i, self.member] - d_star)
