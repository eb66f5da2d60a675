"""The spectrum of a two-parameter game's methods: the eigenvalues of each run's update in the
complex plane as the step size grows (with the unit circle, inside which a method converges), and
the spectral radius against the step size, every run on one plot with its stable range.

The eigenvalues are those of ``toygan.dirac.update_matrix``: autograd through the method's own
step, as the trajectories are computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np

from toygan.dirac import dirac_gan, eigenvalues, spectral_radius, stable_range
from toygan.errors import ToyganError
from toygan.methods import Settings
from toygan.render.dirac import DiracRun, PanelGrid, method_label, panel_title, shared_game, title_lines
from toygan.render.figure import BlittedFigure, Look, frame_size
from toygan.render.style import FAKE, ink
from toygan.render.writers import write_still

__all__ = ["SpectrumAnimation", "RadiusFigure", "RADIUS_STEPS", "stable_text"]

STABLE = "#1b9e77"  # green: where a method converges


def shade() -> float:
    """The stable region's opacity: pale on a light background, stronger on a dark one."""
    return 0.3 if ink()[0] > 0.5 else 0.12
RADIUS_STEPS = np.geomspace(1e-3, 10.0, 481)
"""The step sizes of the radius view: 10⁻³ to 10 (the largest h a run takes), 120 a decade (fine
enough that a sharp minimum, optimism's at h = ½ on the bilinear game, is drawn within 1 %)."""


def _smooth_runs(runs: Sequence[DiracRun], view: str) -> list:
    gans = [dirac_gan(r.variant, r.gamma) for r in runs]
    for gan, run in zip(gans, runs, strict=True):
        if not gan.smooth:
            raise ToyganError(f"--runs item {run.label!r}: {gan.titled()}'s field jumps at ψ = 0, so "
                              f"its update has no eigenvalues there; the {view} view needs a smooth game")
    return gans


