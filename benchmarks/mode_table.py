"""Mode coverage of GAN variants on the ring and the grid, over many seeds: the VEEGAN / PacGAN
table for toygan.

Each variant trains ``--seeds`` members as one batched ensemble for a fixed budget of generator
steps; at the end 2,500 samples per member are scored with ``toygan.metrics.mode_coverage`` (a
sample is high quality within 3σ of its nearest mode; a mode is captured by one such sample).
Prints mean ± standard error over seeds of modes captured, high-quality %, reverse KL.

    python benchmarks/mode_table.py            # 10 seeds, 2,000 steps (~17 min here)
    python benchmarks/mode_table.py --quick    # 4 seeds, 300 steps: a smoke test
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import toygan

VARIANTS: dict[str, dict] = {
    "GAN (saturating)": {"train.loss": "saturating"},
    "GAN (non-saturating)": {},
    "LSGAN": {"train.loss": "least-squares"},
    "WGAN-GP": {"train.loss": "wasserstein", "train.regularizer": "gradient-penalty",
                "train.gamma": 0.1, "train.d_steps": 5, "train.lr_d": 1e-4, "train.lr_g": 1e-4,
                "train.betas": [0.5, 0.9]},
    "R1 (γ = 1)": {"train.regularizer": "r1", "train.gamma": 1.0},
    "unrolled (K = 5)": {"train.unroll": 5},
    "PacGAN2": {"train.pack": 2},
    "PacGAN3": {"train.pack": 3},
    "PacGAN4": {"train.pack": 4},
    "k = 5 D steps": {"train.d_steps": 5},
}
"""Label → config overrides on top of the common settings."""

TARGETS = {
    "ring (8 modes, r 2, σ 0.02)": {"data.name": "ring",
                                     "data.params": {"n_modes": 8, "radius": 2.0, "std": 0.02}},
    "grid (25 modes, spacing 2, σ 0.05)": {"data.name": "grid",
                                            "data.params": {"side": 5, "spacing": 2.0, "std": 0.05}},
}


def run(target: dict, variant: dict, steps: int, seeds: int, batch: int) -> tuple[np.ndarray, float]:
    """Final (modes, high-quality fraction, reverse KL) per seed, shape (seeds, 3), and seconds."""
    config = toygan.Config().replace(**{
        **target, **variant, "train.steps": steps, "train.members": seeds,
        "train.batch_size": batch, "record.every": steps, "record.n_samples": 2500,
        "record.grid_size": 8,
    })
    start = time.perf_counter()
    history = toygan.train(config, progress=False)
    seconds = time.perf_counter() - start
    if history.status != "completed":
        print(f"    {history.message}", file=sys.stderr)
    s = history.scalars
    final = np.stack([s["modes_captured"][-1], s["high_quality_fraction"][-1], s["reverse_kl"][-1]], 1)
    return final, seconds


def mean_se(x: np.ndarray) -> str:
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return "n/a"
    se = x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1 else float("nan")
    return f"{x.mean():.2f} ± {se:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--quick", action="store_true", help="4 seeds, 300 steps")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.seeds = 300, 4
    total = time.perf_counter()
    print(f"budget: {args.steps:,} generator steps, batch {args.batch}, {args.seeds} seeds per cell, "
          "G and D 2→128→128 MLPs, Adam 1e-3 β = (0.5, 0.999) unless the variant says otherwise; "
          "metrics on 2,500 samples per seed (mean ± standard error over seeds)\n")
    for target_name, target in TARGETS.items():
        print(f"## {target_name}\n")
        print("| variant | modes captured | high-quality % | reverse KL | train s |")
        print("|---|---|---|---|---|")
        for name, variant in VARIANTS.items():
            final, seconds = run(target, variant, args.steps, args.seeds, args.batch)
            print(f"| {name} | {mean_se(final[:, 0])} | {mean_se(100 * final[:, 1])} | "
                  f"{mean_se(final[:, 2])} | {seconds:.0f} |", flush=True)
        print()
    print(f"total: {time.perf_counter() - total:.0f} s")


if __name__ == "__main__":
    main()
