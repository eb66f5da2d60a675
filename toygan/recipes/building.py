"""Building recipes: measure the checks, choose the seed that shows the claim, draw it; keep the
histories so that another size or format draws without training; several recipes at once, one
process of one thread each."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from toygan.errors import ToyganError
from toygan.history import History
from toygan.methods import METHODS
from toygan.recipes.checks import CheckResult
from toygan.recipes.kinds import RECIPE_KINDS
from toygan.recipes.measuring import measure
from toygan.recipes.reading import Recipe
from toygan.render.animation import FORMATS
from toygan.resources import eigen_seconds, network_params
from toygan.signals import deferred
from toygan.validate import choice

__all__ = ["evaluate", "shown_seed", "Built", "HISTORIES", "kept_paths", "kept_histories", "build",
           "build_all", "training_work", "MULTIPLY_ADD_SECONDS"]


def evaluate(recipe: Recipe, *, say: Callable[[str], None] = print, progress: bool = False
             ) -> tuple[dict[str, History], list[CheckResult]]:
    """Train (or integrate) the recipe and measure its checks, without drawing.

    Returns:
        Label → history (empty for a Dirac-GAN recipe), and one result per check.

    Raises:
        KeyboardInterrupt: when Ctrl-C stopped training (nothing is measured).
    """
    return RECIPE_KINDS[recipe.kind].measure(recipe, say, progress)


def every_check_holds(results: list[CheckResult], seeds: int) -> np.ndarray:
    """Per seed, whether every check holds there."""
    return np.all([np.asarray(r.passed, dtype=bool) for r in results] or [np.ones(seeds, bool)], axis=0)


def shown_seed(recipe: Recipe, results: list[CheckResult]) -> int | None:
    """The seed index a recipe's animation shows: among the seeds where every check holds, the one
    nearest the median of the checks (each check's distance from its median over the seeds, in
    units of its range; the lower index on a tie), or the recipe's own ``member`` if it names one
    and every check holds there; ``None`` when no seed shows the claim."""
    n = results[0].seeds if results else (1 if not RECIPE_KINDS[recipe.kind].trains else recipe.seeds)
    every = every_check_holds(results, n)
    distance = np.zeros(n)
    for r in results:
        values = np.asarray(r.values, dtype=np.float64)
        if r.against is not None:  # a check against another variant: the seed's margin
            values = values - np.asarray(r.against, dtype=np.float64)
        values = np.nan_to_num(values, nan=np.inf)
        spread = float(np.ptp(values[np.isfinite(values)])) if np.isfinite(values).any() else 0.0
        distance += np.abs(values - np.median(values)) / (spread or 1.0)
    if recipe.member is not None:
        return recipe.member if every[recipe.member] else None
    candidates = np.flatnonzero(every)
    return int(candidates[np.argmin(distance[candidates])]) if len(candidates) else None


@dataclass
class Built:
    """What ``build`` made of a recipe."""

    recipe: Recipe
    results: list[CheckResult]
    member: int | None
    """The seed index shown; ``None`` when no seed shows the claim (nothing was drawn)."""
    path: Path | None = None
    trained: bool = True
    """False when kept histories were drawn again, without training."""
    seconds: float = 0.0

    @property
    def seeds(self) -> int:
        return self.results[0].seeds if self.results else self.recipe.seeds

    @property
    def all_hold_in(self) -> int:
        """The seeds where every check holds."""
        return int(every_check_holds(self.results, self.seeds).sum())

    @property
    def holds(self) -> bool:
        """Every check holds in its share of seeds, and a seed shows the claim."""
        return self.member is not None and all(r.holds for r in self.results)

    def shown(self) -> str:
        """``seed 3 of 10 shown; every check holds in 9 of 10``."""
        if not RECIPE_KINDS[self.recipe.kind].trains:
            if self.member is None:
                return "no starting point shows the claim"
            starts = int(self.recipe.dirac.get("starts", 1))
            if starts == 1:
                return "one integration (no seeds)"
            return (f"starting point {self.member + 1} of {starts} shown (from (1, 1) round the circle); "
                    f"every check holds from {self.all_hold_in} of {starts}")
        if self.member is None:
            return f"no seed of {self.seeds} shows the claim: no check may fail in the seed shown"
        seed = self.recipe.config.train.seed + self.member
        index = f" (member {self.member})" if seed != self.member else ""
        return (f"seed {seed}{index} of {self.seeds} shown; every check holds in {self.all_hold_in} "
                f"of {self.seeds}")


HISTORIES = "histories"
"""The folder, in a build's output folder, where each recipe's histories are kept."""


def kept_paths(recipe: Recipe, out_dir: Path) -> dict[str, Path]:
    """Where each of the recipe's configs keeps its history (label → path)."""
    return {label: out_dir / HISTORIES / recipe.name / f"variant-{i}.npz"
            for i, label in enumerate(recipe.configs())}


def kept_histories(recipe: Recipe, out_dir: str | Path) -> dict[str, History] | None:
    """The recipe's histories kept by an earlier build in ``out_dir``, if every one is there,
    completed, and trained from the recipe's current configs; else ``None``."""
    paths = kept_paths(recipe, Path(out_dir))
    if not paths or not all(p.is_file() for p in paths.values()):
        return None
    histories = {}
    for (label, config), path in zip(recipe.configs().items(), paths.values(), strict=True):
        try:
            history = History.load(path)
        except ToyganError:
            return None  # unreadable: train again, and overwrite it
        if history.status != "completed" or history.config != config:
            return None
        histories[label] = history
    return histories


