"""The Dirac-GAN parameter plane, animated: the vector field and a trajectory per update scheme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np

from toygan.dirac import dirac_gan, eigenvalues, trajectory
from toygan.methods import CONSENSUS_DEFAULT, Settings, settings_for
from toygan.errors import ToyganError
from toygan.render.animation import check_output, write_frames
from toygan.render.figure import BlittedFigure, Look, frame_size
from toygan.render.style import FAKE, ink

__all__ = ["DiracRun", "DiracAnimation", "render_dirac", "DEFAULT_RUNS", "parse_runs", "method_label"]


@dataclass(frozen=True)
class DiracRun:
    """One trajectory: a variant of ``toygan.dirac.VARIANTS``, a method (``toygan.dirac.schemes()``)
    and γ (0: default)."""

    variant: str
    scheme: str
    gamma: float = 0.0

    @property
    def label(self) -> str:
        """The run as ``parse_runs`` reads it: ``variant:scheme`` or ``variant:scheme:gamma``."""
        return f"{self.variant}:{self.scheme}" + (f":{self.gamma:g}" if self.gamma else "")


DIRAC_VARIANTS = ("gan", "nsgan", "wgan", "wgan-gp", "r1", "instance-noise")
"""The variants that are the Dirac-GAN (the rest of ``toygan.dirac.VARIANTS`` are small games)."""

DEFAULT_RUNS = (DiracRun("gan", "simultaneous"), DiracRun("gan", "alternating"),
                DiracRun("r1", "simultaneous", 0.3))
"""Mescheder et al. (2018), Fig. 1 and 3: spiralling out, circling, converging."""


def parse_runs(text: str) -> list[DiracRun]:
    """``"gan:simultaneous,r1:alternating:0.5"`` → runs (variant:scheme[:gamma], comma-separated)."""
    runs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        fields = item.split(":")
        if len(fields) not in (2, 3):
            raise ToyganError(f"--runs item {item!r}: write variant:scheme or variant:scheme:gamma")
        try:
            gamma = float(fields[2]) if len(fields) == 3 else 0.0
        except ValueError:
            raise ToyganError(f"--runs item {item!r}: gamma {fields[2]!r} is not a number") from None
        runs.append(DiracRun(fields[0], fields[1], gamma))
    if not runs:
        raise ToyganError(f"--runs = {text!r}: name at least one variant:scheme")
    return runs


def _growth(gan, run: DiracRun, lr: float, settings: Settings) -> str:
    """The per-step factor by which the distance to (0, 0) changes near it: the largest |λ| of the
    eigenvalues λ of a step's update matrix (of a period, with Lookahead)."""
    if not gan.smooth:
        return "no Jacobian at (0, 0)"
    if run.scheme == "continuous":
        ev = eigenvalues(gan, scheme=run.scheme)
        return f"eigenvalues λ = {ev[0].real:+.2f} ± {abs(ev[0].imag):.2f}i"
    rho = np.abs(eigenvalues(gan, lr=lr, scheme=run.scheme, settings=settings)).max()
    of = f"{settings.lookahead_k} steps" if settings.lookahead_k else "a step"
    return f"|λ| of {of} = {rho:.4f}"  # short: four panels fit 960 pixels


def method_label(scheme: str, settings: Settings) -> str:
    """The method as a panel names it, with the settings it reads on a second line:
    "consensus\nγ = 0.3"."""
    if scheme == "continuous":
        return "continuous flow (RK4)"
    parts = []
    used = settings_for(scheme, settings)  # the settings this method reads
    if used.d_steps > 1:
        parts.append(f"k = {used.d_steps}")
    if scheme == "consensus" or used.consensus:
        parts.append(f"γ = {used.consensus or CONSENSUS_DEFAULT:g}")
    if scheme == "sga":
        parts.append(f"λ = {settings.sga_lambda:g}")
    if settings.lookahead_k:
        parts.append(f"Lookahead k = {settings.lookahead_k}, α = {settings.lookahead_alpha:g}")
    return scheme + ("\n" + ", ".join(parts) if parts else "")


