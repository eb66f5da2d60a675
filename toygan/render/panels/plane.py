"""Panels of points in the plane over the data density: the generator's samples, its manifold
(G on a latent grid), and the push of G's loss on them."""

from __future__ import annotations

import hashlib
import json

import matplotlib
import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection

from toygan.errors import ToyganError
from toygan.history import MANIFOLD_LINES, MANIFOLD_POINTS, History
from toygan.render.panels.base import Context, Panel, Shared, recorded, samples_label, square
from toygan.render.style import DENSITY_FILLS, DENSITY_KEY, FAKE, ink

__all__ = ["SamplesPanel", "ManifoldPanel", "PushPanel", "typical_push"]

_DENSITY_RES = 320  # fine enough to resolve a σ = 0.02 mode in a window ~5 units wide
_KDE_RES = 160  # a KDE is smooth at its bandwidth already, and costs 1,000 kernels a point
_DENSITIES: dict[tuple, np.ndarray] = {}
"""Data densities on the grid by target and window: a KDE's takes seconds, and the live view lays
its figure out again on every change of loss, target or panels."""


def _density(history: History, target, xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """p_data on the grid ``xx``, ``yy`` (made once per target and window)."""
    data = history.config.data
    files = tuple(sorted((path, hashlib.sha256(raw).hexdigest()) for path, raw in history.files.items()))
    key = (data.name, json.dumps(data.params, sort_keys=True, default=str), tuple(history.window), files)
    if key not in _DENSITIES:
        if len(_DENSITIES) >= 8:
            _DENSITIES.pop(next(iter(_DENSITIES)))
        density = np.exp(target.log_prob(np.stack([xx.ravel(), yy.ravel()], axis=1)))
        _DENSITIES[key] = density.reshape(xx.shape)
    return _DENSITIES[key]


class SamplesPanel(Panel):
    """Generator samples (a fixed noise batch) over the data density's filled contours; for a
    target with modes, the title counts the modes captured in each frame."""

    name = "samples"
    title = "Generator vs data"

    def __init__(self, context: Context, ax: Axes) -> None:
        history = context.history
        super().__init__(context, ax)
        square(ax, history.window)
        target = history.target()
        x0, x1, y0, y1 = history.window
        res = _DENSITY_RES if target.exact else _KDE_RES
        xs, ys = np.linspace(x0, x1, res), np.linspace(y0, y1, res)
        xx, yy = np.meshgrid(xs, ys)
        density = _density(history, target, xx, yy)
        # regions within 3σ, 2σ, 1σ of the densest mode: density ≥ peak · exp(−k²/2)
        peak = density.max()
        levels = [peak * np.exp(-k * k / 2) for k in (3, 2, 1)] + [peak * 1.01]
        if np.all(np.diff(levels) > 0):  # a density below float range everywhere has no regions
            ax.contourf(xx, yy, density, levels=levels, colors=list(DENSITY_FILLS))
        self.scatter = ax.scatter(*history.samples[0, self.member].T, s=3, c=FAKE, alpha=0.7,
                                  linewidths=0, label=samples_label(history))
        how = "exact" if target.exact else "KDE estimate"
        density_key = ax.scatter([], [], s=30, c=DENSITY_KEY, marker="s",
                                 label=f"data density, 1/2/3σ ({how})")
        self.handles = [density_key, self.scatter]
        numbered = context.shared.number_modes
        self.mode_numbers = number_modes(ax, target.modes, history.window) if numbered else []
        fixed = not history.config.train.generator_mode.network
        if fixed:
            self.title = "Fixed p_g vs data"
        self.numbered = bool(self.readouts(0))  # decided once: the title is animated or not
        if self.short_title and self.numbered:  # the numbers on the same line: a short title
            self.title = f"{'p_g' if fixed else self.short_title} vs data"
        self.ax.set_title(self.title, fontsize=10)
        self.titled(0)

    readout_joint = ": "
    """What separates the title from its numbers (on a second line where the title is long)."""
    short_title = "G"
    """With numbers on the title's line, the title is "G vs data" (None: keep the title)."""

    def readouts(self, i: int) -> list[str]:
        """The numbers of snapshot ``i`` that the title gives after its text: the modes captured
        by a generator (a fixed p_g's count does not change and says nothing)."""
        if not self.history.config.train.generator_mode.network:
            return []
        counts = self.history.scalars.get("modes_captured")
        n_modes = 0 if self.history.mode_counts is None else self.history.mode_counts.shape[-1]
        if counts is None or n_modes == 0 or not np.isfinite(counts[i, self.member]):
            return []
        return [f"{int(counts[i, self.member])} of {n_modes} modes"]

    def titled(self, i: int) -> None:
        if not self.numbered:
            return
        text = self.title + self.readout_joint + ", ".join(self.readouts(i))
        shown = self.ax.get_title()
        if "\n" in shown and "\n" not in text:
            # the layout broke the title onto two lines to fit the frame (wrap_wide_titles): break
            # it after as many words (the count's digits change, the words before it do not)
            words, before = text.split(" "), shown[:shown.index("\n")].count(" ") + 1
            text = " ".join(words[:before]) + "\n" + " ".join(words[before:])
        self.ax.set_title(text, fontsize=10)

    def animated(self) -> list:
        # the mode numbers over the samples, so that a clump cannot hide them; the title when it
        # carries numbers (the layout keeps the room its first text took)
        return [self.scatter, *self.mode_numbers] + ([self.ax.title] if self.numbered else [])

    def update(self, i: int) -> None:
        self.scatter.set_offsets(self.history.samples[i, self.member])
        self.titled(i)


MAX_NUMBERED_MODES = 32
"""Modes numbered on the plane at most; more would hide the samples under their numbers."""


def number_modes(ax: Axes, modes: np.ndarray | None, window: tuple[float, float, float, float]) -> list:
    """Each data mode's row number in the mode timeline, small, beside the mode, so that a row can
    be found on the plane; edged in the background colour, so that it reads over the samples.
    Returns the labels.

    Modes that all lie on their outline (a ring) are numbered on the side of the window's centre,
    where there is room. Modes with others inside their outline (a grid) are numbered all alike,
    just below and right of the mode, smaller and thinly edged: a lattice leaves no room inward
    (the centre's number met its neighbours'), outward (the outer numbers ran into the frame), nor
    centred beside the mode (two digits covered it)."""
    if modes is None or not 0 < len(modes) <= MAX_NUMBERED_MODES:
        return []
    modes = np.asarray(modes, dtype=float)
    background = matplotlib.rcParams["axes.facecolor"]
    x0, x1, y0, y1 = window
    if on_outline(modes).all():
        inward = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) - modes
        length = np.linalg.norm(inward, axis=1, keepdims=True)
        offsets = 8 * np.where(length > 0, inward / np.where(length > 0, length, 1), [0.0, 1.0])
        size, ha, va, edge = 8, "center", "center", 2.5
    else:
        offsets = np.broadcast_to([1.5, -3.0], modes.shape)
        size, ha, va, edge = 7, "left", "top", 1.5
    halo = [patheffects.withStroke(linewidth=edge, foreground=background)]
    return [ax.annotate(str(k), mode, xytext=offset, textcoords="offset points", fontsize=size, ha=ha,
                        va=va, color=ink(0.75), clip_on=True, path_effects=halo)
            for k, (mode, offset) in enumerate(zip(modes, offsets, strict=True))]


