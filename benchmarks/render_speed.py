"""Rendering speed: toygan's animation (figure built once, artists updated, blitting) against a
naive renderer that builds a new figure for every frame, on the same history, in this one process.

The naive renderer draws what toygan's default three panels draw: the data density's 1/2/3σ
contours with the generator samples, D(x) as an image with its colorbar, the D = ½ contour and the
data modes, and the mean-D curves with ½ and a cursor; titles, a suptitle and a legend. It is what
one writes from the matplotlib tutorials: ``plt.subplots`` per frame, draw, copy the pixels, close.
It skips the layout engine (constrained layout alone would halve its speed), so it is a fast
naive renderer whose panels may overlap, not a straw man.

Also timed: a 100-frame three-panel GIF at 800 px end to end (``toygan.render.render``), and its
size. Frames per second are medians over ``--repeats`` runs, alternating, because the machine is
shared and noisy.

    python benchmarks/render_speed.py [--frames 60] [--width 800] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import toygan  # noqa: E402
from toygan.data import make_target  # noqa: E402
from toygan.render import Animation, render  # noqa: E402


def naive_frames(history: toygan.History, indices: np.ndarray, width: int) -> float:
    """A new figure per frame; returns frames per second."""
    target = make_target(history.config.data.name, history.config.data.params)
    x0, x1, y0, y1 = history.window
    xx, yy = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    density = np.exp(target.log_prob(np.stack([xx.ravel(), yy.ravel()], 1))).reshape(xx.shape)
    peak = density.max()
    levels = [peak * np.exp(-k * k / 2) for k in (3, 2, 1)] + [peak * 1.01]
    xs, ys = history.grid_axes()
    steps, scalars = history.steps, history.scalars
    dpi = width / 9.6
    start = time.perf_counter()
    for i in indices:
        fig, axes = plt.subplots(1, 3, figsize=(9.6, 0.4 * 9.6), dpi=dpi)
        a, b, c = axes
        a.contourf(xx, yy, density, levels=levels, colors=["#c6dbef", "#6baed6", "#2171b5"])
        a.scatter(*history.samples[i, 0].T, s=3, c="#ff7f0e", alpha=0.7, linewidths=0,
                  label="G(z)")
        a.set_aspect("equal")
        a.set_title("Generator vs data")
        d = history.d_grid[i, 0]
        image = b.imshow(d, origin="lower", extent=history.window, cmap="RdBu",
                         vmin=0, vmax=1, interpolation="bilinear")
        fig.colorbar(image, ax=b)
        if d.min() < 0.5 < d.max():
            b.contour(xs, ys, d, levels=[0.5], colors="k")
        b.scatter(*target.modes.T, s=14, facecolors="none", edgecolors="k", label="data modes")
        b.set_title("Discriminator D(x)")
        c.plot(steps[: i + 1], scalars["d_real"][: i + 1, 0], label="mean D(real)")
        c.plot(steps[: i + 1], scalars["d_fake"][: i + 1, 0], label="mean D(G(z))")
        c.axhline(0.5, ls="--", c="0.3")
        c.axvline(steps[i], c="0.5")
        c.set_xlim(0, history.config.train.steps)
        c.set_ylim(0, 1)
        c.set_title("Convergence toward D = ½")
        fig.suptitle(f"step {steps[i]}")
        fig.legend(loc="lower center", ncol=4)
        fig.canvas.draw()
        np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
        plt.close(fig)
    return len(indices) / (time.perf_counter() - start)


def toygan_frames(history: toygan.History, indices: np.ndarray, width: int) -> float:
    """toygan's Animation, figure built inside the timing; returns frames per second."""
    start = time.perf_counter()
    animation = Animation(history, width=width)
    for i in indices:
        animation.frame(int(i))
    animation.close()
    return len(indices) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--width", type=int, default=800)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    config = toygan.Config().replace(**{"train.steps": 3000})
    history = toygan.train(config, progress=False)
    indices = np.linspace(0, history.n_snapshots - 1, args.frames).round().astype(int)
    naive_frames(history, indices[:3], args.width)  # warm up fonts and caches on both sides
    toygan_frames(history, indices[:3], args.width)
    naive, ours = [], []
    for _ in range(args.repeats):
        naive.append(naive_frames(history, indices, args.width))
        ours.append(toygan_frames(history, indices, args.width))
    n, t = statistics.median(naive), statistics.median(ours)
    print(f"{args.frames} frames, 3 panels, {args.width} px, median of {args.repeats}:")
    print(f"  naive, new figure per frame : {n:6.1f} frames/s  (runs: "
          f"{', '.join(f'{v:.1f}' for v in naive)})")
    print(f"  toygan, blitted             : {t:6.1f} frames/s  (runs: "
          f"{', '.join(f'{v:.1f}' for v in ours)})")
    print(f"  ratio                       : {t / n:6.2f}×")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ring.gif"
        start = time.perf_counter()
        render(history, path, width=800, max_frames=100)
        seconds = time.perf_counter() - start
        print(f"100-frame three-panel GIF at 800 px: {seconds:.1f} s, "
              f"{path.stat().st_size / 1e6:.2f} MB")
        path = Path(tmp) / "ring.html"
        start = time.perf_counter()
        render(history, path, width=800, max_frames=100)
        print(f"the same as an HTML player: {time.perf_counter() - start:.1f} s, "
              f"{path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
