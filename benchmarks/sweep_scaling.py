"""Sweep scaling: the same sweep (8 configurations × 4 seeds) on joblib and on a local Dask
cluster, with 1 and 2 workers, each a fresh ``toygan sweep`` process into a fresh folder; prints
each one's wall time and mean training time per task (the tasks' own ``seconds``), and the ratios
against joblib with the same workers in the same round (the reference). ``--dask-default`` adds a
Dask cluster whose workers keep Dask's default environment (``MALLOC_TRIM_THRESHOLD_=65536``): the
reference that shows why toygan's local cluster unsets it.

    python benchmarks/sweep_scaling.py [--steps 300] [--workers 1 2] [--rounds 3] [--dask-default]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from toygan.sweep import load_spec

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


# each sweep is the command a user runs, in a fresh process: no backend gets warm workers
RUN = """import contextlib
import sys
from unittest import mock
from toygan.cli import main
keep_dask_env = sys.argv.pop(1) == "dask-default-env"
with mock.patch("toygan.sweep.backends._NO_SLOW_ENV", {}) if keep_dask_env else contextlib.nullcontext():
    sys.exit(main(sys.argv[1:]))
"""


def measure(spec: Path, folder: Path, backend: str, workers: int, dask_env: bool) -> tuple[float, float]:
    """Wall seconds of ``toygan sweep`` (process start included), and the mean of its tasks'
    training seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN, "dask-default-env" if dask_env else "-", "sweep",
                    str(spec), "--out", str(folder), "--backend", backend, "--workers", str(workers),
                    "--quiet"], check=True)
    wall = time.perf_counter() - start
    per_task = [json.loads(p.read_text())[0]["seconds"] for p in folder.glob("tasks/*/rows.json")]
    return wall, statistics.mean(per_task)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3,
                        help="each backend runs once per round, interleaved, so that the machine's "
                             "drift hits all alike; figures are medians over the rounds")
    parser.add_argument("--dask-default", action="store_true",
                        help="also run Dask with its default worker environment")
    args = parser.parse_args()
    backends = [("joblib", "joblib", False), ("dask", "dask", False)]
    if args.dask_default:  # Dask's own pre-spawn environment, as `dask worker` starts workers
        backends.append(("dask, Dask's default env", "dask", True))
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.toml"
        path.write_text(SPEC.format(steps=args.steps))
        spec = load_spec(path)
        for round_ in range(args.rounds):
            for workers in args.workers:
                for name, backend, default_env in backends:
                    wall, task = measure(path, Path(tmp) / f"{round_}-{workers}-{backend}-{default_env}",
                                         backend, workers, default_env)
                    results.setdefault((name, workers), []).append((wall, task))
                    print(f"round {round_ + 1}: {name:<25} {workers} worker(s): wall {wall:6.1f} s, "
                          f"training per task {task:5.2f} s", flush=True)
    print(f"\n{len(spec.tasks)} configurations × {spec.seeds} seeds × {args.steps} steps, "
          f"{args.rounds} round(s); medians, and ratios against joblib with the same workers in "
          "the same round:")
    print(f"  {'backend':<25} {'workers':>7} {'per task':>9} {'wall':>8} {'task ratio':>11} "
          f"{'wall ratio':>11}")
    for (name, workers), runs in results.items():
        ref = results["joblib", workers]
        task_ratio = statistics.median(r[1] / j[1] for r, j in zip(runs, ref, strict=True))
        wall_ratio = statistics.median(r[0] / j[0] for r, j in zip(runs, ref, strict=True))
        print(f"  {name:<25} {workers:>7} {statistics.median(r[1] for r in runs):8.2f}s "
              f"{statistics.median(r[0] for r in runs):7.1f}s {task_ratio:10.2f}× {wall_ratio:10.2f}×")
    if 1 in args.workers and 2 in args.workers:
        for name, *_ in backends:
            speedup = statistics.median(a[0] / b[0] for a, b in
                                        zip(results[name, 1], results[name, 2], strict=True))
            print(f"  speed-up of {name} with 2 workers (wall): {speedup:.2f}×")


if __name__ == "__main__":
    main()
