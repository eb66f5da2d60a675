"""``toygan animations`` (build, list, show the recipe library) and ``toygan check`` (measure the
theory's and the recipes' claims)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from toygan.check import RECIPE_PREFIX, as_json, choose, entries, header, row, run
from toygan.cli.common import check_jobs, quiet_pool, recipes_folder, signals_interrupt
from toygan.errors import ToyganError
from toygan.recipes import (
    build_all,
    check_build_folder,
    load_recipe,
    recipe_paths,
    record_results,
    write_gallery,
)
from toygan.render.figure import frame_size
from toygan.validate import printable

__all__ = ["animations_command", "check_command"]


def animations_command(sub: argparse._SubParsersAction) -> None:
    """``toygan animations`` and its options."""
    animations = sub.add_parser(
        "animations", help="build the recipe library: every animation and its measured claim",
        description="build: train each recipe (toygan's own, or those in --recipes; seeds as one "
                    "batched ensemble), measure its claims over the seeds, draw the seed nearest "
                    "the median of the checks among those where every check holds, and write the "
                    "animations, results.json and a gallery page (README.md) into --out. The "
                    "histories are kept in OUT/histories: building again at another --size or "
                    "--format draws them without training. list: name and title of each recipe. "
                    "show NAME: print a recipe's file (to copy and change). "
                    "Exits 1 if a claim did not hold or no seed showed it.")
    animations.add_argument("action", choices=["build", "list", "show"])
    animations.add_argument("names", nargs="*", metavar="NAME",
                            help="recipes to build or show (default: all)")
    animations.add_argument("--recipes", metavar="DIR",
                            help="a folder of recipe files (default: toygan's own gallery)")
    animations.add_argument("--out",
                            help="folder to write (default: ./toygan-gallery)")
    animations.add_argument("--only", help="comma-separated recipe names, as NAME ... (default: all)")
    animations.add_argument("--size", help="frame size: 720p, 1080p, 4k or WIDTHxHEIGHT (default: "
                                           "each recipe's own: 1024x576 unless it names one)")
    animations.add_argument("--format", choices=["gif", "mp4", "html"],
                            help="animation format (default: gif)")
    animations.add_argument("--jobs", type=int, help="recipes built at once (default: one per core)")
    animations.add_argument("--retrain", action="store_true", default=None,
                            help="train again even where --out keeps the recipe's histories")
    animations.add_argument("--gallery", metavar="PAGE",
                            help="also write the gallery page here (e.g. docs/gallery.md)")
    animations.set_defaults(func=cmd_animations)


def cmd_animations(args: argparse.Namespace) -> int:
    folder = recipes_folder(args.recipes)
    paths = {path.stem: path for path in recipe_paths(folder)}
    if not paths:
        raise ToyganError(f"--recipes {str(folder)!r}: no recipe files (*.toml) there")
    only = [n.strip() for n in args.only.split(",")] if args.only is not None else []
    if args.only is not None and not all(only):
        raise ToyganError(f"--only {args.only!r}: name recipes, comma-separated (or leave --only out "
                          "for all)")
    asked = [*args.names, *only]
    chosen = asked or list(paths)
    for option in ("out", "size", "format", "jobs", "retrain", "gallery"):
        if args.action != "build" and getattr(args, option) is not None:
            raise ToyganError(f"--{option}: only 'animations build' takes it; 'animations "
                              f"{args.action}' only prints")
    unknown = [n for n in chosen if n not in paths]
    if unknown:
        raise ToyganError(f"recipe {unknown[0]!r}: there is no such recipe; choose from {list(paths)}")
    if args.action == "show":  # the file as it is (even one that does not load), to copy and change
        if not asked:
            raise ToyganError(f"animations show: name the recipe to print, e.g. 'toygan animations "
                              f"show {next(iter(paths))}'")
        for name in chosen:
            print(paths[name].read_text(encoding="utf-8"), end="")
        return 0
    recipes = [load_recipe(path) for path in paths.values()]  # all checked before any work
    if args.action == "list":
        for r in recipes:
            if r.name in chosen:
                print(printable(f"{r.name:<28} {r.title}"))
        return 0
    check_jobs(args.jobs)
    if args.size is not None:
        frame_size(args.size)  # a bad size is refused before any training
    out = Path(args.out or "toygan-gallery")
    todo = [r for r in recipes if r.name in chosen]
    check_build_folder(todo, out, args.gallery or None)  # nothing a build would spoil, before any work
    out.mkdir(parents=True, exist_ok=True)
    jobs = args.jobs or len(os.sched_getaffinity(0))
    quiet_pool()
    total, failed = time.perf_counter(), []
    for built, lines in build_all(todo, out, size=args.size, format=args.format or "gif",
                                  retrain=bool(args.retrain), jobs=jobs):
        record_results(out, built)  # before its lines, which say it is built
        print("\n".join(lines), flush=True)
        failed += [built.recipe.name] * (not built.holds)
    docs = Path(args.gallery) if args.gallery else None
    write_gallery(recipes, out, docs)
    print(f"built {len(todo)} recipe(s) in {time.perf_counter() - total:.0f} s on {min(jobs, len(todo))} "
          f"process(es); gallery: {out / 'README.md'}" + (f" and {docs}" if docs else ""))
    if failed:
        print(f"toygan: the claims of {', '.join(sorted(set(failed)))} did not hold in this build",
              file=sys.stderr)
        return 1
    return 0


def check_command(sub: argparse._SubParsersAction) -> None:
    """``toygan check`` and its options."""
    check = sub.add_parser(
        "check", help="measure the theory claims and the recipes' claims; exit 0 if all hold",
        description="Measure toygan's theory claims (D* = p_data/(p_data + p_g), V(D*, G) = −log 4 "
                    "+ 2·JSD, D → D*, D → ½, the saturating gradient, the Dirac-GAN) and every "
                    "recipe's checks, over seeds. Prints claim, result, time and the values per "
                    "seed; exits 0 when every chosen claim holds, 1 when one does not.")
    check.add_argument("claims", nargs="*", metavar="CLAIM",
                       help="claims to run, by name or pattern (e.g. 'dirac-*', 'recipe:*'); "
                            "default: all")
    check.add_argument("--list", action="store_true", help="list the claims and exit")
    check.add_argument("--seeds", type=int, metavar="N",
                       help="seeds per claim (default: each claim's own; a recipe's checks then "
                            "ask for the same share of seeds)")
    check.add_argument("--quick", action="store_true",
                       help="the cheap claims only, with fewer seeds (under 2 minutes on 2 cores)")
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.add_argument("--jobs", type=int, help="claims measured at once (default: 2, or 1 core)")
    check.add_argument("--recipes", metavar="DIR",
                       help="a folder of recipe files (default: toygan's own gallery)")
    check.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    if args.seeds is not None and not 1 <= args.seeds <= 1024:
        raise ToyganError(f"--seeds {args.seeds}: must be an integer from 1 to 1024")
    check_jobs(args.jobs)
    folder = recipes_folder(args.recipes)
    known = entries(folder)
    chosen = [known[name] for name in choose(args.claims, known)]
    if not args.claims and not args.json and not any(n.startswith(RECIPE_PREFIX) for n in known):
        print(f"toygan check: no recipe files in {str(folder)!r}, so no recipe claims (--recipes DIR)")
    if args.list:
        width = max(len(e.name) for e in chosen)
        for e in chosen:
            print(f"{e.name:<{width}}  {'quick' if e.quick else 'full ':<5}  {e.statement} ({e.source})")
        return 0
    if args.quick and not any(e.quick for e in chosen):
        raise ToyganError(f"--quick: skips every claim chosen ({', '.join(e.name for e in chosen)}); "
                          "run them without --quick")
    jobs = args.jobs or min(os.cpu_count() or 1, 2)
    quiet_pool()
    width = max(len(e.name) for e in chosen)
    start, outcomes = time.perf_counter(), []
    with signals_interrupt():  # before the header, which tells a caller that the work started
        if not args.json:
            print(header(width), flush=True)
        for outcome in run(chosen, seeds=args.seeds, quick=args.quick, jobs=jobs):
            outcomes.append(outcome)
            if not args.json:
                print(row(outcome, width), flush=True)
    seconds = time.perf_counter() - start
    ran = [o for o in outcomes if not o.skipped]
    failed = [o.name for o in ran if not o.holds]
    if args.json:
        print(as_json(outcomes, seconds))
    else:
        skipped = len(outcomes) - len(ran)
        print(f"{len(ran) - len(failed)} of {len(ran)} claims hold"
              + (f" ({skipped} skipped by --quick)" if skipped else "")
              + f" in {seconds:.0f} s on {jobs} process(es)"
              + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
