"""Fused Adam (toygan's choice: one kernel for all parameters) against torch's default Adam (the
plain reference), training the ring preset for ``--steps`` steps in this one process; medians over
``--repeats`` runs, the two alternating, because the machine is shared and noisy.

    python benchmarks/adam_fused.py [--steps 400] [--repeats 4]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import toygan.optimizers as optimizers
from toygan import Game
from toygan.presets import preset_config


def default_adam(params, lr, t):
    return torch.optim.Adam(params, lr=lr, betas=tuple(t.betas))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()
    config = preset_config("ring").replace(**{"train.steps": args.steps, "record.every": 10**6,
                                              "record.eval_samples": 0})
    adams = {"fused (toygan)": optimizers.OPTIMIZERS["adam"], "default (reference)": default_adam}
    times: dict[str, list[float]] = {name: [] for name in adams}
    for _ in range(args.repeats):
        for name, adam in adams.items():
            optimizers.OPTIMIZERS["adam"] = adam
            game = Game(config)
            start = time.perf_counter()
            game.run(progress=False)
            times[name].append(time.perf_counter() - start)
    fused, plain = (statistics.median(times[name]) for name in adams)
    print(f"ring preset, {args.steps} steps: fused Adam {fused:.2f} s, default Adam {plain:.2f} s: "
          f"default / fused = {plain / fused:.2f}×")


if __name__ == "__main__":
    main()