class SpectrumAnimation(PanelGrid):
    """One panel per run: the eigenvalues of a step's update at (0, 0) in the complex plane as the
    step size grows from h/frames to h (their path so far, and where they are), with the unit
    circle; for the continuous flow, the eigenvalues of the field's Jacobian, with the imaginary
    axis (the flow converges left of it)."""

    def __init__(self, runs: Sequence[DiracRun], *, lr: float = 0.1, frames: int = 120,
                 width: int | None = None, look: Look | None = None,
                 size: str | tuple[int, int] | None = None, settings: Settings | None = None) -> None:
        if not runs:
            raise ToyganError("runs: name at least one run")
        settings = Settings() if settings is None else settings
        if settings.lookahead_k and any(r.scheme == "continuous" for r in runs):
            raise ToyganError(f"lookahead_k = {settings.lookahead_k}: Lookahead-minmax averages a "
                              "method's steps; the continuous flow has none (use 0 with it)")
        self.runs, self.lr = list(runs), lr
        self.gans = _smooth_runs(self.runs, "spectrum")
        self.steps = lr * np.arange(1, frames + 1) / frames
        self.values = [np.array([eigenvalues(g, scheme=r.scheme) if r.scheme == "continuous"
                                 else eigenvalues(g, lr=float(h), scheme=r.scheme, settings=settings)
                                 for h in self.steps]) for g, r in zip(self.gans, self.runs, strict=True)]
        self.settings = settings
        self.game, self.named = shared_game(self.gans, self.runs)
        self.flow = all(r.scheme == "continuous" for r in self.runs)
        # one scale for every panel (the unit circle alike in all), as the shared tick labels say
        finite = [np.abs(v[np.isfinite(v)]) for v in self.values]
        reach = max(1.25, 1.1 * max((float(f.max()) for f in finite if f.size), default=1.0))
        super().__init__(len(self.runs), width, look, size,
                         title_lines(self.gans, self.runs, settings, self.named))
        with self.styled():
            axes = self.grid_axes(len(self.runs))
            self.trails, self.heads, self.titles = [], [], []
            for i, (ax, run) in enumerate(zip(axes, self.runs, strict=True)):
                self._plane(ax, run.scheme == "continuous", reach)
                self.outer_labels(ax, i, len(self.runs), "Re λ", "Im λ")
                (trail,) = ax.plot([], [], ls="none", marker=".", ms=2.5, c=FAKE, alpha=0.5,
                                   label="as h grew")
                (head,) = ax.plot([], [], ls="none", marker="o", ms=7, c=FAKE, mec=ink(),
                                  label="eigenvalues at this h")
                self.trails.append(trail)
                self.heads.append(head)
                self.titles.append(ax.set_title(self._panel(0, len(self.titles)), fontsize=self.font))
            self.legend(axes)
            self.title = self.fig.suptitle(self._title(len(self.steps) - 1), fontsize=11)
            self.freeze()

    def _plane(self, ax, continuous: bool, reach: float) -> None:
        if continuous:
            ax.axvspan(-reach, 0, color=STABLE, alpha=shade(), lw=0, label="the flow converges (Re λ < 0)")
            ax.axvline(0, c=ink(0.6), lw=0.8, label="imaginary axis")
        else:
            angle = np.linspace(0, 2 * np.pi, 361)
            ax.fill(np.cos(angle), np.sin(angle), color=STABLE, alpha=shade(), lw=0,
                    label="a step converges (|λ| < 1)")
            ax.plot(np.cos(angle), np.sin(angle), c=ink(0.6), lw=0.9, label="unit circle")
        ax.axhline(0, c=ink(0.25), lw=0.6)
        ax.set_xlim(-reach, reach)
        ax.set_ylim(-reach, reach)
        ax.set_aspect("equal")

    def _panel(self, i: int, k: int) -> str:
        gan, run, values = self.gans[k], self.runs[k], self.values[k][i]
        if run.scheme == "continuous":
            last = f"max Re λ = {values.real.max():+.3f}"
        else:
            rho = spectral_radius(gan, lr=float(self.steps[i]), scheme=run.scheme, settings=self.settings)
            last = f"h = {self.steps[i]:.3g} · ρ = {rho:.4f}"
        return panel_title(gan, run, self.settings, last, self.named)

    def _title(self, i: int) -> str:
        game = self.game.partition(":")[0]
        if self.flow:  # no step: the Jacobian's eigenvalues do not depend on h
            return f"{game}: eigenvalues of the field's Jacobian at (0, 0)"
        k = self.settings.lookahead_k
        of = (f"a period of Lookahead (k = {k} steps, α = {self.settings.lookahead_alpha:g}; ρ per step)"
              if k else "a step")
        return f"{game}: eigenvalues of {of} at (0, 0) · h = {self.steps[i]:.3g} of {self.lr:g}"

    def animated(self) -> list:
        return [*self.trails, *self.heads, *self.titles, self.title]

    @property
    def frames(self) -> int:
        return len(self.steps)

    def caption(self, i: int) -> str:
        return f"h = {self.steps[i]:.3g}"

    def frame(self, i: int) -> np.ndarray:
        """The eigenvalues at the i-th step size, RGB uint8 ``(height, width, 3)``."""
        for k, (trail, head, values) in enumerate(zip(self.trails, self.heads, self.values, strict=True)):
            past = values[: i + 1].ravel()
            trail.set_data(past.real, past.imag)
            head.set_data(values[i].real, values[i].imag)
            self.titles[k].set_text(self._panel(i, k))
        self.title.set_text(self._title(i))
        return self.blit()


def stable_text(steps: np.ndarray, ranges: list[tuple[float, float]], radii: np.ndarray) -> str:
    """Where ρ < 1, for a legend: ``ρ < 1 for h < 1``; or, for a method stable nowhere, where it
    circles (ρ = 1 up to rounding, from the smallest step on) or that it never converges."""
    if not ranges:
        circles = np.abs(np.asarray(radii) - 1) < 1e-9
        if circles[0]:
            last = len(circles) if circles.all() else int(np.argmin(circles))
            return f"ρ = 1 (circles) for h up to about {steps[last - 1]:.2g}, never below 1"
        return f"ρ > 1 for every h from {steps[0]:g} to {steps[-1]:g}"
    parts = []
    for low, high in ranges:
        upper = f" ≤ {high:.3g}" if high == steps[-1] else f" < {high:.4g}"
        parts.append(f"h{upper}" if low == steps[0] else f"{low:.4g} < h{upper}")
    return "ρ < 1 for " + " and ".join(parts)


