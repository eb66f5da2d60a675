"""The Dirac-GAN parameter plane, animated: the vector field and a trajectory per method, the
runs in a grid (the spectrum and radius views are in ``toygan.render.spectrum``; ``render_dirac``
in ``toygan.render.dynamics`` draws any of them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from toygan.dirac import dirac_gan, eigenvalues, spectral_radius, trajectory
from toygan.errors import ToyganError
from toygan.methods import CONSENSUS_DEFAULT, Settings, settings_for
from toygan.render.figure import BlittedFigure, DoesNotFit, Look, fitted_legend, frame_size
from toygan.render.style import FAKE, ink
from toygan.render.writers import write_still

__all__ = ["DiracRun", "DiracAnimation", "PanelGrid", "DEFAULT_RUNS", "parse_runs", "method_label",
           "panel_title", "run_summary", "grid_shape", "shared_game", "lookahead_label", "title_lines"]


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


def run_summary(gan, run: DiracRun, lr: float, settings: Settings) -> str:
    """What a step does near (0, 0), in a title's last line: ``h = 0.1 · ρ = 1.0012``, where ρ is the
    spectral radius of a step's update (per step, with Lookahead); for the flow, its eigenvalues."""
    if not gan.smooth:
        return f"h = {lr:g} · no Jacobian at (0, 0)"
    if run.scheme == "continuous":
        ev = eigenvalues(gan, scheme=run.scheme)
        return f"λ = {ev[0].real:+.2f} ± {abs(ev[0].imag):.2f}i"
    return f"h = {lr:g} · ρ = {spectral_radius(gan, lr=lr, scheme=run.scheme, settings=settings):.4f}"


def method_label(scheme: str, settings: Settings, lookahead: bool = True) -> str:
    """The method as a panel names it, with the settings it reads on a second line:
    "consensus\nγ = 0.3"; Lookahead's too unless ``lookahead`` is False (a figure whose every run
    has it says so once, in its title)."""
    if scheme == "continuous":
        return "continuous flow (RK4)"
    parts = []
    used = settings_for(scheme, settings)  # the settings this method reads
    if used.d_steps > 1:
        parts.append(f"k = {used.d_steps}")
    if scheme == "consensus":
        parts.append(f"γ = {used.consensus or CONSENSUS_DEFAULT:g}")
    elif used.consensus:  # named: a game's own γ (R1's) may be in the title too
        parts.append(f"consensus γ = {used.consensus:g}")
    if scheme == "sga":
        parts.append(f"λ = {settings.sga_lambda:g}")
    if settings.lookahead_k and lookahead:
        parts.append(lookahead_label(settings))
    return scheme + ("\n" + ", ".join(parts) if parts else "")


def lookahead_label(settings: Settings) -> str:
    return f"Lookahead k = {settings.lookahead_k}, α = {settings.lookahead_alpha:g}"


def panel_title(gan, run: DiracRun, settings: Settings, last: str, named: bool) -> str:
    """A panel's title: the game (if the panels' games differ: ``named``), the method with its
    settings (Lookahead, which every run takes, is in the figure's title), and ``last`` (what a
    step does)."""
    lines = [*([gan.titled()] if named else []), method_label(run.scheme, settings, lookahead=False), last]
    return "\n".join(lines)


def title_lines(gans: Sequence, runs: Sequence[DiracRun], settings: Settings, named: bool) -> int:
    """The most lines a panel title of these runs takes."""
    return max(panel_title(g, r, settings, "", named).count("\n") + 1
               for g, r in zip(gans, runs, strict=True))


LINE = 1 / 28.8
"""A line of a panel's text (title, tick labels) as a share of the frame's height: 8-point text
at 1/40 of the height, with its spacing (measured on the 10-run grid at 1920 × 1080)."""