def build(recipe: Recipe, out_dir: str | Path, *, size: str | None = None, format: str = "gif",
          retrain: bool = False, say: Callable[[str], None] = print, progress: bool = False) -> Built:
    """Train (or integrate) the recipe, measure its checks, and draw the seed that shows the claim
    (``shown_seed``) as ``out_dir/NAME.FORMAT``.

    The histories are kept in ``out_dir/histories/NAME/``; a later build whose recipe trains the
    same configs draws and measures them again without training (unless ``retrain``), so a new
    size or format costs only the drawing.

    Args:
        size: a frame size (``"1080p"``, ``"1280x720"``, ...); ``None``: the recipe's own.
        format: ``gif``, ``mp4`` or ``html``.

    Returns:
        What was built; when no seed shows the claim nothing is drawn (``Built.member`` is None).
    """
    choice("format", format, [f for f, w in FORMATS.items() if not w.stills])
    out_dir = Path(out_dir)
    start = time.perf_counter()
    kind = RECIPE_KINDS[recipe.kind]
    histories = None if retrain or not kind.trains else kept_histories(recipe, out_dir)
    trained = histories is None
    if histories is None:
        histories, results = evaluate(recipe, say=say, progress=progress)
        for label, path in kept_paths(recipe, out_dir).items():
            path.parent.mkdir(parents=True, exist_ok=True)
            histories[label].save(path)
    else:
        results = [measure(check, histories) for check in recipe.checks]
    built = Built(recipe, results, shown_seed(recipe, results), trained=trained)
    if built.member is not None:
        built.path = out_dir / f"{recipe.name}.{format}"
        kind.draw(recipe, histories, built.path, built.member, size or recipe.size)
    built.seconds = time.perf_counter() - start
    how = ("drew its kept histories" if not trained
           else "trained and drew" if kind.trains else "integrated and drew")
    done = (f"wrote {built.path} ({built.path.stat().st_size / 1e6:.2f} MB)" if built.path
            else "drew nothing")
    say(f"{recipe.name}: {how}; {done} in {built.seconds:.0f} s; {built.shown()}")
    for result in results:
        say(f"  {result.statement()}")
    return built


def _build_one(recipe: Recipe, out_dir: Path, size: str | None, format: str, retrain: bool
               ) -> tuple[Built, list[str]]:
    # one thread in every build, one build per core: the bytes do not depend on --jobs
    torch.set_num_threads(1)
    lines: list[str] = []
    return build(recipe, out_dir, size=size, format=format, retrain=retrain, say=lines.append), lines


MULTIPLY_ADD_SECONDS = 35e-12
"""What one unit of ``training_work`` took on one core of the reference machine (33–39 ps)."""


def training_work(recipe: Recipe) -> float:
    """The multiply-adds a recipe's training takes, roughly: per iteration, G's and D's forward and
    backward passes over a minibatch for each D step, G step and look-ahead step, times the
    method's relative cost, over all seeds; with ``record.eigenvalues``, their estimated time in
    the same units. On the gallery's recipes one took 33-39 ps on one core, so it orders a build's
    work."""
    total = 0.0
    for config in recipe.configs().values():
        m, t, dim = config.model, config.train, config.target().dim
        g = network_params(m.noise_dim, m.g_width, m.g_depth, dim)
        d = network_params(dim * t.pack, m.d_width, m.d_depth, 1)
        g_rows, d_rows = t.batch_size * t.pack, t.batch_size  # points through G; packs through D
        penalty = 1 if t.regularizer == "none" else 2  # a gradient penalty differentiates D twice
        # forward 1, backward 2: G's samples for D (no grad), D on real and fake; G through D;
        # a look-ahead step keeps D's graph to differentiate it again
        iteration = (t.d_steps * (g * g_rows + 6 * d * d_rows * penalty) + 3 * (g * g_rows + d * d_rows)
                     + t.unroll * (3 * g * g_rows + 12 * d * d_rows))
        total += t.members * t.steps * iteration * METHODS[t.updates].cost
        if config.record.eigenvalues:
            total += eigen_seconds(config, g + d) / MULTIPLY_ADD_SECONDS
    return total


def build_all(recipes: list[Recipe], out_dir: str | Path, *, size: str | None = None,
              format: str = "gif", retrain: bool = False, jobs: int = 1
              ) -> Iterator[tuple[Built, list[str]]]:
    """``build`` each recipe, ``jobs`` at a time in processes of one thread each, yielding what
    each built and the lines it printed as each is done. The recipes with the most training
    (``training_work``) start first, so that the last to finish is a short one."""

    out_dir = Path(out_dir)
    order = sorted(recipes, key=training_work, reverse=True)
    tasks = [(r, out_dir, size, format, retrain) for r in order]
    if jobs == 1 or len(tasks) <= 1:
        yield from (_build_one(*task) for task in tasks)
        return
    from joblib import Parallel, delayed  # (the pool: not imported by every command at start-up)

    with deferred():  # a stop while the workers start would leave them for the exit to wait on
        done = Parallel(n_jobs=min(jobs, len(tasks)), return_as="generator_unordered")(
            delayed(_build_one)(*task) for task in tasks)
    yield from done
