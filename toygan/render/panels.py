"""Panels: each draws its static parts once, then ``update(i)`` moves its artists to snapshot i.
``handles`` are the artists the figure's shared legend explains; ``animated()`` lists, in drawing
order, the artists that change (or must be drawn above those that change), which the figure redraws
on a cached background each frame (blitting).

Colours are one code across panels: blue is the data ("real"), orange is the generator ("fake").
The discriminator map uses the same code, blue where D says real (D → 1), red where D says fake.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from contourpy import contour_generator
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, to_rgba
from matplotlib.figure import Figure

from toygan.data import make_target
from toygan.errors import ToyganError
from toygan.history import MANIFOLD_LINES, MANIFOLD_POINTS, History
from toygan.objectives import OBJECTIVES
from toygan.theory import compared_densities, min_bandwidth, optimal_discriminator_from_log_densities

__all__ = ["PANELS", "SamplesPanel", "DiscriminatorPanel", "ConvergencePanel",
           "OptimalDiscriminatorPanel", "GapPanel", "OptimalityPanel", "OptimalDiscriminators",
           "REAL", "FAKE"]

NO_MASS = "#d9d9d9"  # where D* is undefined: neither density has mass
REAL = "#1f77b4"
FAKE = "#ff7f0e"
JSD_COLOUR = "#7570b3"  # purple: apart from the real (blue) and generated (orange) colours
D_CMAP = "RdBu"  # diverging, white at ½: red = "fake" (D → 0), blue = "real" (D → 1)
SUPPORT_LEVEL = 1e-3
"""D* is drawn where p_data + p_g exceeds this fraction of its peak, grey elsewhere."""
_DENSITY_RES = 320  # fine enough to resolve a σ = 0.02 mode in a window ~5 units wide


def ink(alpha: float = 1.0) -> tuple[float, float, float, float]:
    """The style's foreground colour (black when light, white when dark) at opacity ``alpha``:
    lines, arrows and marks drawn in it read on either background."""
    return to_rgba(matplotlib.rcParams["text.color"], alpha)


class Panel:
    """What every panel has: the ``history`` it draws and ``rebind`` to another history of the
    same run with the same settings (the live view's growing one), drawn from the next ``update``
    on. Panels that derive arrays from the history derive them again there."""

    history: History

    def rebind(self, history: History) -> None:
        self.history = history

    def outgrown(self, history: History) -> bool:
        """Whether ``history`` no longer fits the scales this panel was laid out with (a live
        figure is then laid out again)."""
        return False


def _square(ax: Axes, window: tuple[float, float, float, float]) -> None:
    ax.set_xlim(window[0], window[1])
    ax.set_ylim(window[2], window[3])
    ax.set_aspect("equal")
    ax.tick_params(labelsize=8)


class SamplesPanel(Panel):
    """Generator samples (a fixed noise batch) over the data density's filled contours."""

    title = "Generator vs data"

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
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
        generator = history.config.train.generator
        label = {"trained": "G(z), fixed z", "frozen": "G(z), fixed z (G frozen)",
                 "target": "samples of the fixed p_g"}[generator]
        self.scatter = ax.scatter(*history.samples[0, member].T, s=3, c=FAKE, alpha=0.7,
                                  linewidths=0, label=label)
        how = "exact" if target.exact else "KDE estimate"
        density_key = ax.scatter([], [], s=30, c="#6baed6", marker="s",
                                 label=f"data density, 1/2/3σ ({how})")
        self.handles = [density_key, self.scatter]
        ax.set_title("Fixed p_g vs data" if generator == "target" else self.title, fontsize=10)

    def animated(self) -> list:
        return [self.scatter]

    def update(self, i: int) -> None:
        self.scatter.set_offsets(self.history.samples[i, self.member])


def _needs(history: History, name: str, panel: str) -> np.ndarray:
    array = getattr(history, name)
    if array is None:
        raise ToyganError(f"panel {panel!r}: this history has no {name!r} recording (it was saved "
                          "by an older toygan, history format 1); train the run again")
    return array


class ManifoldPanel(SamplesPanel):
    """The generator manifold, as GAN Lab draws it: a grid of latent lines (z1 varying at fixed z2,
    and z2 at fixed z1, over ±2 for a normal prior) mapped through G, over the data density, with
    the samples. Where the mesh stretches thin between modes, G moves little mass."""

    title = "Generator manifold G(z-grid)"

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        manifold = _needs(history, "manifold", "manifold")
        if manifold.shape[2] == 0:
            raise ToyganError("panel 'manifold': this run has no generator (its fake samples come "
                              "from a target, train.generator = 'target')")
        super().__init__(fig, ax, history, member, shared)

        self.shape = (2 * MANIFOLD_LINES, MANIFOLD_POINTS, 2)
        self.mesh = LineCollection(self._lines(0), colors=[ink(0.45)], linewidths=0.6,
                                   label="G on a latent grid")
        ax.add_collection(self.mesh)
        self.handles.append(self.mesh)
        ax.set_title(self.title, fontsize=10)

    def _lines(self, i: int) -> np.ndarray:
        return self.history.manifold[i, self.member].reshape(self.shape)

    def animated(self) -> list:
        return [self.mesh, self.scatter]

    def update(self, i: int) -> None:
        super().update(i)
        self.mesh.set_segments(self._lines(i))


def typical_push(push: np.ndarray) -> float:
    """The arrow length that the push panel draws as 1/14 of the window: the 98th percentile of the
    push lengths (1 if there are none)."""
    lengths = np.linalg.norm(push, axis=-1)
    finite = lengths[np.isfinite(lengths)]
    return float(np.percentile(finite, 98)) if finite.size and finite.max() > 0 else 1.0


class PushPanel(SamplesPanel):
    """Where the generator step pushes its samples: an arrow −∂(G's loss)/∂x on every eighth sample
    and a light field of the same over the window, over the data density. One arrow scale holds for
    the whole run, so weak early gradients (the saturating loss) show as short arrows."""

    title = "Push on G's samples: −∂ loss_G / ∂x"
    every = 8  # an arrow on every eighth sample

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        _needs(history, "push", "push")
        field = _needs(history, "field", "push")
        super().__init__(fig, ax, history, member, shared)
        f = field.shape[2]
        x0, x1, y0, y1 = history.window
        fx, fy = np.meshgrid(np.linspace(x0, x1, f), np.linspace(y0, y1, f))
        # one scale for the run (for all runs of a comparison, which sets "push_typical")
        typical = shared.get("push_typical") or typical_push(self.push)
        self.scale = typical * 14 / (x1 - x0)  # arrow length units per data unit
        self.flow = ax.quiver(fx, fy, *self._uv(self.field[0]), color=ink(0.4), angles="xy",
                              scale_units="xy", scale=self.scale, width=0.004, zorder=1,
                              label="push on a point placed there")
        self.arrows = ax.quiver(*self.push_at(0).T, *self._uv(self.push[0]), color=ink(), angles="xy",
                                scale_units="xy", scale=self.scale, width=0.005, zorder=3,
                                label="push on G(z) (one scale for "
                                      f"{'all runs' if 'push_typical' in shared else 'the run'})")
        self.handles += [self.arrows, self.flow]
        ax.set_title(self.title, fontsize=10)

    @property
    def push(self) -> np.ndarray:
        return self.history.push[:, self.member, ::self.every]

    @property
    def field(self) -> np.ndarray:
        return self.history.field[:, self.member]

    def push_at(self, i: int) -> np.ndarray:
        return self.history.samples[i, self.member, ::self.every]

    @staticmethod
    def _uv(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return vectors[..., 0], vectors[..., 1]

    def animated(self) -> list:
        return [self.flow, self.scatter, self.arrows]

    def update(self, i: int) -> None:
        super().update(i)
        self.flow.set_UVC(*self._uv(self.field[i]))
        self.arrows.set_offsets(self.push_at(i))
        self.arrows.set_UVC(*self._uv(self.push[i]))


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
        self.p_data = make_target(cfg.data.name, cfg.data.params)
        self.exact = cfg.train.generator == "target"
        self.p_g = make_target(cfg.fake.name, cfg.fake.params) if self.exact else None
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


class _MapPanel(Panel):
    """A map over the window with a colorbar, the data modes marked and an optional contour."""

    title = ""
    cmap = D_CMAP
    contour_level: float | None = 0.5
    limits = (0.0, 1.0)
    ticks: list[float] | None = [0, 0.25, 0.5, 0.75, 1]
    short = "D(x)"  # the contour's name in the legend

    def map(self, i: int) -> np.ndarray:
        raise NotImplementedError

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        self.ax, self.history, self.member, self.shared = ax, history, member, shared
        _square(ax, history.window)
        self.xs, self.ys = history.grid_axes()
        # D's colour map is the figure's choice (shared["cmap"]); other maps keep their own
        name = shared.get("cmap", D_CMAP) if self.cmap == D_CMAP else self.cmap
        cmap = matplotlib.colormaps[name].with_extremes(bad=NO_MASS)  # NaN: no mass there
        self.image = ax.imshow(self.map(0), origin="lower", extent=history.window, cmap=cmap,
                               norm=Normalize(*self.limits), interpolation="bilinear")
        bar = fig.colorbar(self.image, ax=ax, fraction=0.046, pad=0.03, ticks=self.ticks)
        bar.ax.tick_params(labelsize=8)
        modes = make_target(history.config.data.name, history.config.data.params).modes
        modes = np.empty((0, 2)) if modes is None else modes  # sample-only targets have none
        self.modes = ax.scatter(*modes.T, s=14, facecolors="none", edgecolors=[ink()], linewidths=0.8,
                                label="data modes")
        self.handles = [self.modes]
        if self.contour_level is not None:
            level = "½" if self.contour_level == 0.5 else f"{self.contour_level:g}"
            (key,) = ax.plot([], [], c=ink(), lw=1.2, label=f"{self.short} = {level}")
            self.handles.append(key)
        # the ½ line: one LineCollection whose segments each frame replaces (contourpy computes
        # them; a new matplotlib contour set per frame costs 4× the time of the rest of the map)
        self.contour = LineCollection([], colors=[ink()], linewidths=1.2)
        ax.add_collection(self.contour)
        self._draw_contour(0)
        ax.set_title(self.title, fontsize=10)

    def _draw_contour(self, i: int) -> None:
        if self.contour_level is None:
            return
        m = np.ma.masked_invalid(self.map(i))
        lines = []
        if m.count() and m.min() < self.contour_level < m.max():
            lines = contour_generator(self.xs, self.ys, m, line_type="Separate").lines(self.contour_level)
        self.contour.set_segments(lines)

    def animated(self) -> list:
        # the map covers the axes, so the marks on it and the frame are redrawn above it
        on_top = [self.contour] if self.contour_level is not None else []
        return [self.image, *on_top, self.modes, *self.ax.spines.values()]

    def update(self, i: int) -> None:
        self.image.set_data(self.map(i))
        self._draw_contour(i)


class DiscriminatorPanel(_MapPanel):
    """D(x) on the grid, a diverging map centred at ½, its D = ½ contour and the data modes.

    For a critic objective (Wasserstein, hinge) the map is the critic f(x) instead. A Wasserstein
    critic is defined up to an added constant, which drifts during training, so each frame shows
    f minus its median over the window, with one symmetric colour range for the whole run, and no
    contour.
    """

    title = "Discriminator D(x)"

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        self.critic = not OBJECTIVES[history.config.train.loss].probabilistic
        if self.critic:
            grids = history.d_grid[:, member]
            centred = grids - np.median(grids, axis=(1, 2), keepdims=True)
            reach = float(np.percentile(np.abs(centred), 99)) or 1.0
            self.title, self.contour_level = "Critic f(x) − its median", None
            self.limits, self.ticks = (-reach, reach), None
        if history.config.train.pack > 1:
            who = "Critic" if self.critic else "D"
            self.title = f"{who} on packs of {history.config.train.pack} copies of x"
        super().__init__(fig, ax, history, member, shared)

    def map(self, i: int) -> np.ndarray:
        grid = self.history.d_grid[i, self.member]
        return grid - np.median(grid) if self.critic else grid

    def outgrown(self, history: History) -> bool:
        if not self.critic:
            return False
        grid = history.d_grid[-1, self.member]
        return float(np.percentile(np.abs(grid - np.median(grid)), 99)) > 1.25 * self.limits[1]


def _needs_probability(history: History, panel: str) -> None:
    loss, pack = history.config.train.loss, history.config.train.pack
    if not OBJECTIVES[loss].probabilistic:
        raise ToyganError(f"panel {panel!r}: D* and ½ are defined for a discriminator that outputs a "
                          f"probability; train.loss = {loss!r} trains a critic")
    if pack > 1:
        raise ToyganError(f"panel {panel!r}: with train.pack = {pack} D judges packs of {pack} "
                          "samples, whose optimum is not D* of single points")


def _optimal(history: History, member: int, shared: dict) -> OptimalDiscriminators:
    """The D* maps of one member, made once per figure and shared by its panels."""
    key = ("d_star", id(history), member)  # a comparison shares one dict between its runs
    if key not in shared:
        shared[key] = OptimalDiscriminators(history, member)
    return shared[key]


class OptimalDiscriminatorPanel(_MapPanel):
    """D*(x) = p_data / (p_data + p_g) for the current p_g (Goodfellow et al. 2014, Prop. 1), in
    the same colours as D, so the two can be compared side by side."""

    contour_level = None  # a KDE-based D* is too ragged for a meaningful ½ line

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        _needs_probability(history, "dstar")
        maps = _optimal(history, member, shared)
        self.title = f"Optimal D* ({maps.label(history.n_snapshots - 1)})"
        super().__init__(fig, ax, history, member, shared)
        (grey,) = ax.plot([], [], marker="s", ls="none", c=NO_MASS,
                          label="no data or G mass: D* undefined")
        self.handles.append(grey)

    def map(self, i: int) -> np.ndarray:
        return _optimal(self.history, self.member, self.shared)(i)


class GapPanel(_MapPanel):
    """|D(x) − D*(x)|: where the discriminator is not yet optimal for the current generator."""

    title = "|D − D*|: D's distance to optimal"
    cmap = "magma_r"
    contour_level = None

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        _needs_probability(history, "gap")
        super().__init__(fig, ax, history, member, shared)

    def map(self, i: int) -> np.ndarray:
        return np.abs(self.history.d_grid[i, self.member]
                      - _optimal(self.history, self.member, self.shared)(i))


class _CurvesPanel(Panel):
    """Recorded scalars against the step, drawn up to the current snapshot, with a cursor there.

    Subclasses list ``curves(history)``: (scalar name, colour, label) for each line.
    """

    title = ""
    ylabel = ""

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        raise NotImplementedError

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        return 0.0, 1.0

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        self.ax, self.history, self.member = ax, history, member
        ax.set_xlim(0, max(int(history.config.train.steps), int(history.steps[-1]), 1))
        ax.set_ylim(*self.ylim(history, member))
        self.lines = []
        for key, colour, label in self.curves(history):
            (line,) = ax.plot([], [], c=colour, lw=1.5, label=label)
            self.lines.append((key, line))
        self.cursor = ax.axvline(0, c=ink(0.5), lw=0.8)
        self.events = event_marks(ax, history)
        ax.set_xlabel("generator step", fontsize=9)
        ax.set_ylabel(self.ylabel, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_title(self.title, fontsize=10)
        self.handles = [line for _, line in self.lines]

    def outgrown(self, history: History) -> bool:
        low, high = self.ax.get_ylim()
        new_low, new_high = self.ylim(history, self.member)
        slack = 0.02 * (high - low)  # by the panel's own rule, so a spike it ignores is no reason
        return new_low < low - slack or new_high > high + slack

    def rebind(self, history: History) -> None:
        if history.events != self.history.events:  # settings changed since: mark them
            for _, pair in self.events:
                for artist in pair:
                    artist.remove()
            self.events = event_marks(self.ax, history)
            for _, pair in self.events:
                for artist in pair:
                    artist.set_animated(True)
        self.history = history

    def animated(self) -> list:
        marks = [artist for _, pair in self.events for artist in pair]
        return [line for _, line in self.lines] + marks + [self.cursor]

    def update(self, i: int) -> None:
        steps = self.history.steps[: i + 1]
        for key, line in self.lines:
            line.set_data(steps, self.history.scalars[key][: i + 1, self.member])
        self.cursor.set_xdata([steps[-1], steps[-1]])
        for step, pair in self.events:  # a change shows once the frame has reached it
            for artist in pair:
                artist.set_visible(step <= steps[-1])


def event_label(events: list[dict]) -> str:
    """Changes made at one step as one short label: ``lr_d 0.001→0.0001, loss hinge``."""
    def short(v) -> str:
        return f"{v:g}" if isinstance(v, float) else str(v)

    return ", ".join(f"{e['key'].split('.')[-1]} {short(e['old'])}→{short(e['new'])}" for e in events)


def event_marks(ax: Axes, history: History) -> list[tuple[int, tuple]]:
    """A labelled vertical line at each step where settings changed mid-run (``history.events``),
    hidden until a frame reaches it; returns (step, (line, label)) pairs."""
    by_step: dict[int, list[dict]] = {}
    for event in history.events:
        if event["key"] != "train.steps":  # running longer is not a change of the game
            by_step.setdefault(int(event["step"]), []).append(event)
    marks = []
    for step, events in sorted(by_step.items()):
        line = ax.axvline(step, c=ink(0.8), lw=1.0, ls="--", visible=False)
        text = ax.text(step, 0.98, f" {event_label(events)}", transform=ax.get_xaxis_transform(),
                       fontsize=7, va="top", ha="right", color=ink(0.9), rotation=90, visible=False,
                       bbox={"facecolor": matplotlib.rcParams["axes.facecolor"], "alpha": 0.8,
                             "edgecolor": "none", "pad": 1.0})
        marks.append((step, (line, text)))
    return marks


class ConvergencePanel(_CurvesPanel):
    """Mean D on real and on generated samples against the step, with ½ and a cursor; for a
    critic objective, the mean critic values (their gap estimates the critic's distance)."""

    title = "Convergence toward D = ½"
    ylabel = "mean D"

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        d = "D" if self.probabilistic else "f"
        fake = f"mean {d}(p_g samples)" if history.config.train.generator == "target" else f"mean {d}(G(z))"
        return [("d_real", REAL, f"mean {d}(real)"), ("d_fake", FAKE, fake)]

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        if self.probabilistic:
            return 0.0, 1.0
        values = np.concatenate([history.scalars["d_real"][:, member],
                                 history.scalars["d_fake"][:, member]])
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        pad = 0.05 * (high - low) or 1.0
        return low - pad, high + pad

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        self.probabilistic = OBJECTIVES[history.config.train.loss].probabilistic
        if not self.probabilistic:
            self.title, self.ylabel = "Critic on real and generated points", "mean f"
        super().__init__(fig, ax, history, member, shared)
        if self.probabilistic:
            half = ax.axhline(0.5, ls="--", c=ink(0.7), lw=1, label="½: the optimum when p_g = p_data")
            self.handles.append(half)


class OptimalityPanel(_CurvesPanel):
    """Mean |D − D*| and mean |D − ½| on the data and generator samples against the step: the
    discriminator's distance to its optimum, and to the equilibrium value ½."""

    title = "|D − D*| and |D − ½|"

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        _needs_probability(history, "optimality")
        super().__init__(fig, ax, history, member, shared)

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        exact = history.config.train.generator == "target"
        return [("d_star_gap", "#7b3294", "mean |D − D*|" + ("" if exact else " (p_g by KDE)")),
                ("d_half_gap", ink(0.65), "mean |D − ½|")]

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        h = history.scalars
        return 0.0, 1.05 * max(h["d_star_gap"][:, member].max(), h["d_half_gap"][:, member].max(), 0.5)


class LossesPanel(_CurvesPanel):
    """The training losses of D and G, each the mean over the steps since the previous snapshot."""

    title = "Training losses"
    ylabel = "loss"

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        return [("loss_d", REAL, "D's loss"), ("loss_g", FAKE, "G's loss")]

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        values = np.concatenate([history.scalars["loss_d"][:, member],
                                 history.scalars["loss_g"][:, member]])
        values = values[np.isfinite(values)]
        if values.size == 0:
            return 0.0, 1.0
        low, high = np.percentile(values, [1, 99])  # one early spike would flatten the rest
        pad = 0.08 * (high - low) or 0.5
        return float(low - pad), float(high + pad)


class JSDPanel(_CurvesPanel):
    """JSD(p_data ‖ p_g) against the step, between 0 (p_g = p_data) and log 2 (disjoint supports).
    p_g is a KDE of the recorded generator samples (``toygan.theory.jsd_from_samples``)."""

    title = "JSD(p_data ‖ p_g)"
    ylabel = "JSD (nats)"

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        estimated = "" if history.config.train.generator == "target" else ", p_g by KDE"
        return [("jsd", JSD_COLOUR, f"JSD(p_data ‖ p_g){estimated}")]

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        return -0.02, 1.08 * np.log(2)

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        super().__init__(fig, ax, history, member, shared)
        ceiling = ax.axhline(np.log(2), ls=":", c=ink(0.7), lw=1, label="log 2: disjoint supports")
        self.handles.append(ceiling)


class ValuePanel(_CurvesPanel):
    """The value V(D, G) = E log D(x) + E log(1 − D(G(z))) against the step, beside
    V(D*, G) = −log 4 + 2·JSD(p_data ‖ p_g) (Goodfellow et al. 2014, Theorem 1), which bounds it from
    above, and the game's value −log 4 at p_g = p_data."""

    title = "Value of the game"
    ylabel = "value (nats)"

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        loss = history.config.train.loss
        if loss not in ("saturating", "non-saturating"):
            raise ToyganError(f"panel 'value': train.loss = {loss!r} has no V(D, G) of Eq. 1; it "
                              "needs 'saturating' or 'non-saturating' (try the 'jsd' panel)")
        super().__init__(fig, ax, history, member, shared)
        (self.bound_line,) = ax.plot([], [], c=JSD_COLOUR, lw=1.5, ls="--",
                                     label="V(D*, G) = −log 4 + 2·JSD")
        floor = ax.axhline(-np.log(4), ls=":", c=ink(0.7), lw=1, label="−log 4: value at p_g = p_data")
        self.handles += [self.bound_line, floor]

    @property
    def bound(self) -> np.ndarray:
        return -np.log(4) + 2 * self.history.scalars["jsd"][:, self.member]

    def curves(self, history: History) -> list[tuple[str, str, str]]:
        return [("value", "#1b9e77", "V(D, G) = E log D(x) + E log(1 − D(G(z)))")]

    def ylim(self, history: History, member: int) -> tuple[float, float]:
        values = history.scalars["value"][:, member]
        finite = values[np.isfinite(values)]
        # a near-perfect D early on sends V far down; the 2nd percentile keeps the scale readable
        low = min(float(np.percentile(finite, 2)) if finite.size else -2.0, -np.log(4)) - 0.1
        return low, 0.05

    def animated(self) -> list:
        return [*super().animated(), self.bound_line]

    def update(self, i: int) -> None:
        super().update(i)
        self.bound_line.set_data(self.history.steps[: i + 1], self.bound[: i + 1])


class ModeTimelinePanel(Panel):
    """Which data modes the generator covers at which step: one row per mode, one column per
    snapshot, coloured by the mode's share of the high-quality samples (``toygan.metrics``). Mode
    hopping shows as a bright cell that moves from row to row."""

    title = "Modes covered over time"

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        if history.mode_counts is None or history.mode_counts.shape[-1] == 0:
            raise ToyganError(f"panel 'modes': target {history.config.data.name!r} has no modes to "
                              "count (mode metrics need a Gaussian mixture: ring, grid, mixture)")
        self.ax, self.member = ax, member
        k = history.mode_counts.shape[-1]
        self.image = ax.imshow(np.full((k, 1), np.nan), origin="lower", aspect="auto",
                               cmap="Greens", norm=Normalize(0.0, min(1.0, 3.0 / k)),
                               interpolation="nearest")
        self.rebind(history)
        ax.set_xlim(0, max(int(history.config.train.steps), int(history.steps[-1]), 1))
        ax.set_ylabel("data mode", fontsize=9)
        ax.set_xlabel("generator step", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_yticks(range(0, k, max(1, k // 8)))
        bar = fig.colorbar(self.image, ax=ax, fraction=0.046, pad=0.03, extend="max")
        bar.ax.tick_params(labelsize=8)
        bar.ax.set_title("share", fontsize=8, loc="left")
        self.cursor = ax.axvline(0, c=ink(0.5), lw=0.8)
        ax.set_title(self.title, fontsize=10)
        (self.key,) = ax.plot([], [], marker="s", ls="none", c="#41ab5d",
                              label="share of high-quality G samples per mode")
        self.handles = [self.key]

    def rebind(self, history: History) -> None:
        self.history = history
        counts = history.mode_counts[:, self.member].astype(float)  # (T, K)
        totals = counts.sum(axis=1, keepdims=True)
        self.share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0).T  # (K, T)
        k, t = self.share.shape
        steps = history.steps
        half = (steps[1] - steps[0]) / 2 if t > 1 else 0.5
        self.image.set_extent((steps[0] - half, steps[-1] + half, -0.5, k - 0.5))

    def animated(self) -> list:
        return [self.image, self.cursor, *self.ax.spines.values()]

    def update(self, i: int) -> None:
        shown = np.full_like(self.share, np.nan)
        shown[:, : i + 1] = self.share[:, : i + 1]
        self.image.set_data(shown)
        step = self.history.steps[i]
        self.cursor.set_xdata([step, step])


class GoodfellowPanel(Panel):
    """The one-axis picture of Goodfellow et al. (2014), Figure 1, for a 1D target: the data
    density (blue, dotted), the generator's density (orange; a KDE of its samples), the
    discriminator D(x) (black, dashed, right axis, with ½) and, below the x axis, the map from an
    evenly spaced latent line z to x = G(z). Where the lines bunch, G puts its mass."""

    title = "p_data, p_g, D and x = G(z)"

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        self.ax, self.member = ax, member
        target = make_target(history.config.data.name, history.config.data.params)
        x0, x1 = history.window[:2]
        self.xs = np.linspace(x0, x1, 400)
        p_data = np.exp(target.log_prob(self.xs[:, None]))
        self.rebind(history)
        top = 1.1 * max(p_data.max(), np.percentile(self.p_g.max(axis=1), 90))
        self.z_level, self.x_level = -0.45 * top, 0.0
        ax.set_xlim(x0, x1)
        ax.set_ylim(self.z_level - 0.08 * top, top)
        ax.fill_between(self.xs, p_data, color=REAL, alpha=0.15, lw=0)
        (data_line,) = ax.plot(self.xs, p_data, c=REAL, ls=":", lw=2, label="p_data (exact)")
        (self.g_line,) = ax.plot(self.xs, self.p_g[0], c=FAKE, lw=2,
                                 label="p_g (KDE of G's samples)")
        ax.axhline(self.x_level, c=ink(0.8), lw=1)
        ax.axhline(self.z_level, c=ink(0.8), lw=1)
        ax.text(x0, self.x_level, " x", va="bottom", ha="left", fontsize=9)
        ax.text(x0, self.z_level, " z", va="bottom", ha="left", fontsize=9)
        ax.set_yticks([])
        ax.set_ylabel("density", fontsize=9)
        ax.tick_params(labelsize=8)
        # the latent line (z over ±2σ) is drawn evenly spread over the window, as in the paper
        n_z = history.manifold.shape[2] if history.manifold is not None else 0
        self.z_at = np.linspace(x0 + 0.05 * (x1 - x0), x1 - 0.05 * (x1 - x0), n_z)
        self.mapping = LineCollection(self._segments(0), colors=[ink(0.55)], linewidths=0.8,
                                      label="x = G(z), z evenly spaced")
        ax.add_collection(self.mapping)
        self.d_ax = ax.twinx()
        # D = 0 on the x axis and D = 1 at 90 % of the density axis
        self.d_ax.set_ylim(ax.get_ylim()[0] / (0.9 * top), 1.0 / 0.9)
        self.d_ax.set_yticks([0, 0.5, 1])
        self.d_ax.set_ylabel("D(x)", fontsize=9, labelpad=1)
        self.d_ax.tick_params(labelsize=8)
        self.d_ax.axhline(0.5, c=ink(0.4), lw=0.8, ls="-", xmin=0, xmax=1)
        xs_grid, _ = history.grid_axes()
        self.d_xs = xs_grid
        (self.d_line,) = self.d_ax.plot(xs_grid, history.d_grid[0, member], c=ink(), ls="--", lw=1.5,
                                        label="D(x); ½ in grey")
        ax.set_title(self.title, fontsize=10)
        self.handles = [data_line, self.g_line, self.d_line, self.mapping]

    def rebind(self, history: History) -> None:
        from toygan.theory import kde

        self.history = history
        bandwidth = history.config.record.kde_bandwidth or "scott"
        floor = min_bandwidth(history.window)
        self.p_g = np.stack([np.exp(kde(history.samples[i, self.member].astype(float), bandwidth,
                                        min_bandwidth=floor).log_prob(self.xs[:, None]))
                             for i in range(history.n_snapshots)])

    def _segments(self, i: int) -> np.ndarray:
        if self.history.manifold is None or self.history.manifold.shape[2] == 0:
            return np.zeros((0, 2, 2))
        gx = self.history.manifold[i, self.member, :, 0]
        return np.stack([np.stack([self.z_at, np.full_like(gx, self.z_level)], 1),
                         np.stack([gx, np.full_like(gx, self.x_level)], 1)], axis=1)

    def animated(self) -> list:
        return [self.g_line, self.mapping, self.d_line]

    def update(self, i: int) -> None:
        self.g_line.set_ydata(self.p_g[i])
        self.mapping.set_segments(self._segments(i))
        self.d_line.set_ydata(self.history.d_grid[i, self.member])


ONE_D_PANELS = ("goodfellow", "convergence", "optimality", "losses", "jsd", "value", "modes",
                "coverage")
"""The panels a run on a 1D target can show; the others draw the plane."""


def panel_names(panels) -> list[str]:
    """Panel names from a list, or from one comma-separated string (``"samples,push"``)."""
    if isinstance(panels, str):
        return [name.strip() for name in panels.split(",") if name.strip()]
    return list(panels)


def check_panels(history: History, panels, member: int = 0) -> None:
    """A ToyganError unless the history has snapshots, ``member`` is one of its members, and every
    name is a panel that fits the history's dimension."""
    if history.n_snapshots == 0:
        raise ToyganError("the history has no snapshots to render")
    if not 0 <= member < history.members:
        raise ToyganError(f"member = {member}: must be between 0 and {history.members - 1}")
    if not panels:
        raise ToyganError(f"panels = {list(panels)!r}: name at least one of {sorted(PANELS)}")
    one_d = history.samples.shape[-1] == 1
    for name in panels:
        if name not in PANELS:
            raise ToyganError(f"panel {name!r}: unknown; choose from {sorted(PANELS)}")
        if one_d and name not in ONE_D_PANELS:
            raise ToyganError(f"panel {name!r} draws the plane; a run on a 1D target shows "
                              f"{', '.join(ONE_D_PANELS)}")
        if not one_d and name == "goodfellow":
            raise ToyganError("panel 'goodfellow' is the 1D picture; it needs a 1D target "
                              "(data.name = 'mixture1d')")


class SeedCoveragePanel(Panel):
    """For an ensemble: the fraction of seeds whose samples capture each data mode at this step
    (a mode is captured if at least one high-quality sample has it as its nearest mode,
    ``toygan.metrics``), and how many seeds capture all of them. Shows every member at once."""

    title = "Modes captured, over seeds"

    def __init__(self, fig: Figure, ax: Axes, history: History, member: int, shared: dict) -> None:
        if history.mode_counts is None or history.mode_counts.shape[-1] == 0:
            raise ToyganError(f"panel 'coverage': target {history.config.data.name!r} has no modes "
                              "to count (mode metrics need a Gaussian mixture: ring, grid, mixture)")
        self.ax = ax
        self.rebind(history)
        k = self.captured.shape[-1]
        self.bars = ax.bar(np.arange(k), np.zeros(k), width=0.8, color="#636363",
                           label="share of seeds that capture the mode")
        ax.set_xlim(-0.6, k - 0.4)
        ax.set_ylim(0, 1.22)  # room above the bars for the count of seeds with every mode
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
        ax.set_xlabel("data mode", fontsize=9)
        ax.set_ylabel(f"share of {history.members} seeds", fontsize=9)
        ax.set_xticks(range(0, k, max(1, k // 8)))
        ax.tick_params(labelsize=8)
        ax.set_title(self.title, fontsize=10)
        self.note = ax.text(0.5, 0.97, "", transform=ax.transAxes, ha="center", va="top", fontsize=9)
        self.handles = [self.bars]

    def rebind(self, history: History) -> None:
        self.history = history
        self.captured = history.mode_counts > 0  # (T, E, K)

    def animated(self) -> list:
        return [*self.bars, self.note]

    def update(self, i: int) -> None:
        share = self.captured[i].mean(axis=0)
        for bar, height in zip(self.bars, share, strict=True):
            bar.set_height(height)
        all_modes = int(self.captured[i].all(axis=1).sum())
        self.note.set_text(f"all {self.captured.shape[-1]} modes: {all_modes} of "
                           f"{self.history.members} seeds")


PANELS = {"samples": SamplesPanel, "discriminator": DiscriminatorPanel,
          "convergence": ConvergencePanel, "dstar": OptimalDiscriminatorPanel, "gap": GapPanel,
          "optimality": OptimalityPanel, "modes": ModeTimelinePanel, "jsd": JSDPanel,
          "value": ValuePanel, "losses": LossesPanel, "manifold": ManifoldPanel,
          "push": PushPanel, "coverage": SeedCoveragePanel, "goodfellow": GoodfellowPanel}
"""Name → panel class."""
