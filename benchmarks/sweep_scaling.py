"""Sweep scaling: the same sweep (8 configurations × 4 seeds) with 1 and with 2 local joblib
workers, each in a fresh folder; prints the wall time of each and the speed-up.

    python benchmarks/sweep_scaling.py [--steps 400]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from toygan.sweep import load_spec, run_sweep

SPEC = """[sweep]
seeds = 4
preset = "ring"

[train]
steps = {steps}

[grid]
"train.loss" = ["saturating", "non-saturating"]
"train.d_steps" = [1, 2]
"train.lr_g" = [1e-3, 3e-4]
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.toml"
        path.write_text(SPEC.format(steps=args.steps))
        spec = load_spec(path)
        seconds = {}
        for workers in (1, 2):
            start = time.perf_counter()
            run_sweep(spec, Path(tmp) / f"w{workers}", workers=workers, progress=False)
            seconds[workers] = time.perf_counter() - start
    print(f"{len(spec.tasks)} configurations × {spec.seeds} seeds × {args.steps} steps (joblib):")
    for workers, s in seconds.items():
        print(f"  {workers} worker(s): {s:6.1f} s")
    print(f"  speed-up with 2 workers: {seconds[1] / seconds[2]:.2f}×")


if __name__ == "__main__":
    main()
