"""``toygan check``: the theory claims (``toygan.claims``) and every recipe's checks as one suite.

A recipe ``NAME.toml`` (toygan's own ship in ``toygan/gallery``) is the claim ``recipe:NAME``: its
configurations are trained as batched ensembles and its checks measured, as ``toygan animations
build`` does, without drawing.
Claims run in separate processes (``jobs``), one torch thread each; each reports its values per
seed, whether it holds, and its time.
"""

from __future__ import annotations

import fnmatch
import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from toygan.claims import CLAIMS
from toygan.errors import ToyganError, first_line
from toygan.recipes import RECIPE_KINDS, evaluate, load_recipe, recipe_paths, with_seeds
from toygan.signals import deferred
from toygan.stats import mean_se, paired, rounded

__all__ = ["Entry", "Outcome", "entries", "choose", "run", "header", "row", "as_json", "RECIPE_PREFIX"]

RECIPE_PREFIX = "recipe:"


@dataclass(frozen=True)
class Entry:
    """A claim ``toygan check`` can run: its name, statement, source and whether ``--quick`` runs it."""

    name: str
    statement: str
    source: str
    quick: bool
    path: str = ""
    """The recipe file, for a recipe's claim."""


@dataclass
class Outcome:
    """What one claim measured: rows of (what, values per seed, holds), and the time it took.
    ``skipped`` says why a claim was not run (empty when it was)."""

    name: str
    statement: str
    rows: list[tuple[str, list[float], bool]] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str = ""

    @property
    def holds(self) -> bool:
        return not self.skipped and bool(self.rows) and all(ok for _, _, ok in self.rows)


def entries(recipes: str | Path | None) -> dict[str, Entry]:
    """Every claim: the theory claims, then one per recipe file in the folder ``recipes`` (None or
    a missing folder: none)."""
    out = {name: Entry(name, c.statement, c.source, True) for name, c in CLAIMS.items()}
    if recipes is not None and Path(recipes).is_dir():
        for path in recipe_paths(recipes):
            r = load_recipe(path)  # every recipe checked before any work
            out[RECIPE_PREFIX + r.name] = Entry(RECIPE_PREFIX + r.name, r.title, r.source, r.quick,
                                                str(path))
    return out


def choose(patterns: list[str], known: dict[str, Entry]) -> list[str]:
    """The claims named by ``patterns`` (names or shell patterns such as ``dirac-*`` or
    ``recipe:*``), in the suite's order; every claim when there are none.

    Raises:
        ToyganError: for a pattern that names no claim.
    """
    if not patterns:
        return list(known)
    for pattern in patterns:
        if not fnmatch.filter(known, pattern):
            hint = " (recipe claims need the recipe folder: --recipes DIR)" \
                if pattern.startswith(RECIPE_PREFIX) else ""
            raise ToyganError(f"claim {pattern!r}: no such claim{hint}; `toygan check --list` "
                              "lists them")
    return [name for name in known if any(fnmatch.fnmatchcase(name, p) for p in patterns)]


def _theory(name: str, seeds: int | None, quick: bool) -> list[tuple[str, list[float], bool]]:
    claim = CLAIMS[name]
    measured = claim.measure(seeds or (claim.quick_seeds if quick else claim.seeds))
    return [(measured.what, [float(v) for v in measured.values], measured.holds)]


def _recipe(path: str, seeds: int | None) -> list[tuple[str, list[float], bool]]:
    recipe = load_recipe(path)
    if seeds is not None and RECIPE_KINDS[recipe.kind].trains:  # a Dirac-GAN recipe has no seeds
        recipe = with_seeds(recipe, seeds)
    _, results = evaluate(recipe, say=lambda text: None)
    rows = []
    for r in results:
        what = (f"{r.check.describe()}{r.on_samples()} in at least {r.check.at_least} of {r.seeds} "
                f"seeds (held in {r.passed_seeds})")
        if r.against is not None:  # another variant's values, seed by seed: the paired comparison
            what += "; " + paired(r.against, r.values).text(r.check.against, r.check.variant or "this")
        rows.append((what, r.values, r.holds))
    return rows


