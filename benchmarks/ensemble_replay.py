"""How far an ensemble member drifts from the single run of its seed: the ring preset trained once
as an ensemble of ``--members`` seeds, and each seed again on its own (the plain reference). They
start from the same numbers; the batched matrix products sum in another order, so they differ by
float rounding per step, and GAN training amplifies that. Prints, per member, the largest
difference between the two runs' samples and the modes each captured, at the last snapshot, plus
whether the same command gives byte-identical histories (it must).

    python benchmarks/ensemble_replay.py [--steps 3000] [--members 4]
"""

from __future__ import annotations

import argparse

import numpy as np

from toygan import Game
from toygan.presets import preset_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--members", type=int, default=4)
    args = parser.parse_args()
    config = preset_config("ring").replace(**{"train.steps": args.steps, "train.members": args.members})
    ensemble = Game(config).run(progress=False)
    again = Game(config).run(progress=False)
    same = ensemble.to_bytes() == again.to_bytes()
    print(f"ring preset, {args.steps} steps, {args.members} members; the same command twice gives "
          f"{'byte-identical' if same else 'DIFFERENT'} histories")
    print(f"{'member':>6}  {'seed':>4}  {'max |Δ sample|: first, middle, last snapshot':<46}  "
          "modes captured: ensemble, alone")
    mid = ensemble.n_snapshots // 2
    for i in range(args.members):
        seed = config.train.seed + i
        alone = Game(config.replace(**{"train.members": 1, "train.seed": seed})).run(progress=False)
        gaps = [float(np.abs(ensemble.samples[t, i] - alone.samples[t, 0]).max()) for t in (1, mid, -1)]
        modes = (int(ensemble.scalars["modes_captured"][-1, i]), int(alone.scalars["modes_captured"][-1, 0]))
        gap = f"{gaps[0]:.1e}, {gaps[1]:.2g}, {gaps[2]:.2g}"
        print(f"{i:>6}  {seed:>4}  {gap:<46}  {modes[0]}, {modes[1]}")


if __name__ == "__main__":
    main()
