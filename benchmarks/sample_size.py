"""Why the evaluation states its sample size: the same trained generators measured on 512, 2,500
and 10,000 samples. A mode counts as captured once one high-quality sample lands on it, so a
generator that covers some modes thinly shows more of them the more samples are drawn; the
high-quality fraction and the JSD estimate do not grow that way (only their noise shrinks).

Trains the grid preset (25 modes) for ``--steps`` steps over ``--seeds`` seeds (one ensemble),
then evaluates every member at each size (``Game.evaluate``) and prints the mean over seeds.

    python benchmarks/sample_size.py [--seeds 4] [--steps 1500]
"""

from __future__ import annotations

import argparse

import numpy as np

import toygan
from toygan.presets import preset_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=1500)
    args = parser.parse_args()
    config = preset_config("grid").replace(**{"train.steps": args.steps, "train.members": args.seeds,
                                              "record.eval_samples": 0})
    game = toygan.Game(config)
    game.run(progress=False)
    print(f"grid preset, {args.steps} steps, seeds 0-{args.seeds - 1}: mean over seeds "
          f"(snapshots record {config.record.n_samples} samples)")
    print(f"{'samples':>8}  {'modes captured (of 25)':>22}  {'high-quality fraction':>21}  "
          f"{'JSD (nats)':>10}")
    for n in (512, 2500, 10000):
        m = game.evaluate(n)["metrics"]
        mean = {k: np.mean([np.nan if v is None else v for v in m[k]]) for k in m}
        print(f"{n:>8,}  {mean['modes_captured']:>22.2f}  {mean['high_quality_fraction']:>21.3f}  "
              f"{mean['jsd']:>10.3f}")


if __name__ == "__main__":
    main()