def grid_shape(n: int, size: tuple[int, int] = (1920, 1080), lines: int = 3) -> tuple[int, int]:
    """(rows, columns) for ``n`` square panels, each under a title of ``lines`` lines and over its
    tick labels, in a frame of ``size`` (its figure title and legend take an eighth of the height):
    the layout whose panels are largest (fewest columns on a tie)."""
    width, height = size

    def side(columns: int) -> float:
        rows = -(-n // columns)
        return min(0.96 * width / columns, (0.88 * height - rows * (lines + 2.5) * LINE * height) / rows)

    columns = max(range(1, n + 1), key=lambda c: (side(c), -c))
    return -(-n // columns), columns


class PanelGrid(BlittedFigure):
    """One square panel per run in a grid of rows: the base of the trajectory and spectrum views.
    Without a ``size`` or ``width``, the frame is 400 pixels a column (a panel's title needs
    them), at least 960."""

    MAX_PANELS = 16
    """More panels than this would each be too small to read, even on a 4k frame (12 fit 1920 ×
    1080 at the default text size; up to 16 at --dpi 150, or at their own width)."""

    def __init__(self, n: int, width: int | None, look: Look | None,
                 size: str | tuple[int, int] | None, lines: int = 3) -> None:
        if n > self.MAX_PANELS:
            raise ToyganError(f"--runs: {n} runs; at most {self.MAX_PANELS} panels fit a frame "
                              "readably (12 at 1920x1080)")
        shape = frame_size(size) if size is not None else None
        rows, columns = grid_shape(n, shape or (1920, 1080), lines)
        if width is None and shape is None:
            width = min(4096, max(960, 16 * (400 * columns // 16)))
        ratio = min(1.0, max(0.3, (1.15 + 1.1 * (rows - 1)) / columns))
        width, height = (width, None) if shape is None else shape
        super().__init__(width, ratio, look, height)
        self.rows, self.columns = rows, columns

    def grid_axes(self, n: int) -> list:
        """The ``n`` axes, row by row; the cells of a last, shorter row are left out."""
        # the titles of several lines need more room under the figure title than the default
        self.fig.get_layout_engine().set(h_pad=0.09 if self.rows == 1 else 0.05)
        axes = np.atleast_1d(self.fig.subplots(self.rows, self.columns)).ravel()
        for ax in axes[n:]:
            ax.remove()
        return list(axes[:n])

    frames = 1
    """How many frames the animation has."""

    def freeze(self) -> None:
        try:
            super().freeze()
        except DoesNotFit:
            raise DoesNotFit(
                f"{len(self.fig.axes)} panels with their titles do not fit a {self.fig.bbox.width:.0f}"
                f"x{self.fig.bbox.height:.0f} frame at dpi {self.fig.dpi:g}: draw fewer runs, or lower "
                f"--dpi (default {round(self.fig.usual_dpi)}; smaller text)") from None

    def frame(self, i: int) -> np.ndarray:
        raise NotImplementedError

    def still(self, path: Path, fmt: str) -> Path:
        """The last frame as a still file: PDF or SVG (vector) or PNG."""
        self.frame(self.frames - 1)
        for artist in self.animated():
            artist.set_animated(False)
        write_still(self.fig, path, fmt)
        return path

    @property
    def font(self) -> float:
        """The panel titles' size: smaller where five or more columns share the width."""
        return 9 if self.columns < 5 else 8

    def outer_labels(self, ax, index: int, n: int, xlabel: str, ylabel: str) -> None:
        """Name the axes on the grid's left column, and below the lowest panel of each column,
        only (every panel shares them): the panels take the room repeated labels would."""
        ax.tick_params(labelsize=8)
        if index % self.columns == 0:
            ax.set_ylabel(ylabel, fontsize=8)
        else:
            ax.tick_params(labelleft=False)
        if index + self.columns >= n:  # no panel below
            ax.set_xlabel(xlabel, fontsize=8)
        else:
            ax.tick_params(labelbottom=False)

    def legend(self, axes: Sequence, extra: Sequence = ()) -> None:
        """One legend below the grid, in as many columns as fit: every panel's entries, each label
        once, then ``extra`` lines of text."""
        groups = [ax.get_legend_handles_labels()[0] for ax in axes]
        groups.append([Line2D([], [], ls="none", label=text) for text in extra])
        fitted_legend(self.fig, groups, most=6)


RHO = "ρ: spectral radius of a step at (0, 0); below 1 it converges near (0, 0)"


class DiracAnimation(PanelGrid):
    """One panel per run, in a grid: the field as streamlines (drawn once), the path so far and its
    head."""

    def __init__(self, runs: Sequence[DiracRun], *, steps: int = 500, lr: float = 0.1,
                 theta0: float = 1.0, psi0: float = 1.0, width: int | None = None,
                 look: Look | None = None, size: str | tuple[int, int] | None = None,
                 settings: Settings | None = None) -> None:
        if not runs:
            raise ToyganError("runs: name at least one run")
        settings = Settings() if settings is None else settings
        self.runs, self.steps, self.lr = list(runs), steps, lr
        self.gans = [dirac_gan(r.variant, r.gamma) for r in self.runs]
        self.paths = [trajectory(g, theta0, psi0, steps=steps, lr=lr, scheme=r.scheme, settings=settings)
                      for g, r in zip(self.gans, self.runs, strict=True)]
        self.game, self.named = shared_game(self.gans, self.runs)
        # one window for all: the paths' reach, but no more than thrice the start's distance (a path
        # that spirals out leaves the panel rather than shrinking every other one to a dot)
        start = max(abs(theta0), abs(psi0), 1.0)
        reach = max(2.0, min(3 * start, 1.1 * max(np.abs(p).max() for p in self.paths)))
        self.lookahead = lookahead_label(settings) if settings.lookahead_k else ""
        super().__init__(len(self.runs), width, look, size,
                         title_lines(self.gans, self.runs, settings, self.named))
        with self.styled():
            axes = self.grid_axes(len(self.runs))
            grid = np.linspace(-reach, reach, 41)
            tt, pp = np.meshgrid(grid, grid)
            self.lines, self.heads = [], []
            n = len(self.runs)
            for i, (ax, gan, run, path) in enumerate(zip(axes, self.gans, self.runs, self.paths,
                                                         strict=True)):
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
                self.outer_labels(ax, i, n, "θ (generator)", "ψ (discriminator)")
                last = run_summary(gan, run, lr, settings)
                ax.set_title(panel_title(gan, run, settings, last, self.named), fontsize=self.font)
            discrete = any(r.scheme != "continuous" for r in self.runs)
            self.legend(axes[:1], [RHO] if discrete else [])
            self.title = self.fig.suptitle(self._title(steps), fontsize=11)
            self.freeze()

    def _title(self, step: int) -> str:
        around = f"\n{self.lookahead} around every method" if self.lookahead else ""
        return f"{self.game} · step {step:,} / {self.steps:,}{around}"

    def animated(self) -> list:
        return [*self.lines, *self.heads, self.title]

    def frame(self, i: int) -> np.ndarray:
        """Step ``i`` as RGB uint8 ``(height, width, 3)``."""
        for line, head, path in zip(self.lines, self.heads, self.paths, strict=True):
            line.set_data(path[: i + 1, 0], path[: i + 1, 1])
            head.set_data([path[i, 0]], [path[i, 1]])
        self.title.set_text(self._title(i))
        return self.blit()

    @property
    def frames(self) -> int:
        return self.steps + 1

    def caption(self, i: int) -> str:
        return f"iteration {i:,}"


def shared_game(gans: Sequence, runs: Sequence[DiracRun]) -> tuple[str, bool]:
    """The game for the figure's title, and whether each panel must name its own (they play
    different ones)."""
    if len({(r.variant, gan.gamma) for gan, r in zip(gans, runs, strict=True)}) == 1:
        if runs[0].variant in DIRAC_VARIANTS:
            return f"Dirac-GAN, {gans[0].titled()} (Mescheder et al. 2018)", False
        return f"{gans[0].titled()} game", False
    if all(r.variant in DIRAC_VARIANTS for r in runs):
        return "Dirac-GAN (Mescheder et al. 2018): p_data = δ₀, D(x) = ψx", True
    return "two-parameter games: G’s θ, D’s ψ", True
