"""The one-axis picture of a 1D run."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection

from toygan.history import History
from toygan.render.panels.base import Context, Panel
from toygan.render.style import FAKE, REAL, ink
from toygan.theory import kde, min_bandwidth

__all__ = ["GoodfellowPanel"]


class GoodfellowPanel(Panel):
    """The one-axis picture of Goodfellow et al. (2014), Figure 1, for a 1D target: the data
    density (blue, dotted), the generator's density (orange; a KDE of its samples), the
    discriminator D(x) (black, dashed, right axis, with ½) and, below the x axis, the map from an
    evenly spaced latent line z to x = G(z). Where the lines bunch, G puts its mass."""

    name = "goodfellow"
    title = "p_data, p_g, D and x = G(z)"
    dims = (1,)
    width = 2.0

    def __init__(self, context: Context, ax: Axes) -> None:
        history, member = context.history, context.member
        super().__init__(context, ax)
        target = history.target()
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
        # under its line: D, drawn on its own axis, meets the x line where D = 0 (at the window's
        # edge, often), and a label above it sat on D's curve
        ax.text(x0, self.x_level, " x", va="top", ha="left", fontsize=9)
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
