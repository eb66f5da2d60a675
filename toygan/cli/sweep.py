"""``toygan sweep``: a grid of configurations × seeds, trained and tabulated."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from toygan.cli.common import EXIT_INTERRUPTED, quiet_pool, say, set_value, signals_interrupt
from toygan.errors import ToyganError
from toygan.sweep import load_spec, read_summary, run_sweep
from toygan.sweep.backends import BACKENDS
from toygan.sweep.results import check_arms, compare, read_rows, summary_table
from toygan.sweep.run import check_memory
from toygan.sweep.spec import SweepSpec
from toygan.validate import number

__all__ = ["sweep_command"]


def sweep_command(sub: argparse._SubParsersAction) -> None:
    """``toygan sweep`` and its options."""
    sweep = sub.add_parser(
        "sweep", help="train a grid of configurations × seeds and tabulate the statistics",
        description="Run a sweep spec (see docs/sweeps.md): every configuration is one task, its "
                    "seeds one batched ensemble; tasks already done in OUT are skipped, a failed "
                    "one is recorded and the others go on.")
    sweep.add_argument("spec", metavar="SPEC.toml", help="the sweep spec")
    sweep.add_argument("--out", help="sweep folder (re-running resumes it)")
    sweep.add_argument("--plan", action="store_true",
                       help="list the configurations (id, kind: grid, grid × cross or listed, label) "
                            "and exit without training")
    sweep.add_argument("--backend", choices=list(BACKENDS), default="joblib",
                       help="joblib: local processes (default); dask: a Dask cluster")
    sweep.add_argument("--address", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                                         "(default: a local cluster of --workers processes)")
    sweep.add_argument("--workers", type=int, default=1, help="local processes (default: 1)")
    sweep.add_argument("--timeout", type=float, default=10.0,
                       help="seconds to wait for the Dask scheduler (default: 10)")
    sweep.add_argument("--device", choices=["cpu", "cuda", "auto"],
                       help="where the tasks train (overrides the spec's train.device)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    sweep.add_argument("--force", action="store_true",
                       help="run in a folder that holds another sweep")
    sweep.add_argument("--compare", metavar="KEY=A,B",
                       help="compare KEY = B with KEY = A in each pair of configurations that differ "
                            "in KEY alone: both arms and the paired difference over the same seeds, "
                            "its standard error and an exact sign-flip test (written to compare.md)")
    sweep.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec, device=args.device)  # every configuration is checked first
    if args.compare:
        args.compare = _compared(args.compare, spec)
    if args.plan:
        print(spec.table())
        return 0
    if not args.out:
        raise ToyganError("--out is required (the sweep folder), unless --plan")
    number("--timeout", args.timeout, 0, 3600)
    if args.address is None:  # before the announcement: a sweep that cannot fit is one line
        check_memory(spec, args.workers)
    out = Path(args.out)
    quiet_pool()
    start = time.perf_counter()
    with signals_interrupt():  # before the announcement, which tells a caller the work started
        try:
            say(args, f"sweep: {spec.table().splitlines()[0].rstrip(':')} on {args.backend}"
                      + (f" at {args.address}" if args.address else f" with {args.workers} worker(s)"))
            run_sweep(spec, out, backend=args.backend, workers=args.workers, address=args.address,
                      timeout=args.timeout, progress=not args.quiet, force=args.force,
                      report=None if args.quiet else lambda line: print(line, file=sys.stderr))
            status = _sweep_outcome(args, spec, out, time.perf_counter() - start)
            if args.compare and status == 0:
                print(compare(spec, out, *args.compare))
            return status
        except KeyboardInterrupt:
            done = sum(read_rows(out / "tasks" / t.id, spec.seeds) is not None for t in spec.tasks)
            print(f"toygan: sweep interrupted: {done} of {len(spec.tasks)} configurations done and "
                  "tabulated; run the same command again to train the rest", file=sys.stderr)
            return EXIT_INTERRUPTED


def _compared(text: str, spec: SweepSpec) -> tuple[str, object, object]:
    """``KEY=A,B`` (each value read as --set reads one) → (key, a, b), checked against the spec."""
    key, sep, pair = text.partition("=")
    arms = pair.split(",")
    if not sep or not key.strip() or len(arms) != 2 or not all(arm.strip() for arm in arms):
        raise ToyganError(f"--compare {text!r}: write KEY=A,B, e.g. --compare train.loss=saturating,"
                          "non-saturating")
    a, b = (set_value(f"{key}={arm}")[1] for arm in arms)
    check_arms(spec, key.strip(), a, b)  # before any training
    return key.strip(), a, b


def _sweep_outcome(args: argparse.Namespace, spec: SweepSpec, out: Path, seconds: float) -> int:
    """The sweep's closing lines: where its tables are, what failed, what is not done."""
    say(args, f"done in {seconds:.0f} s: {out / 'summary.md'}, {out / 'summary.csv'}, {out / 'rows.csv'}, "
              f"{out / 'plots'}")
    summary = read_summary(out) if (out / "summary.json").is_file() else []
    if summary:
        say(args, summary_table(summary).rstrip())
    failed = [e["label"] for e in summary if e["failed"]]
    if failed:
        print(f"toygan: {len(failed)} of {len(spec.tasks)} configurations failed for some seeds "
              f"({', '.join(failed[:3])}{', ...' if len(failed) > 3 else ''}): see the error column "
              f"of {out / 'rows.csv'}", file=sys.stderr)
    if len(summary) < len(spec.tasks):
        print(f"toygan: {len(spec.tasks) - len(summary)} of {len(spec.tasks)} configurations are "
              "not done; run the same command again to train them", file=sys.stderr)
        return 1
    return 0