class DiracAnimation(BlittedFigure):
    """One panel per run: the field as streamlines (drawn once), the path so far and its head."""

    def __init__(self, runs: Sequence[DiracRun], *, steps: int = 500, lr: float = 0.1,
                 theta0: float = 1.0, psi0: float = 1.0, width: int | None = None,
                 look: Look | None = None, size: str | tuple[int, int] | None = None,
                 settings: Settings | None = None) -> None:
        if not runs:
            raise ToyganError("runs: name at least one run")
        settings = Settings() if settings is None else settings
        self.runs, self.steps, self.lr = list(runs), steps, lr
        self.dirac_only = all(r.variant in DIRAC_VARIANTS for r in self.runs)
        self.gans = [dirac_gan(r.variant, r.gamma) for r in self.runs]
        self.paths = [trajectory(g, theta0, psi0, steps=steps, lr=lr, scheme=r.scheme, settings=settings)
                      for g, r in zip(self.gans, self.runs, strict=True)]
        reach = max(2.0, 1.1 * max(np.abs(p).max() for p in self.paths))
        n = len(self.runs)
        if width is None:  # a panel's title needs about 400 pixels
            width = max(960, 16 * (400 * n // 16))
        width, height = (width, None) if size is None else frame_size(size)
        super().__init__(width, min(0.8, max(0.3, 1.15 / n)), look, height)
        with self.styled():
            # the two-line panel titles need more room under the figure title than the default
            self.fig.get_layout_engine().set(h_pad=0.09)
            axes = np.atleast_1d(self.fig.subplots(1, n))
            grid = np.linspace(-reach, reach, 41)
            tt, pp = np.meshgrid(grid, grid)
            self.lines, self.heads = [], []
            for ax, gan, run, path in zip(axes, self.gans, self.runs, self.paths, strict=True):
                vt, vp = gan.field(tt, pp)
                ax.streamplot(tt, pp, vt, vp, color=ink(0.3), linewidth=0.7, density=1.0, arrowsize=0.8)
                ax.plot(0, 0, marker="*", ms=11, c=ink(), ls="none", label="equilibrium (0, 0)")
                ax.plot(*path[0], marker="o", ms=5, c=ink(0.7), ls="none", label="start")
                (line,) = ax.plot([], [], c=FAKE, lw=1.6, label="trajectory")
                (head,) = ax.plot([], [], marker="o", ms=6, c=FAKE, mec=ink(), ls="none")
                self.lines.append(line)
                self.heads.append(head)
                ax.set_xlim(-reach, reach)
                ax.set_ylim(-reach, reach)
                ax.set_aspect("equal")
                ax.set_xlabel("θ (generator)", fontsize=9)
                ax.set_ylabel("ψ (discriminator)", fontsize=9)
                ax.tick_params(labelsize=8)
                ax.set_title(f"{gan.titled()}\n{method_label(run.scheme, settings)}", fontsize=9)
                box = {"facecolor": matplotlib.rcParams["axes.facecolor"], "edgecolor": ink(0.2),
                       "alpha": 0.9}
                ax.text(0.03, 0.97, _growth(gan, run, lr, settings), transform=ax.transAxes, fontsize=8,
                        va="top", bbox=box)
            handles = axes[0].get_legend_handles_labels()
            self.fig.legend(*handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
            self.title = self.fig.suptitle(self._title(steps), fontsize=11)
            self.freeze()

    def _title(self, step: int) -> str:
        game = ("Dirac-GAN (Mescheder et al. 2018): p_data = δ₀, D(x) = ψx" if self.dirac_only
                else "two-parameter games: G's θ, D's ψ")
        return f"{game} · step {step:,} / {self.steps:,}, h = {self.lr:g}"

    def animated(self) -> list:
        return [*self.lines, *self.heads, self.title]

    def frame(self, i: int) -> np.ndarray:
        """Step ``i`` as RGB uint8 ``(height, width, 3)``."""
        for line, head, path in zip(self.lines, self.heads, self.paths, strict=True):
            line.set_data(path[: i + 1, 0], path[: i + 1, 1])
            head.set_data([path[i, 0]], [path[i, 1]])
        self.title.set_text(self._title(i))
        return self.blit()


def render_dirac(path: str | Path, runs: Sequence[DiracRun] = DEFAULT_RUNS, *, steps: int = 500,
                 lr: float = 0.1, theta0: float = 1.0, psi0: float = 1.0, format: str | None = None,
                 fps: float = 20, width: int | None = None, max_frames: int = 150,
                 look: Look | None = None, size: str | tuple[int, int] | None = None,
                 settings: Settings | None = None) -> Path:
    """Animate Dirac-GAN trajectories side by side (GIF, MP4, PNG filmstrip or HTML player).

    Args:
        path: output file, written atomically.
        runs: variant, method and γ of each panel.
        steps, lr: iterations and step size h (for ``continuous``, the RK4 step).
        theta0, psi0: the starting point.
        format, fps, max_frames, look, size: as in ``toygan.render.render``.
        width: in pixels; None for 400 a panel, at least 960.
        settings: the methods' own parameters (k, consensus γ, SGA's λ, Lookahead).
    """
    path, fmt = check_output(path, format, fps, max_frames)
    animation = DiracAnimation(runs, steps=steps, lr=lr, theta0=theta0, psi0=psi0, width=width,
                               look=look, size=size, settings=settings)
    try:
        return write_frames(animation.frame, steps + 1, path, format=fmt, fps=fps,
                            max_frames=max_frames, caption=lambda i: f"iteration {i:,}",
                            title="Dirac-GAN trajectories")
    finally:
        animation.close()
