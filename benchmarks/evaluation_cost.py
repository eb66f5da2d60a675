"""What the end-of-run evaluation costs a member (``Game.evaluate``): its JSD's kernel estimate
costs n², so the time grows about 16-fold from 2,500 to 10,000 samples. Trains the ring and the
grid preset briefly (``--members`` seeds, one ensemble), then times one evaluation at each size
and prints the seconds per member.

    python benchmarks/evaluation_cost.py [--members 4]
"""

from __future__ import annotations

import argparse
import time

import toygan
from toygan.presets import preset_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=4)
    args = parser.parse_args()
    print(f"{'preset':>6}  {'samples':>7}  seconds a member ({args.members} members)")
    for preset in ("ring", "grid"):
        config = preset_config(preset).replace(**{"train.steps": 200, "train.members": args.members,
                                                  "record.eval_samples": 0})
        game = toygan.Game(config)
        game.run(progress=False)
        for n in (2500, 10000):
            start = time.perf_counter()
            game.evaluate(n)
            print(f"{preset:>6}  {n:>7,}  {(time.perf_counter() - start) / args.members:.2f}")


if __name__ == "__main__":
    main()
