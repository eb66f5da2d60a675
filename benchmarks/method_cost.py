"""Each minimax method's time per iteration on the ring preset (toygan's default networks, 2 → 128 →
128 and 2 → 128 → 128 → 1, batch 256, Adam, one thread), relative to ``alternating`` (Algorithm 1,
the plain reference), all in this one process; medians over ``--repeats`` rounds, the methods
taking turns within each round because the machine is shared and noisy. The snapshots are left
out (``record.every`` beyond the run), so only the iterations are timed.

    python benchmarks/method_cost.py [--steps 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from toygan import Game
from toygan.methods import METHODS
from toygan.presets import preset_config


def seconds_per_step(method: str, steps: int) -> float:
    config = preset_config("ring").replace(**{"train.updates": method, "train.steps": steps + 5,
                                              "record.every": 10**6, "record.eval_samples": 0})
    game = Game(config)
    game.run(5, progress=False)  # warm-up: the first steps allocate
    start = time.perf_counter()
    game.run(progress=False)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in METHODS}
    for _ in range(args.repeats):
        for name in METHODS:
            times[name].append(seconds_per_step(name, args.steps))
    base = statistics.median(times["alternating"])
    print(f"ring preset, {args.steps} steps, median of {args.repeats}; relative to alternating "
          f"({1000 * base:.1f} ms per iteration)")
    for name in METHODS:
        t = statistics.median(times[name])
        print(f"{name:>14}: {1000 * t:7.1f} ms per iteration, {t / base:5.1f}×")


if __name__ == "__main__":
    main()
