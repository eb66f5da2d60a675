"""The eigenvalues of a neural GAN's game in the complex plane, snapshot by snapshot (Mescheder et
al. 2017, Fig. 3): left of the imaginary axis attracts, right of it repels, and the spread along
it is the rotation that makes GANs circle."""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.axes import Axes

from toygan.errors import ToyganError
from toygan.history import History
from toygan.render.panels.base import Context, Panel, Shared
from toygan.render.style import FAKE, ink

__all__ = ["EigenvaluesPanel", "field_label"]

STABLE = "#1b9e77"


def field_label(a: float, b: float) -> str:
    """The field −(aξ + bJᵀξ) by name: the game's own, consensus's or the Hamiltonian."""
    if b == 0:
        return "game field −ξ"
    if a == 0:
        return "Hamiltonian field −Jᵀξ"
    return f"consensus field, γ = {b:g}"


class EigenvaluesPanel(Panel):
    """The eigenvalues λ of the Jacobian of the field the players follow (``record.eigenvalues``),
    one dot each at this snapshot over a faint trace of the earlier ones; the half-plane Re λ < 0
    shaded. The scales hold for the whole run; the text in the corner gives the largest Re λ and
    |Im λ| now."""

    name = "eigenvalues"
    title = "Eigenvalues of the Jacobian"
    dims = (1, 2)
    needs = frozenset({"eigenvalues"})

    @classmethod
    def agree(cls, runs: list[tuple[History, int]], shared: Shared) -> None:
        # one pair of axes for all runs, so that their spreads compare
        boxes = [cls._box(cls._complex(h, m)) for h, m in runs]
        shared.eigen_box = (min(b[0] for b in boxes), max(b[1] for b in boxes), max(b[2] for b in boxes))

    @classmethod
    def check(cls, history: History) -> None:
        if history.eigenvalues is None:
            raise ToyganError("panel 'eigenvalues': this run did not record them; train it with "
                              "record.eigenvalues = true")

    def __init__(self, context: Context, ax: Axes) -> None:
        super().__init__(context, ax)
        self.values = self._complex(context.history, self.member)
        n, k = self.history.eigen_parameters, self.values.shape[-1]
        self.exact = k >= n
        self.first = self._field(0)
        count = f"all {k:,}" if self.exact else f"the {k} largest |λ| of {n:,}"
        self.ax.set_title(f"{self.title}\n{self.first} · {count}", fontsize=10)
        self.box = context.shared.eigen_box or self._box(self.values)
        low, high, reach = self.box
        shade = ax.axvspan(min(low, 0), 0, color=STABLE, alpha=0.12, lw=0, label="Re λ < 0: attracts")
        ax.axvline(0, c=ink(0.6), lw=0.8)
        ax.axhline(0, c=ink(0.25), lw=0.6)
        ax.set_xlim(low, high)
        ax.set_ylim(-reach, reach)
        ax.set_xlabel("Re λ", fontsize=9)
        ax.set_ylabel("Im λ", fontsize=9)
        ax.tick_params(labelsize=8)
        (self.trace,) = ax.plot([], [], ls="none", marker=".", ms=2, c=ink(0.25), label="earlier snapshots")
        (self.dots,) = ax.plot([], [], ls="none", marker="o", ms=3.5, c=FAKE, mec="none",
                               label="eigenvalues now")
        box = {"facecolor": matplotlib.rcParams["axes.facecolor"], "edgecolor": ink(0.2), "alpha": 0.85}
        self.text = ax.text(0.03, 0.97, "", transform=ax.transAxes, fontsize=8, va="top", bbox=box,
                            color=ink())
        self.handles = [self.dots, self.trace, shade]

    @staticmethod
    def _complex(history: History, member: int) -> np.ndarray:
        pairs = history.eigenvalues[:, member]  # (T, K, 2)
        return pairs[..., 0] + 1j * pairs[..., 1]

    @staticmethod
    def _box(values: np.ndarray) -> tuple[float, float, float]:
        """The axes that hold every eigenvalue of the run with a margin: least and greatest Re λ
        (the imaginary axis always inside, and some room on its right), greatest |Im λ|."""
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return -1.0, 1.0, 1.0
        re, im = finite.real, finite.imag
        span = max(float(re.max() - re.min()), float(np.abs(im).max()), 1e-3)
        low = min(float(re.min()), 0.0) - 0.08 * span
        high = max(float(re.max()), 0.0) + 0.08 * span
        return low, high, 1.1 * max(float(np.abs(im).max()), 1e-3)

    def animated(self) -> list:
        return [self.trace, self.dots, self.text]

    def update(self, i: int) -> None:
        now = self.values[i]
        earlier = self.values[:i].ravel()
        self.trace.set_data(earlier.real, earlier.imag)
        self.dots.set_data(now.real, now.imag)
        finite = now[np.isfinite(now)]
        field = self._field(i)
        lines = [] if field == self.first else [f"now {field}"]  # (a method changed mid-run)
        if finite.size:
            # of the k largest only: the eigenvalues nearest 0, which may decide stability, are not
            # among them
            of = "" if self.exact else "of these: "
            lines += [f"{of}max Re λ = {finite.real.max():+.3g}",
                      f"max |Im λ| = {np.abs(finite.imag).max():.3g}"]
        self.text.set_text("\n".join(lines))

    def _field(self, i: int) -> str:
        field = self.history.eigen_field
        a, b = (1.0, 0.0) if field is None else field[i, self.member]
        return field_label(float(a), float(b))

    def rebind(self, history: History) -> None:
        super().rebind(history)
        self.values = self._complex(history, self.member)

    def outgrown(self, history: History) -> bool:
        low, high, reach = self._box(self._complex(history, self.member))
        return low < self.box[0] or high > self.box[1] or reach > self.box[2]
