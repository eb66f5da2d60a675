"""Panels of the data modes the generator covers: per mode over time for one seed, and per mode
over the seeds of an ensemble."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.ticker import Locator

from toygan.history import History
from toygan.render.panels.base import Context, Panel, needs_modes, rename_steps, steps_axis
from toygan.render.style import BAR_COLOUR, MODE_COLOUR, MODES_CMAP, ink

__all__ = ["ModeTimelinePanel", "SeedCoveragePanel"]


class ModeTicks(Locator):
    """Every mode's number on the axis, as the samples panel numbers them, or every 2nd, 5th, 10th
    ... where the axes are too short for all: worked out when drawn, at the laid-out height and
    the axis' label size."""

    def __init__(self, k: int) -> None:
        self.k = k

    def __call__(self) -> list[int]:
        return self.tick_values(-0.5, self.k - 0.5)

    def tick_values(self, vmin: float, vmax: float) -> list[int]:
        ax = self.axis.axes
        size = self.axis.get_tick_params().get("labelsize", 8.0)
        size = size if isinstance(size, (int, float)) else 8.0  # a named size ("small"): about 8 pt
        # digits are about 0.7 of the font size tall: 1.15 leaves a clear gap between them
        fits = max(1.0, ax.get_window_extent().height / (1.15 * size * ax.figure.dpi / 72))
        step = 1
        while self.k / step > fits:  # 1, 2, 5, 10, 20, 50, ...
            step = step * 5 // 2 if str(step)[0] == "2" else step * 2
        return [m for m in range(0, self.k, step) if vmin <= m <= vmax]


class ModeTimelinePanel(Panel):
    """Which data modes the generator covers at which step: one row per mode, one column per
    snapshot, coloured by the mode's share of the high-quality samples (``toygan.metrics``). Mode
    hopping shows as a bright cell that moves from row to row."""

    name = "modes"
    needs = frozenset({"modes"})
    title = "Modes covered over time"
    dims = (1, 2)
    width = 1.2
    height = 0.8  # a row a mode: less than a map, more than a curve

    @classmethod
    def check(cls, history: History) -> None:
        needs_modes(history, cls.name)

    def __init__(self, context: Context, ax: Axes) -> None:
        fig, history = context.fig, context.history
        super().__init__(context, ax)
        k = history.mode_counts.shape[-1]
        # full colour from a mode's fair share (1/k) up: a run that covers more modes, each with
        # a smaller share, must not look paler than one that covers a few
        self.image = ax.imshow(np.full((k, 1), np.nan), origin="lower", aspect="auto",
                               cmap=MODES_CMAP, norm=Normalize(0.0, 1.0 / k),
                               interpolation="nearest")
        self.rebind(history)
        self.step_names = steps_axis(ax, history)
        ax.set_ylabel("data mode", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.yaxis.set_major_locator(ModeTicks(k))
        bar = fig.colorbar(self.image, ax=ax, fraction=0.046, pad=0.03, extend="max")
        bar.ax.tick_params(labelsize=8)
        bar.ax.set_title("share", fontsize=8, loc="left")
        self.cursor = ax.axvline(0, c=ink(0.5), lw=0.8)
        ax.set_title(self.title, fontsize=10)
        (self.key,) = ax.plot([], [], marker="s", ls="none", c=MODE_COLOUR,
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
        return [self.image, self.cursor, *self.ax.spines.values(), *self.step_names]

    def update(self, i: int) -> None:
        shown = np.full_like(self.share, np.nan)
        shown[:, : i + 1] = self.share[:, : i + 1]
        self.image.set_data(shown)
        step = self.history.steps[i]
        self.cursor.set_xdata([step, step])
        rename_steps(self.step_names, self.history, i)


class SeedCoveragePanel(Panel):
    """For an ensemble: the fraction of seeds whose samples capture each data mode at this step
    (a mode is captured if at least one high-quality sample has it as its nearest mode,
    ``toygan.metrics``), and how many seeds capture all of them. Shows every member at once."""

    name = "coverage"
    ensemble = True
    title = "Modes captured, over seeds"
    dims = (1, 2)

    @classmethod
    def check(cls, history: History) -> None:
        needs_modes(history, cls.name)

    def __init__(self, context: Context, ax: Axes) -> None:
        history = context.history
        super().__init__(context, ax)
        self.rebind(history)
        k = self.captured.shape[-1]
        self.bars = ax.bar(np.arange(k), np.zeros(k), width=0.8, color=BAR_COLOUR,
                           label="share of seeds that capture the mode")
        ax.set_xlim(-0.6, k - 0.4)
        ax.set_ylim(0, 1.22)  # room above the bars for the count of seeds with every mode
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
        ax.set_xlabel("data mode", fontsize=9)
        ax.set_ylabel(f"share of {history.members} seed{'s' if history.members != 1 else ''}", fontsize=9)
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
        n = self.history.members
        seeds = f"{n} seed{'s' if n != 1 else ''}"
        self.note.set_text(f"all {self.captured.shape[-1]} modes: {all_modes} of {seeds}")