def run_one(entry: Entry, seeds: int | None, quick: bool) -> Outcome:
    """Measure one claim; a claim that fails to run is reported as not holding, with the reason."""
    torch.set_num_threads(1)  # one process per claim: two threads each would compete for cores
    start = time.perf_counter()
    outcome = Outcome(entry.name, entry.statement)
    try:
        outcome.rows = _recipe(entry.path, seeds) if entry.path else _theory(entry.name, seeds, quick)
    except ToyganError as err:
        outcome.rows = [(f"could not be measured: {err}", [], False)]
    except Exception as err:  # noqa: BLE001 — a claim that crashes does not hold; say why, go on
        outcome.rows = [(f"could not be measured: {type(err).__name__}: {first_line(err)}", [], False)]
    outcome.seconds = time.perf_counter() - start
    return outcome


def run(chosen: list[Entry], *, seeds: int | None = None, quick: bool = False,
        jobs: int = 1) -> Iterator[Outcome]:
    """Measure the ``chosen`` claims, ``jobs`` at a time, yielding outcomes in order as they are
    done; with ``quick``, claims that are not quick are skipped (and yielded as such)."""
    todo = [e for e in chosen if e.quick or not quick]
    if jobs == 1 or len(todo) <= 1:
        done: Iterator[Outcome] = (run_one(e, seeds, quick) for e in todo)
    else:
        from joblib import Parallel, delayed  # (the pool: not imported by every command at start-up)

        with deferred():  # a stop while the workers start would leave them for the exit to wait on
            done = Parallel(n_jobs=jobs, return_as="generator")(
                delayed(run_one)(e, seeds, quick) for e in todo)
    for entry in chosen:
        if entry in todo:
            yield next(done)
        else:
            yield Outcome(entry.name, entry.statement, skipped="skipped by --quick")


def _values(values: list[float]) -> str:
    return ", ".join(f"{v:.3g}" for v in values) if values else "—"


def header(width: int) -> str:
    """The table's heading, for claim names up to ``width`` characters."""
    return f"{'claim':<{width}}  {'result':<6}  {'time':>7}  measured (one value per seed)"


def row(o: Outcome, width: int) -> str:
    """One claim's lines of the table."""
    if o.skipped:
        return f"{o.name:<{width}}  {'skip':<6}  {'':>7}  {o.skipped}"
    lines = []
    for i, (what, values, ok) in enumerate(o.rows):
        head = (f"{o.name:<{width}}  {'pass' if o.holds else 'FAIL':<6}  {o.seconds:>6.1f}s"
                if i == 0 else " " * (width + 17))
        mark = "" if ok or o.holds else " ✗"
        mean, se, n = mean_se(np.array(values, dtype=float))
        stats = f"; mean {rounded(mean, se)} (n = {n})" if n > 1 else ""
        lines.append(f"{head}  {what}: {_values(values)}{stats}{mark}")
    return "\n".join(lines)


def _finite(values: list[float]) -> list[float | None]:
    """Values for JSON, which has no NaN or infinity: those become null."""
    return [v if math.isfinite(v) else None for v in values]


def as_json(outcomes: list[Outcome], seconds: float) -> str:
    """The outcomes as one JSON document: every claim's rows, result (null when skipped) and
    time, and the verdict over the claims run; non-finite values are null."""
    claims = []
    for o in outcomes:
        item = asdict(o)
        item["rows"] = [{"measured": w, "values": _finite(v), "holds": ok,
                         **dict(zip(("mean", "se", "n"), mean_se(np.array(v, dtype=float)), strict=True))}
                        for w, v, ok in o.rows]
        item["holds"] = None if o.skipped else o.holds
        claims.append(item)
    ran = [o for o in outcomes if not o.skipped]
    return json.dumps({"holds": all(o.holds for o in ran), "seconds": round(seconds, 1),
                       "claims": claims}, indent=1, ensure_ascii=False, allow_nan=False)
