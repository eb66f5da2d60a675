"""Your own networks batched over seeds: E = 8 members of a user's generator and discriminator
(2 → width → width → 2 and 2 → width → width → 1, LeakyReLU, built by factories) trained as one
game (``train.members = 8``: an ``nn.Sequential`` of Linear layers, so batched matrix products over
the stacked members) against the same 8 seeds trained one after another as one-member games, in
this one process, at batch 64, for widths 32, 64 and 128.

Both sides run toygan's own loop with the same recording cadence and no end-of-run evaluation
(the same work on either side), so the ratio is what batching buys. One line per width, ending
in the ratio (batched seed-steps per second over sequential).

    python benchmarks/own_ensemble_speed.py [--members 8] [--steps 300] [--threads 1]
"""

from __future__ import annotations

import argparse
import functools
import time

import torch
from torch import nn

import toygan


def make_generator(width: int) -> nn.Module:
    return nn.Sequential(nn.Linear(2, width), nn.LeakyReLU(0.2), nn.Linear(width, width),
                         nn.LeakyReLU(0.2), nn.Linear(width, 2))


def make_discriminator(width: int) -> nn.Module:
    return nn.Sequential(nn.Linear(2, width), nn.LeakyReLU(0.2), nn.Linear(width, width),
                         nn.LeakyReLU(0.2), nn.Linear(width, 1))


def seconds(config: toygan.Config, width: int) -> float:
    g, d = functools.partial(make_generator, width), functools.partial(make_discriminator, width)
    start = time.perf_counter()
    toygan.Game(config, generator=g, discriminator=d).run(progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    base = toygan.Config().replace(**{"train.steps": args.steps, "train.batch_size": 64,
                                      "train.threads": args.threads, "record.every": 100,
                                      "record.eval_samples": 0})  # training and recording only
    seconds(base.replace(**{"train.steps": 20}), 32)  # warm-up
    print(f"{args.members} members × {args.steps} steps, batch 64, {args.threads} thread(s), "
          f"torch {torch.__version__}; recording every 100 steps")
    for width in (32, 64, 128):
        batched = seconds(base.replace(**{"train.members": args.members}), width)
        sequential = sum(seconds(base.replace(**{"train.seed": seed}), width)
                         for seed in range(args.members))
        total = args.members * args.steps
        print(f"width {width}: batched {total / batched:6.0f} seed-steps/s, one after another "
              f"{total / sequential:6.0f} seed-steps/s, {sequential / batched:.2f}×")


if __name__ == "__main__":
    main()
