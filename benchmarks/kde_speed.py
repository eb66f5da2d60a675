"""KDE speed: toygan's ``KDE.log_prob`` (log-sum-exp over the samples in chunks, in NumPy) against
scikit-learn's ``KernelDensity.score_samples`` (the plain reference: a Gaussian kernel, the same
bandwidth, its default tree), on the sizes toygan uses: 512 generator samples evaluated on a
96 × 96 grid (one D* map) and on 4,096 points (a JSD estimate). Times are medians over
``--repeats`` runs, the two alternating, because the machine is shared and noisy.

    python benchmarks/kde_speed.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.neighbors import KernelDensity

from toygan.data import make_target
from toygan.theory import kde


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    samples = make_target("ring", {}).sample(512, rng)
    grid = np.stack(np.meshgrid(np.linspace(-2.5, 2.5, 96), np.linspace(-2.5, 2.5, 96)), -1).reshape(-1, 2)
    cases = {"D* map, 96 × 96 grid": grid,
             "JSD estimate, 4,096 points": make_target("ring", {}).sample(4096, rng)}
    print("KDE of 512 ring samples")
    print(f"{'bandwidth':<22}{'evaluated on':<28}{'toygan':>10}{'sklearn':>10}{'sklearn / toygan':>18}"
          f"{'max |Δ log p|':>15}")
    # Scott's rule (wide: h ≈ 0.5 on the ring), and the narrow h of the ring-saturating preset,
    # where scikit-learn's tree prunes more
    for rule in ("scott", 0.05):
        ours = kde(samples, rule)
        theirs = KernelDensity(kernel="gaussian", bandwidth=ours.bandwidth).fit(samples)
        for name, x in cases.items():
            a, b = [], []
            for _ in range(args.repeats):
                a.append(seconds(lambda f=ours.log_prob, x=x: f(x)))
                b.append(seconds(lambda f=theirs.score_samples, x=x: f(x)))
            gap = float(np.abs(ours.log_prob(x) - theirs.score_samples(x)).max())
            ta, tb = statistics.median(a), statistics.median(b)
            h = f"{rule}, h = {ours.bandwidth:.3g}" if isinstance(rule, str) else f"h = {rule:g}"
            print(f"{h:<22}{name:<28}{ta * 1e3:>8.1f}ms{tb * 1e3:>8.1f}ms{tb / ta:>17.2f}×{gap:>15.1e}")


if __name__ == "__main__":
    main()
