"""Ensemble speed: 32 seeds trained as one batched ensemble (``train.members = 32``) against the
same 32 seeds trained one after another (``train.members = 1``, seeds 0..31), in this one process,
at a small setting (width 32, batch 64) and at the defaults (width 128, batch 256).

Both sides run toygan's own loop with the same recording cadence, so the ratio is what batching
the members buys. Reported: generator steps per second summed over seeds, and the ratio.

    python benchmarks/ensemble_speed.py [--seeds 32] [--steps 300]
"""

from __future__ import annotations

import argparse
import time

import toygan


def throughput(config: toygan.Config, seeds: int) -> tuple[float, float]:
    """Seed-steps per second: (batched ensemble, sequential single runs)."""
    steps = config.train.steps
    start = time.perf_counter()
    toygan.train(config.replace(**{"train.members": seeds}), progress=False)
    batched = seeds * steps / (time.perf_counter() - start)
    start = time.perf_counter()
    for seed in range(seeds):
        toygan.train(config.replace(**{"train.seed": seed}), progress=False)
    sequential = seeds * steps / (time.perf_counter() - start)
    return batched, sequential


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=32)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    settings = {"small (width 32, batch 64)": {"model.g_width": 32, "model.d_width": 32,
                                               "train.batch_size": 64},
                "defaults (width 128, batch 256)": {}}
    toygan.train(toygan.Config().replace(**{"train.steps": 20}), progress=False)  # warm-up
    print(f"{args.seeds} seeds × {args.steps} steps, one thread, recording every 30 steps")
    for name, overrides in settings.items():
        config = toygan.Config().replace(**{"train.steps": args.steps, "record.eval_samples": 0,
                                            **overrides})  # training and recording only
        batched, sequential = throughput(config, args.seeds)
        print(f"  {name:<32} ensemble {batched:8.0f} seed-steps/s   sequential "
              f"{sequential:8.0f} seed-steps/s   ratio {batched / sequential:5.2f}×")


if __name__ == "__main__":
    main()