def on_outline(points: np.ndarray, directions: int = 360) -> np.ndarray:
    """Whether each point lies on the outline (the convex hull's boundary) of ``points``
    ``(n, 2)``: the farthest along some direction, the directions ``directions`` even steps round."""
    angles = np.linspace(0, 2 * np.pi, directions, endpoint=False)
    reach = points @ np.stack([np.cos(angles), np.sin(angles)])  # (n, directions)
    tolerance = 1e-9 * (np.abs(points).max() + 1)
    return (reach >= reach.max(axis=0) - tolerance).any(axis=1)


class ManifoldPanel(SamplesPanel):
    """The generator manifold, as GAN Lab draws it: a grid of latent lines (z1 varying at fixed z2,
    and z2 at fixed z1, over ±2 for a normal prior) mapped through G, over the data density, with
    the samples. Where the mesh stretches thin between modes, G moves little mass."""

    name = "manifold"
    title = "Generator manifold G(z-grid)"
    readout_joint, short_title = "\n", None
    needs = frozenset({"manifold"})

    @classmethod
    def check(cls, history: History) -> None:
        if recorded(history, "manifold", cls.name).shape[2] == 0:
            raise ToyganError("panel 'manifold': this run has no generator (its fake samples come "
                              "from a target, train.generator = 'target')")

    def __init__(self, context: Context, ax: Axes) -> None:
        super().__init__(context, ax)
        self.shape = (2 * MANIFOLD_LINES, MANIFOLD_POINTS, 2)
        self.mesh = LineCollection(self._lines(0), colors=[ink(0.45)], linewidths=0.6,
                                   label="G on a latent grid")
        ax.add_collection(self.mesh)
        self.handles.append(self.mesh)

    def _lines(self, i: int) -> np.ndarray:
        return self.history.manifold[i, self.member].reshape(self.shape)

    def animated(self) -> list:
        return [self.mesh, *super().animated()]

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
    the whole run, so weak early gradients (the saturating loss) show as short arrows; the title
    gives the mean push on all samples in each frame, which reads where the arrows are specks."""

    name = "push"
    title = "Push on G's samples"
    needs = frozenset({"push", "field"})
    every = 8  # an arrow on every eighth sample

    @classmethod
    def check(cls, history: History) -> None:
        recorded(history, "push", cls.name)
        recorded(history, "field", cls.name)

    @classmethod
    def agree(cls, runs: list[tuple[History, int]], shared: Shared) -> None:
        # one arrow scale for all runs, so that their pushes compare
        shared.push_typical = max(typical_push(h.push[:, m, ::cls.every]) for h, m in runs)

    def __init__(self, context: Context, ax: Axes) -> None:
        super().__init__(context, ax)
        history, shared = context.history, context.shared
        f = history.field.shape[2]
        x0, x1, y0, y1 = history.window
        fx, fy = np.meshgrid(np.linspace(x0, x1, f), np.linspace(y0, y1, f))
        # one scale for the run (for all runs of a comparison, which sets push_typical)
        typical = shared.push_typical or typical_push(self.push)
        self.scale = typical * 14 / (x1 - x0)  # arrow length units per data unit
        self.flow = ax.quiver(fx, fy, *self._uv(self.field[0]), color=ink(0.4), angles="xy",
                              scale_units="xy", scale=self.scale, width=0.004, zorder=1,
                              label="push on a point placed there")
        scope = "the run" if shared.push_typical is None else "all runs"
        self.arrows = ax.quiver(*self.push_at(0).T, *self._uv(self.push[0]), color=ink(), angles="xy",
                                scale_units="xy", scale=self.scale, width=0.005, zorder=3,
                                label=f"push −∂ loss_G / ∂x on G(z) (one scale for {scope})")
        self.handles += [self.arrows, self.flow]

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

    readout_joint, short_title = "\n", None

    def readouts(self, i: int) -> list[str]:
        mean = float(np.linalg.norm(self.history.push[i, self.member], axis=-1).mean())
        return super().readouts(i) + ([f"mean push {mean:.2f}"] if np.isfinite(mean) else [])

    def animated(self) -> list:
        scatter, *marks = super().animated()  # the arrows over the samples, under their numbers
        return [self.flow, scatter, self.arrows, *marks]

    def update(self, i: int) -> None:
        super().update(i)
        self.flow.set_UVC(*self._uv(self.field[i]))
        self.arrows.set_offsets(self.push_at(i))
        self.arrows.set_UVC(*self._uv(self.push[i]))