class RadiusFigure(BlittedFigure):
    """The spectral radius of each run's step at (0, 0) against the step size (log axis), on one
    plot: the band ρ < 1, where a method converges near the equilibrium, is shaded, each run's
    stable range is named in the legend. Animated, a cursor sweeps the step sizes with each run's
    ρ there; as a still, the cursor stands at the chosen step size h."""

    def __init__(self, runs: Sequence[DiracRun], *, lr: float = 0.1, width: int | None = None,
                 look: Look | None = None, size: str | tuple[int, int] | None = None,
                 settings: Settings | None = None) -> None:
        if not runs:
            raise ToyganError("runs: name at least one run")
        for run in runs:
            if run.scheme == "continuous":
                raise ToyganError(f"--runs item {run.label!r}: the continuous flow has no step size; "
                                  "the radius view compares methods")
        settings = Settings() if settings is None else settings
        gans = _smooth_runs(runs, "radius")
        if not RADIUS_STEPS[0] <= lr <= RADIUS_STEPS[-1]:
            raise ToyganError(f"lr = {lr:g}: the radius view spans step sizes from "
                              f"{RADIUS_STEPS[0]:g} to {RADIUS_STEPS[-1]:g}; mark one of them")
        self.lr, self.steps = lr, RADIUS_STEPS
        found = [stable_range(g, scheme=r.scheme, settings=settings, steps=self.steps)
                 for g, r in zip(gans, runs, strict=True)]
        self.radii = [radii for radii, _ in found]
        self.ranges = [ranges for _, ranges in found]
        self.at_lr = [spectral_radius(g, lr=lr, scheme=r.scheme, settings=settings)
                      for g, r in zip(gans, runs, strict=True)]
        game, named = shared_game(gans, runs)
        if size is not None:
            width, height = frame_size(size)
        else:
            width, height = width or 1280, None
        super().__init__(width, 0.5625 if len(runs) < 7 else 0.65, look, height)
        self.top = 2.0
        with self.styled():
            self.ax = ax = self.fig.subplots()
            ax.axhspan(0, 1, color=STABLE, alpha=shade(), lw=0, label="stable: ρ < 1")
            ax.axhline(1, c=ink(0.6), lw=0.9)
            colours = matplotlib.colormaps["tab10"].colors
            self.dots = []
            for k, (gan, run, radii, ranges) in enumerate(zip(gans, runs, self.radii, self.ranges,
                                                               strict=True)):
                name = method_label(run.scheme, settings).replace("\n", ", ")
                if named:
                    name = f"{gan.titled()}: {name}"
                colour = colours[k % 10]
                ax.plot(self.steps, np.minimum(radii, 10 * self.top), c=colour, lw=2,
                        ls=("-", "--", ":", "-.")[k // 10 % 4],
                        label=f"{name} — {stable_text(self.steps, ranges, radii)}")
                self.dots.append(ax.plot([], [], ls="none", marker="o", ms=7, c=colour, mec=ink())[0])
            self.cursor = ax.axvline(lr, c=ink(0.5), lw=1, ls="--", label="the step size h")
            ax.set_xscale("log")
            ax.set_xlim(self.steps[0], self.steps[-1])
            ax.set_ylim(0, self.top)
            ax.set_xlabel("step size h", fontsize=9)
            ax.set_ylabel("spectral radius ρ of a step at (0, 0)", fontsize=9)
            ax.tick_params(labelsize=8)
            # below the plot, where the sweeping cursor cannot cross it nor it hide a curve
            handles = ax.get_legend_handles_labels()[0]
            self.fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=8,
                            frameon=False)
            self.game = game.partition(":")[0]
            self.title = self.fig.suptitle(self._title(lr), fontsize=11)
            self.freeze()

    def _title(self, h: float) -> str:
        return f"{self.game}: how fast may you step?\nh = {h:.3g} (curves above 2 leave the plot)"

    @property
    def frames(self) -> int:
        return len(self.steps)

    def caption(self, i: int) -> str:
        return f"h = {self.steps[i]:.3g}"

    def animated(self) -> list:
        return [self.cursor, *self.dots, self.title]

    def _show(self, h: float, radii: list[float]) -> np.ndarray:
        self.cursor.set_xdata([h, h])
        for dot, rho in zip(self.dots, radii, strict=True):
            dot.set_data([h], [min(rho, 1.05 * self.top)])
        self.title.set_text(self._title(h))
        return self.blit()

    def frame(self, i: int) -> np.ndarray:
        """The cursor at the i-th step size of the grid, RGB uint8 ``(height, width, 3)``."""
        return self._show(float(self.steps[i]), [float(r[i]) for r in self.radii])

    def still(self, path: Path, fmt: str) -> Path:
        """The figure with the cursor at h, as a PDF, SVG or PNG file."""
        self._show(self.lr, self.at_lr)
        for artist in self.animated():
            artist.set_animated(False)
        write_still(self.fig, path, fmt)
        return path
