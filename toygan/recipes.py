"""Animation recipes: one TOML file per teaching animation, with the claim it shows and the check
that measures the claim over seeds.

A recipe file is a config (its ``[data]``, ``[model]``, ``[train]``, ... sections) plus a
``[recipe]`` table::

    [recipe]
    title = "A vanilla GAN collapses on the ring"
    claim = "..."              # the statement the animation teaches
    look_for = "..."           # what a student should watch
    source = "..."             # paper and, where the numbers come from code, the file
    kind = "run"               # run | compare | dirac
    panels = ["samples", "discriminator", "modes"]
    seeds = 10                 # ensemble members trained; the claim is measured over them
    member = 0                 # optional: the seed index shown (default: chosen, see shown_seed)
    quick = true               # cheap enough for `toygan check --quick` (default false)
    timing = "changes"         # kind = "run": when each snapshot is shown (default even)
    fps = 8                    # default: the frames play in about 10 s (4 to 12 fps)
    overlay = true             # kind = "compare": the curves drawn once for all runs (default false)
    d_range = [0.3, 0.7]       # the values of D the colour map spans, for a D near ½ (default [0, 1])

    [recipe.captions]          # optional: step = the line under the title from that step on
    0 = "D tilts toward the data"

    [[recipe.variants]]        # kind = "compare": one column per variant
    label = "R1"
    set = { "train.regularizer" = "r1", "train.gamma" = 1.0 }

    [[recipe.checks]]
    metric = "modes_captured"  # a recorded scalar, or "push" (mean length of the push on G's samples)
    when = "final"             # final | last-quarter (mean) | step:N (the last snapshot ≤ N) |
                               # evaluation (the end-of-run evaluation on record.eval_samples)
    test = "<= 3"              # op and a number, or op and another variant's label (paired by seed)
    at_least = 7               # seeds for which the test must hold
    variant = "GAN"            # kind = "compare": whose metric

A Dirac-GAN recipe (``kind = "dirac"``) has ``runs``, ``steps``, ``lr``, ``view`` (``toygan dirac
--view``) and ``starts`` (starting points evenly round the circle of radius √2 from (1, 1); its
claims are measured from each, as a run's are over seeds) in ``[recipe]``, and its checks use the
metrics of ``DIRAC_METRICS`` (``distance_ratio``: the distance from the equilibrium at the end over
that at the start, below 1 converges; ``stable_up_to``; ``spectral_radius``) per run label
``variant:scheme[:gamma]``.

``build`` trains each recipe once as a batched ensemble of ``seeds`` members, measures every check
on all members, and renders the member nearest the median of the checks among those where every
check holds: the animation and the numbers come from the same run. It keeps the histories, so a
later build at another size or format draws them without training. toygan's own recipes ship in
``GALLERY`` (``toygan/gallery``).
"""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from toygan.config import Config
from toygan.errors import ToyganError
from toygan.history import History
from toygan.metrics import METRICS, snapshot_samples
from toygan.render.captions import check_captions, check_shown
from toygan.render.timing import TIMINGS
from toygan.validate import choice, integer, number, read_toml, shown

__all__ = ["Recipe", "Check", "CheckResult", "Kind", "RECIPE_KINDS", "load_recipe", "recipe_paths",
           "measure", "evaluate", "with_seeds", "build", "build_all", "Built", "shown_seed", "kept_histories",
           "write_gallery", "record_results", "read_results", "training_work", "check_build_folder",
           "GALLERY", "HISTORIES", "DEFAULT_SIZE", "PLAY_SECONDS"]

_OPS: dict[str, Callable[[Any, Any], Any]] = {"<=": operator.le, ">=": operator.ge,
                                               "<": operator.lt, ">": operator.gt}
_SYMBOL = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}
_RECIPE_KEYS = {"title", "claim", "look_for", "source", "kind", "panels", "seeds", "member",
                "variants", "checks", "fps", "width", "size", "frames", "runs", "steps", "lr", "quick",
                "captions", "timing", "overlay", "d_range", "view", "starts"}
_CHECK_KEYS = {"metric", "when", "test", "at_least", "variant"}


@dataclass(frozen=True)
class Check:
    """A measured statement: ``metric`` at ``when`` passes ``test`` in at least ``at_least`` seeds."""

    metric: str
    test: str
    at_least: int
    when: str = "final"
    variant: str = ""

    @property
    def op(self) -> str:
        return self.test.split()[0]

    @property
    def against(self) -> str:
        return self.test.split(maxsplit=1)[1]

    def describe(self) -> str:
        where = f"{self.variant}: " if self.variant else ""
        return f"{where}{self.metric} ({self.when}) {_SYMBOL[self.op]} {self.against}"


@dataclass
class CheckResult:
    """What a build measured for one check: the value per seed and how many seeds passed."""

    check: Check
    passed_seeds: int
    seeds: int
    values: list[float]
    against: list[float] | None = None  # the other variant's values, seed by seed
    passed: list[bool] = field(default_factory=list)
    """Whether the test held, seed by seed."""
    unit: str = "seeds"
    """What the values are over: seeds, or a Dirac-GAN recipe's starting points."""
    samples: int = 0
    """Generator samples per seed behind each value (the evaluation's or a snapshot's); 0 where
    the metric is not measured on samples."""

    def on_samples(self) -> str:
        return f" on {self.samples:,} samples" if self.samples else ""

    @property
    def holds(self) -> bool:
        return self.passed_seeds >= self.check.at_least

    def statement(self) -> str:
        c = self.check
        shown = ", ".join(f"{v:.3g}" for v in self.values)
        if self.against is not None:
            shown += f" (against {c.against}: {', '.join(f'{v:.3g}' for v in self.against)})"
        verdict = "holds" if self.holds else "DOES NOT HOLD"
        what = (c.describe() + self.on_samples() if self.unit == "seeds"
                else c.describe().replace(f" ({c.when})", ""))
        return (f"{what} in {self.passed_seeds} of {self.seeds} {self.unit} (claimed: at least "
                f"{c.at_least}) — {verdict}; values: {shown}")


PLAY_SECONDS = 10.0
"""A recipe that names no ``fps`` plays its ``frames`` in about this long (at 4 to 12 fps), then
holds the last (``toygan.render.timing.END_SECONDS``): long enough to follow in a lecture, where
12 fps played a 40-frame recipe in 3.3 s."""

DEFAULT_SIZE = "1024x576"
"""A recipe's frame size unless it names one: 16:9 (sides multiples of 8, as MP4 needs) with text
1/40 of the height, so that it reads projected full screen; small, so that the gallery's GIFs stay
small. ``--size 1080p --format mp4`` draws the kept histories again for a lecture."""


@dataclass
class Recipe:
    """A parsed recipe file; ``config`` is the base config (the run's, or the variants' base)."""

    name: str
    path: Path
    title: str
    claim: str
    look_for: str
    source: str
    kind: str
    config: Config | None
    panels: list[str] = field(default_factory=lambda: ["samples", "discriminator", "convergence"])
    seeds: int = 1
    member: int | None = None
    """The seed index the animation shows; ``None``: the one ``shown_seed`` chooses."""
    variants: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    fps: float = 12
    """Frames per second: the recipe's ``fps``, else its ``frames`` over ``PLAY_SECONDS``."""
    width: int = 800
    """The frame's width when the recipe gives a ``width`` instead of a ``size``."""
    size: str | None = DEFAULT_SIZE
    """The frame's size (``toygan.render.figure.frame_size``); ``None``: ``width`` wide, as tall
    as the panels need."""
    frames: int = 100
    dirac: dict[str, Any] = field(default_factory=dict)
    quick: bool = False
    """Cheap enough (seconds) for ``toygan check --quick``."""
    captions: dict[int, str] = field(default_factory=dict)
    """Step → the line of the story shown under the title from that step on."""
    timing: str = "even"
    """When each snapshot is shown (``toygan.render.timing.TIMINGS``)."""
    overlay: bool = False
    """A comparison draws its curves once, every run's lines on one axes (``toygan.render.compare``)."""
    d_range: tuple[float, float] = (0.0, 1.0)
    """The values of D and D* the colour map spans (``toygan.render.Look.d_range``)."""

    def configs(self) -> dict[str, Config]:
        """Label → the config trained for it (``seeds`` members); one unlabelled for a run, none
        for a Dirac-GAN recipe."""
        if self.config is None:
            return {}
        base = self.config.replace(**{"train.members": self.seeds})
        if not RECIPE_KINDS[self.kind].variants:
            return {"": base}
        return {label: base.replace(**overrides) for label, overrides in self.variants}


def _text(table: dict, key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ToyganError(f"{where}: recipe.{key} must be a non-empty string")
    if not all(c.isprintable() or c == "\n" for c in value):
        raise ToyganError(f"{where}: recipe.{key} = {shown(value)}: holds control characters; give "
                          "printable text")
    return value.strip()


def _table(raw: Any, allowed: set[str], where: str, what: str) -> dict:
    """``raw`` if it is a table with only ``allowed`` keys, else a ToyganError naming ``what``."""
    if not isinstance(raw, dict):
        raise ToyganError(f"{where}: {what} must be a table")
    unknown = set(raw) - allowed
    if unknown:
        raise ToyganError(f"{where}: unknown {what} key(s) {sorted(unknown)}; allowed: "
                          f"{sorted(allowed)}")
    return raw


def _parse_check(raw: Any, where: str, labels: list[str]) -> Check:
    _table(raw, _CHECK_KEYS, where, "[[recipe.checks]]")
    test = str(raw.get("test", ""))
    match = re.fullmatch(r"(<=|>=|<|>)\s+(\S.*)", test.strip())
    if not match:
        raise ToyganError(f"{where}: recipe.checks test = {test!r}: write an operator (<, <=, >, >=), "
                          "a space, and a number or a variant's label")
    op, against = match.groups()
    try:
        float(against)
    except ValueError:
        if against not in labels:
            raise ToyganError(f"{where}: recipe.checks test = {test!r}: {against!r} is neither a "
                              f"number nor a variant ({labels})") from None
    when = str(raw.get("when", "final"))
    if when not in ("final", "last-quarter", "evaluation") and not re.fullmatch(r"step:\d+", when):
        raise ToyganError(f"{where}: recipe.checks when = {when!r}: choose final, last-quarter, "
                          "step:N or evaluation")
    at_least = integer(f"{where}: recipe.checks at_least", raw.get("at_least"), 1)
    variant = str(raw.get("variant", ""))
    if labels and variant not in labels:
        raise ToyganError(f"{where}: recipe.checks variant = {variant!r}: choose one of {labels}")
    return Check(metric=str(raw.get("metric", "")), test=f"{op} {against}", at_least=at_least,
                 when=when, variant=variant)


def load_recipe(path: str | Path) -> Recipe:
    """Read and check a recipe file (its config is validated too).

    Raises:
        ToyganError: naming the file and the problem.
    """
    path = Path(path)
    where = str(path)
    values = read_toml(path, "recipe")
    if "recipe" not in values:
        raise ToyganError(f"{where}: no [recipe] table (title, claim, look_for, source, ...)")
    table = _table(values.pop("recipe"), _RECIPE_KEYS, where, "[recipe]")
    kind = table.get("kind", "run")
    choice(f"{where}: recipe.kind", kind, RECIPE_KINDS)
    variants = []
    for raw in table.get("variants", []):
        if not isinstance(raw, dict) or "label" not in raw:
            raise ToyganError(f"{where}: each [[recipe.variants]] needs a label (and a set table)")
        variants.append((str(raw["label"]), dict(raw.get("set", {}))))
    if RECIPE_KINDS[kind].variants and len(variants) < 2:
        raise ToyganError(f"{where}: a {kind} recipe needs at least two [[recipe.variants]]")
    labels = RECIPE_KINDS[kind].labels(table, variants)
    checks = [_parse_check(raw, where, labels) for raw in table.get("checks", [])]
    metrics = RECIPE_KINDS[kind].metrics
    for check in checks:
        if metrics and check.metric not in metrics:
            measured = ", ".join(f"{name!r} ({meaning})" for name, meaning in metrics.items())
            raise ToyganError(f"{where}: recipe.checks metric = {check.metric!r}: a {kind} recipe "
                              f"measures {measured}")
    try:
        config = Config.from_dict(values) if RECIPE_KINDS[kind].trains else None
    except ToyganError as err:
        raise ToyganError(f"{where}: {err}") from None
    if "member" in table and not RECIPE_KINDS[kind].trains:
        raise ToyganError(f"{where}: recipe.member: a {kind} recipe has no seeds to choose from")
    recipe = Recipe(
        name=path.stem, path=path, title=_text(table, "title", where),
        claim=_text(table, "claim", where), look_for=_text(table, "look_for", where),
        source=_text(table, "source", where), kind=kind, config=config,
        panels=list(table.get("panels", ["samples", "discriminator", "convergence"])),
        seeds=integer(f"{where}: recipe.seeds", table.get("seeds", 1), 1, 1024),
        member=(None if "member" not in table
                else integer(f"{where}: recipe.member", table["member"], 0, 1023)), variants=variants,
        checks=checks, width=integer(f"{where}: recipe.width", table.get("width", 800), 320, 4096),
        frames=integer(f"{where}: recipe.frames", table.get("frames", 100), 2),
        dirac=_dirac_table(table, kind, where))
    recipe.quick = _flag(table, "quick", where)
    _read_look(recipe, table, where)
    recipe.size = _recipe_size(table, where)
    recipe.captions = check_captions(table.get("captions"), f"{where}: recipe.captions")
    recipe.timing = table.get("timing", "even")
    choice(f"{where}: recipe.timing", recipe.timing, TIMINGS)
    if recipe.timing != "even" and kind != "run":
        raise ToyganError(f"{where}: recipe.timing = {recipe.timing!r}: only a run recipe has a "
                          f"timing (a {kind} recipe shows every step in turn)")
    if recipe.captions and not RECIPE_KINDS[kind].trains:
        raise ToyganError(f"{where}: recipe.captions: a {kind} recipe draws no captions")
    last = recipe.config.train.steps if recipe.config is not None else 0
    check_shown(recipe.captions, last, f"{where}: recipe.captions", "the recipe trains to step")
    if recipe.member is not None and recipe.member >= recipe.seeds:
        raise ToyganError(f"{where}: recipe.member = {recipe.member}: the recipe trains seed indices "
                          f"0 to {recipe.seeds - 1}")
    if RECIPE_KINDS[kind].trains:
        recipe.configs()  # every variant's overrides are validated now, before any training
        for check in checks:
            if check.at_least > recipe.seeds:
                raise ToyganError(f"{where}: a check asks for {check.at_least} seeds but the recipe "
                                  f"trains {recipe.seeds}")
    return recipe


def _dirac_table(table: dict, kind: str, where: str) -> dict[str, Any]:
    """A Dirac-GAN recipe's own keys: ``runs``, ``steps``, ``lr``, ``view`` and ``starts`` (the
    starting points its checks are measured from), checked."""
    from toygan.render.dynamics import VIEWS

    dirac = {k: table[k] for k in ("runs", "steps", "lr", "view", "starts") if k in table}
    if kind != "dirac":
        if set(dirac) & {"view", "starts"}:
            raise ToyganError(f"{where}: recipe.view and recipe.starts belong to a dirac recipe")
        return dirac
    choice(f"{where}: recipe.view", dirac.setdefault("view", "trajectories"), VIEWS)
    integer(f"{where}: recipe.starts", dirac.setdefault("starts", 1), 1, 64)
    for raw in table.get("checks", []):
        run, metric = str(raw.get("variant", "")), raw.get("metric")
        if metric in ("stable_up_to", "spectral_radius") and run.split(":")[1:2] == ["continuous"]:
            raise ToyganError(f"{where}: recipe.checks metric = {metric!r} for {run!r}: the "
                              "continuous flow has no step size")
        try:
            float(str(raw.get("test", "< 0")).split(maxsplit=1)[-1])
        except ValueError:
            raise ToyganError(f"{where}: recipe.checks test = {raw.get('test')!r}: a dirac recipe "
                              "compares with a number") from None
    return dirac


def _flag(table: dict, key: str, where: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ToyganError(f"{where}: recipe.{key} = {value!r}: must be true or false")
    return value


def _read_look(recipe: Recipe, table: dict, where: str) -> None:
    """The keys of how a recipe is drawn (beyond its size and captions): ``fps``, ``d_range`` and
    ``overlay``, checked, into ``recipe``."""
    from toygan.render.compare import check_overlay
    from toygan.render.figure import check_d_range

    played = min(12.0, max(4.0, recipe.frames / PLAY_SECONDS))
    recipe.fps = number(f"{where}: recipe.fps", table.get("fps", played), 0.5, 60, open_low=False)
    recipe.d_range = check_d_range(table.get("d_range", (0.0, 1.0)), f"{where}: recipe.d_range")
    recipe.overlay = _flag(table, "overlay", where)
    if recipe.overlay and recipe.kind != "compare":
        raise ToyganError(f"{where}: recipe.overlay: only a compare recipe overlays its runs' curves")
    if recipe.overlay:
        try:
            check_overlay(len(recipe.variants), recipe.panels)
        except ToyganError as err:
            raise ToyganError(f"{where}: recipe.{err}") from None


def _recipe_size(table: dict, where: str) -> str | None:
    """The recipe's ``size`` (checked), ``None`` if it gives a ``width`` instead, else the default."""
    from toygan.render.figure import frame_size

    if "size" in table and "width" in table:
        raise ToyganError(f"{where}: recipe.size and recipe.width: give one (size: 16:9 for a "
                          f"projector, e.g. \"1080p\"; width: that many pixels, as tall as the panels need)")
    if "width" in table:
        return None
    size = table.get("size", DEFAULT_SIZE)
    if not isinstance(size, str):
        raise ToyganError(f"{where}: recipe.size = {size!r}: give a name (720p, 1080p, 4k) or "
                          f"\"WIDTHxHEIGHT\" as a string")
    try:
        frame_size(size)
    except ToyganError as err:
        raise ToyganError(f"{where}: recipe.{err}") from None
    return size


def recipe_paths(folder: str | Path) -> list[Path]:
    """The recipe files in ``folder``, by name."""
    return sorted(Path(folder).glob("*.toml"))


EIGEN_METRICS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "eigen_max_real": ("the largest real part of the recorded eigenvalues (above 0: a direction the "
                       "field pushes away from)", lambda z: np.nanmax(z.real, axis=-1)),
    "eigen_max_imag": ("the largest |imaginary part| of the recorded eigenvalues (the fastest "
                       "rotation)", lambda z: np.nanmax(np.abs(z.imag), axis=-1)),
}
"""Metrics of ``record.eigenvalues``, per snapshot and member: name → (meaning, of the (T, E, K)
complex eigenvalues)."""


def metric_values(history: History, metric: str, when: str) -> np.ndarray:
    """One value of ``metric`` per member at ``when`` (see the module docstring)."""
    if when == "evaluation":
        found = (history.evaluation or {}).get("metrics", {})
        if metric not in found:
            raise ToyganError(f"metric {metric!r} (evaluation): " + (
                f"the evaluation measures {sorted(found)}" if found else
                "the run has no final evaluation (record.eval_samples = 0, or it did not complete)"))
        return np.array([np.nan if v is None else v for v in found[metric]], dtype=float)
    if metric == "push":
        if history.push is None:
            raise ToyganError("metric 'push': the history has no push recording")
        series = np.linalg.norm(history.push, axis=-1).mean(axis=-1)  # (T, E)
    elif metric in history.scalars:
        series = history.scalars[metric]
    elif metric in EIGEN_METRICS:
        if history.eigenvalues is None:
            raise ToyganError(f"metric {metric!r}: the run recorded no eigenvalues (record.eigenvalues)")
        z = history.eigenvalues[..., 0] + 1j * history.eigenvalues[..., 1]  # (T, E, K)
        series = EIGEN_METRICS[metric][1](z)
    else:
        raise ToyganError(f"metric {metric!r}: choose 'push', a recorded scalar "
                          f"({sorted(history.scalars)}) or one of {sorted(EIGEN_METRICS)}")
    if when == "final":
        return series[-1]
    if when == "last-quarter":
        return series[-max(1, len(series) // 4):].mean(axis=0)
    step = int(when.split(":")[1])
    i = max(0, int(np.searchsorted(history.steps, step, side="right")) - 1)
    return series[i]


def measure(check: Check, histories: dict[str, History]) -> CheckResult:
    """Evaluate ``check`` on the histories of a recipe (label → history)."""
    values = metric_values(histories[check.variant], check.metric, check.when)
    try:
        other: np.ndarray | float = float(check.against)
    except ValueError:
        other = metric_values(histories[check.against], check.metric, check.when)
    passed = _OPS[check.op](values, other)
    against = None if isinstance(other, float) else [float(v) for v in other]
    return CheckResult(check, int(np.sum(passed)), len(values), [float(v) for v in values], against,
                       [bool(p) for p in np.broadcast_to(passed, values.shape)],
                       samples=_samples_behind(histories[check.variant], check))


def _samples_behind(history: History, check: Check) -> int:
    """The generator samples per seed a check's metric was measured on (0: not a sample metric)."""
    if check.when == "evaluation":
        return history.evaluation["n_samples"]
    if check.metric in METRICS or check.metric in history.scalars or check.metric == "push":
        return snapshot_samples(check.metric, int(history.samples.shape[2]))
    return 0  # the eigenvalues: not measured on samples


def dirac_starts(n: int) -> np.ndarray:
    """``n`` starting points (θ₀, ψ₀) evenly round the circle of radius √2, the first (1, 1)."""
    angles = np.pi / 4 + 2 * np.pi * np.arange(n) / n
    return np.sqrt(2) * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _distance_ratio(gan, run, recipe: Recipe, settings) -> np.ndarray:
    from toygan.dirac import trajectory

    ratios = []
    for theta0, psi0 in dirac_starts(int(recipe.dirac.get("starts", 1))):
        path = trajectory(gan, float(theta0), float(psi0), steps=int(recipe.dirac.get("steps", 500)),
                          lr=float(recipe.dirac.get("lr", 0.1)), scheme=run.scheme, settings=settings)
        ratios.append(np.linalg.norm(path[-1]) / np.linalg.norm(path[0]))
    return np.array(ratios)


def _stable_up_to(gan, run, recipe: Recipe, settings) -> np.ndarray:
    from toygan.dirac import stable_range
    from toygan.render.spectrum import RADIUS_STEPS

    _, ranges = stable_range(gan, scheme=run.scheme, settings=settings, steps=RADIUS_STEPS)
    first = ranges[0] if ranges and ranges[0][0] == RADIUS_STEPS[0] else None
    return np.array([first[1] if first else 0.0])


def _radius_at_lr(gan, run, recipe: Recipe, settings) -> np.ndarray:
    from toygan.dirac import spectral_radius

    return np.array([spectral_radius(gan, lr=float(recipe.dirac.get("lr", 0.1)), scheme=run.scheme,
                                     settings=settings)])


DIRAC_METRICS: dict[str, tuple[str, Callable]] = {
    "distance_ratio": ("the distance from the equilibrium at the end over that at the start, "
                       "from each of recipe.starts starting points", _distance_ratio),
    "stable_up_to": ("the largest step size h (from 10⁻³, the radius view's range) below which "
                     "the method converges near the equilibrium; 0 if it never does", _stable_up_to),
    "spectral_radius": ("the spectral radius of a step at (0, 0) at the recipe's lr", _radius_at_lr),
}
"""A Dirac-GAN recipe's metrics: name → (meaning, its values for a run)."""


def _integrate(recipe: Recipe, say: Callable[[str], None], progress: bool
               ) -> tuple[dict[str, History], list[CheckResult]]:
    """A Dirac-GAN recipe's checks, per run label: each metric of ``DIRAC_METRICS`` from every
    starting point (a metric that does not depend on the start counts once for each)."""
    from toygan.dirac import dirac_gan
    from toygan.methods import Settings
    from toygan.render.dirac import parse_runs

    starts = int(recipe.dirac.get("starts", 1))
    runs = {run.label: run for run in parse_runs(recipe.dirac.get("runs", ""))}
    results = []
    for check in recipe.checks:
        run = runs[check.variant]
        values = DIRAC_METRICS[check.metric][1](dirac_gan(run.variant, run.gamma), run, recipe, Settings())
        values = np.broadcast_to(values, (starts,))
        passed = _OPS[check.op](values, float(check.against))
        results.append(CheckResult(check, int(np.sum(passed)), starts, [float(v) for v in values],
                                   passed=[bool(p) for p in passed], unit="starting points"))
    return {}, results


def _train(recipe: Recipe, say: Callable[[str], None], progress: bool
           ) -> tuple[dict[str, History], list[CheckResult]]:
    """Train each of the recipe's configs as one batched ensemble and measure the checks."""
    from toygan.training import train

    histories = {}
    for label, config in recipe.configs().items():
        histories[label] = history = train(config, progress=progress)
        if history.status == "interrupted":  # Ctrl-C: stop, measure nothing
            raise KeyboardInterrupt
        if history.status != "completed":
            say(f"  {recipe.name} {label}: {history.message}")
    return histories, [measure(check, histories) for check in recipe.checks]


def _draw_run(recipe: Recipe, histories: dict[str, History], out: Path, member: int,
              size: str | None) -> None:
    from toygan.render import Look, render

    render(histories[""], out, panels=recipe.panels, member=member, fps=recipe.fps,
           width=recipe.width, size=size, max_frames=recipe.frames, captions=recipe.captions,
           timing=recipe.timing, look=Look(d_range=recipe.d_range))


def _draw_compare(recipe: Recipe, histories: dict[str, History], out: Path, member: int,
                  size: str | None) -> None:
    from toygan.render import Column, Look, compare

    columns = [Column(h, label, member) for label, h in histories.items()]
    compare(columns, out, panels=recipe.panels, fps=recipe.fps, width=recipe.width, size=size,
            max_frames=recipe.frames, captions=recipe.captions, overlay=recipe.overlay,
            look=Look(d_range=recipe.d_range))


def _draw_dirac(recipe: Recipe, histories: dict[str, History], out: Path, member: int,
                size: str | None) -> None:
    from toygan.render.dirac import parse_runs
    from toygan.render.dynamics import render_dirac

    theta0, psi0 = dirac_starts(int(recipe.dirac.get("starts", 1)))[member]
    render_dirac(out, parse_runs(recipe.dirac.get("runs", "")), view=recipe.dirac.get("view", "trajectories"),
                 steps=int(recipe.dirac.get("steps", 500)), lr=float(recipe.dirac.get("lr", 0.1)),
                 theta0=float(theta0), psi0=float(psi0), width=recipe.width, size=size, fps=recipe.fps,
                 max_frames=recipe.frames)


def _dirac_labels(table: dict, variants: list) -> list[str]:
    from toygan.render.dirac import parse_runs

    return [run.label for run in parse_runs(str(table.get("runs", "")))]


@dataclass(frozen=True)
class Kind:
    """A kind of recipe: how it is measured (trained over seeds, or integrated) and drawn, and
    which labels its checks may name."""

    measure: Callable[[Recipe, Callable[[str], None], bool], tuple[dict[str, History], list[CheckResult]]]
    draw: Callable[[Recipe, dict[str, History], Path, int, str | None], None]
    """Draws the histories, showing one seed index, at a size (``None``: the recipe's ``width``)."""
    labels: Callable[[dict, list], list[str]] = lambda table, variants: [label for label, _ in variants]
    variants: bool = False
    """Trains one config per ``[[recipe.variants]]`` (at least two), not one."""
    metrics: dict[str, str] = field(default_factory=dict)
    """The metrics its checks may name → what each is; empty: a recorded scalar or "push" (checked
    when measured)."""

    @property
    def trains(self) -> bool:
        """Whether it trains configs over seeds (a Dirac-GAN recipe integrates its field instead)."""
        return self.measure is _train


RECIPE_KINDS: dict[str, Kind] = {
    "run": Kind(_train, _draw_run),
    "compare": Kind(_train, _draw_compare, variants=True),
    "dirac": Kind(_integrate, _draw_dirac, labels=_dirac_labels,
                  metrics={name: meaning for name, (meaning, _) in DIRAC_METRICS.items()}),
}
"""Name (``recipe.kind``) → kind: one run, variants side by side, or Dirac-GAN trajectories."""


def with_seeds(recipe: Recipe, seeds: int) -> Recipe:
    """``recipe`` trained on ``seeds`` seeds, each check asking for the same share of them as
    before (``at_least`` scaled and rounded up)."""
    import dataclasses
    import math

    from toygan.validate import integer

    integer("seeds", seeds, 1, 1024)
    checks = [dataclasses.replace(c, at_least=max(1, math.ceil(c.at_least * seeds / recipe.seeds)))
              for c in recipe.checks]
    member = None if recipe.member is None else min(recipe.member, seeds - 1)
    return dataclasses.replace(recipe, seeds=seeds, checks=checks, member=member)


def evaluate(recipe: Recipe, *, say: Callable[[str], None] = print, progress: bool = False
             ) -> tuple[dict[str, History], list[CheckResult]]:
    """Train (or integrate) the recipe and measure its checks, without drawing.

    Returns:
        Label → history (empty for a Dirac-GAN recipe), and one result per check.

    Raises:
        KeyboardInterrupt: when Ctrl-C stopped training (nothing is measured).
    """
    return RECIPE_KINDS[recipe.kind].measure(recipe, say, progress)


def _every_check_holds(results: list[CheckResult], seeds: int) -> np.ndarray:
    """Per seed, whether every check holds there."""
    return np.all([np.asarray(r.passed, dtype=bool) for r in results] or [np.ones(seeds, bool)], axis=0)


def shown_seed(recipe: Recipe, results: list[CheckResult]) -> int | None:
    """The seed index a recipe's animation shows: among the seeds where every check holds, the one
    nearest the median of the checks (each check's distance from its median over the seeds, in
    units of its range; the lower index on a tie), or the recipe's own ``member`` if it names one
    and every check holds there; ``None`` when no seed shows the claim."""
    n = results[0].seeds if results else (1 if not RECIPE_KINDS[recipe.kind].trains else recipe.seeds)
    every = _every_check_holds(results, n)
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
        return int(_every_check_holds(self.results, self.seeds).sum())

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


def _kept_paths(recipe: Recipe, out_dir: Path) -> dict[str, Path]:
    """Where each of the recipe's configs keeps its history (label → path)."""
    return {label: out_dir / HISTORIES / recipe.name / f"variant-{i}.npz"
            for i, label in enumerate(recipe.configs())}


def kept_histories(recipe: Recipe, out_dir: str | Path) -> dict[str, History] | None:
    """The recipe's histories kept by an earlier build in ``out_dir``, if every one is there,
    completed, and trained from the recipe's current configs; else ``None``."""
    paths = _kept_paths(recipe, Path(out_dir))
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
    from toygan.render.animation import FORMATS

    choice("format", format, [f for f, w in FORMATS.items() if not w.stills])
    out_dir = Path(out_dir)
    start = time.perf_counter()
    kind = RECIPE_KINDS[recipe.kind]
    histories = None if retrain or not kind.trains else kept_histories(recipe, out_dir)
    trained = histories is None
    if histories is None:
        histories, results = evaluate(recipe, say=say, progress=progress)
        for label, path in _kept_paths(recipe, out_dir).items():
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


GALLERY_HEADING = "# Gallery: the animation recipes"


def read_results(folder: str | Path) -> dict[str, dict]:
    """``folder/results.json`` as recipe name → what its last build measured (empty if none).

    Raises:
        ToyganError: when the file is there but is not a results file toygan wrote.
    """
    import json

    path = Path(folder) / RESULTS_FILE
    if not path.exists():
        return {}
    try:
        measured = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ToyganError(f"{path}: not a results file toygan wrote ({err}); move it away or "
                          "choose another --out") from None
    if not isinstance(measured, dict) or not all(isinstance(m, dict) for m in measured.values()):
        raise ToyganError(f"{path}: not a results file toygan wrote (it must map recipe names to "
                          "tables); move it away or choose another --out")
    for name, m in measured.items():
        for key, kinds in _RESULT_FIELDS.items():
            value = m.get(key)
            if value is not None and (isinstance(value, bool) is not (kinds == (bool,))
                                      or not isinstance(value, kinds)):
                raise ToyganError(f"{path}: {name}.{key} = {value!r} is not what toygan writes there; "
                                  "move the file away or choose another --out")
        if not all(isinstance(s, str) for s in m.get("statements") or []):
            raise ToyganError(f"{path}: {name}.statements must be a list of lines; move the file "
                              "away or choose another --out")
    return measured


_RESULT_FIELDS = {"statements": (list,), "holds": (bool,), "seconds": (int, float),
                  "trained": (bool,), "train_seconds": (int, float), "shown": (str,),
                  "seed_index": (int,), "seeds": (int,), "all_hold_in": (int,), "file": (str,)}
"""What each recipe's entry in results.json holds (``None`` allowed), as the gallery reads it."""


def check_build_folder(recipes: list[Recipe], out_dir: str | Path, page: str | Path | None = None) -> None:
    """Refuse, before any work, an output folder or gallery page that a build would spoil: the
    package's own recipes, a results file or README.md that toygan did not write, a path where a
    history is to be kept that is taken by something else, or a page that is a folder, lies in a
    missing folder or is a file that is not a gallery page.

    Raises:
        ToyganError: naming the path and what to do.
    """
    out_dir = Path(out_dir)
    if out_dir.resolve() == GALLERY.resolve() or GALLERY.resolve() in out_dir.resolve().parents:
        raise ToyganError(f"--out {str(out_dir)!r}: that is toygan's own recipe folder, inside the "
                          "package; choose another folder")
    if out_dir.exists() and not out_dir.is_dir():
        raise ToyganError(f"--out {str(out_dir)!r}: is a file; give a folder for the animations")
    read_results(out_dir)
    _ours(out_dir / "README.md", "--out", "its README.md")
    for recipe in recipes:
        for path in _kept_paths(recipe, out_dir).values():
            for taken in [*reversed(path.relative_to(out_dir).parents), path.relative_to(out_dir)]:
                place = out_dir / taken
                folder = place != path
                if place.exists() and place.is_dir() != folder:
                    raise ToyganError(f"{place}: a {'file' if folder else 'folder'} is where this "
                                      "build keeps a recipe's history; move it away or choose "
                                      "another --out")
    if page is not None:
        page = Path(page)
        if page.is_dir():
            raise ToyganError(f"--gallery {str(page)!r}: is a folder; give the page's file name")
        if not page.parent.is_dir():
            raise ToyganError(f"--gallery {str(page)!r}: the folder {str(page.parent)!r} does not exist")
        _ours(page, "--gallery", "it")


def _ours(path: Path, option: str, what: str) -> None:
    """A ToyganError if ``path`` exists and is not a gallery page toygan wrote."""
    if not path.exists():
        return
    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline().strip()
    except (OSError, UnicodeDecodeError):
        first = ""
    if first != GALLERY_HEADING:
        raise ToyganError(f"{option}: {path} is not a gallery page toygan wrote, and the build would "
                          f"write over {what}; move it away or choose another {option}")


def _build_one(recipe: Recipe, out_dir: Path, size: str | None, format: str, retrain: bool
               ) -> tuple[Built, list[str]]:
    import torch

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
    from toygan.methods import METHODS
    from toygan.resources import eigen_seconds, network_params

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
    from joblib import Parallel, delayed

    from toygan.signals import deferred

    with deferred():  # a stop while the workers start would leave them for the exit to wait on
        done = Parallel(n_jobs=min(jobs, len(tasks)), return_as="generator_unordered")(
            delayed(_build_one)(*task) for task in tasks)
    yield from done


RESULTS_FILE = "results.json"
GALLERY = Path(__file__).parent / "gallery"
"""toygan's own recipes, shipped inside the package."""


def _gallery(recipes: list[Recipe], measured: dict[str, dict], page: Path, media: str) -> str:
    """The gallery page at ``page``; ``media`` is the path from the page to the built animations."""
    import os

    lines = [GALLERY_HEADING, "",
             "Each animation is made from the recipe linked under it, and each claim is measured over "
             "seeds by the same run that drew the animation; the animation shows the seed nearest "
             "the median of the checks among the seeds where every check holds. Rebuild them all "
             "with `toygan animations build --out DIR` (or some: `toygan animations build NAME ... "
             "--out DIR`); the figures "
             "below are what the last build printed.", ""]
    for r in recipes:
        m = measured.get(r.name, {})
        media_file = m.get("file") or f"{r.name}.gif"
        shown = (f"![{r.title}]({media}{media_file})" if media_file.endswith(".gif")
                 else f"[The animation ({Path(media_file).suffix[1:].upper()})]({media}{media_file})")
        if "file" in m and m["file"] is None:  # the last build drew nothing: no seed showed the claim
            shown = "*No animation: the last build found no seed that shows the claim.*"
        elif not m:  # not built into this folder: no picture to show (it would be a broken image)
            shown = f"*Not built here yet: `toygan animations build {r.name}` draws it.*"
        lines += [f"## {r.title}", "", shown, "",
                  f"**Claim.** {r.claim}", "",
                  f"**Look for.** {r.look_for}", ""]
        if m.get("statements"):
            if not RECIPE_KINDS[r.kind].trains:
                how = f"integrated and drawn in {m.get('seconds', 0):.0f} s"
            elif m.get("trained", True):
                how = f"trained and drawn in {m.get('seconds', 0):.0f} s"
            else:
                how = (f"drawn in {m.get('seconds', 0):.0f} s from the histories kept by a build "
                       f"that took {m.get('train_seconds') or 0:.0f} s")
            lines += [f"**Measured** (by `toygan animations build {r.name}`, {how}):", ""]
            lines += [f"- {s}" for s in m["statements"]] + [""]
        elif r.checks:
            lines += ["**Measured:** not yet built.", ""]
        seeds = f" {m['shown'][0].upper()}{m['shown'][1:]}." if m.get("shown") else ""
        if m.get("statements") and not m.get("shown"):  # results of a build that chose no seed
            seeds = f" The animation shows seed index {r.member or 0}, chosen by hand."
        recipe_link = Path(os.path.relpath(r.path.resolve(), page.resolve().parent)).as_posix()
        lines += [f"**Source.** {r.source}", "",
                  f"Recipe: [{r.path.name}]({recipe_link})"
                  + (f" (`toygan animations show {r.name}` prints it)" if r.path.parent == GALLERY else "")
                  + (f"; {r.seeds} seeds.{seeds}" if RECIPE_KINDS[r.kind].trains else "."), ""]
    return "\n".join(lines)


def write_gallery(recipes: list[Recipe], folder: str | Path, docs_page: str | Path | None) -> None:
    """Write ``folder/README.md`` and ``docs_page`` from the recipes and ``folder/results.json``."""
    import os

    from toygan.atomic import atomic_path

    folder = Path(folder)
    measured = read_results(folder)
    pages = [(folder / "README.md", "")]
    if docs_page is not None:
        docs_page = Path(docs_page)
        rel = Path(os.path.relpath(folder.resolve(), docs_page.resolve().parent)).as_posix()
        pages.append((docs_page, f"{rel}/"))
    for page, media in pages:
        with atomic_path(page) as tmp:
            Path(tmp).write_text(_gallery(recipes, measured, page, media), encoding="utf-8")


def record_results(folder: str | Path, built: Built) -> None:
    """Keep what a build measured in ``folder/results.json`` (merged with earlier builds)."""
    import fcntl
    import json

    from toygan.atomic import atomic_path

    path = Path(folder) / RESULTS_FILE
    # builds of different recipes may run at once (one per core): merge under a lock
    with open(Path(folder) / f".{RESULTS_FILE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        measured = read_results(folder)
        earlier = measured.get(built.recipe.name, {})
        trained = round(built.seconds, 1) if built.trained else earlier.get("train_seconds")
        measured[built.recipe.name] = {
            "statements": [r.statement() for r in built.results], "holds": built.holds,
            "seconds": round(built.seconds, 1), "trained": built.trained, "train_seconds": trained,
            "shown": built.shown(),
            "seed_index": built.member, "seeds": built.seeds, "all_hold_in": built.all_hold_in,
            "file": built.path.name if built.path else None}
        with atomic_path(path) as tmp:
            Path(tmp).write_text(json.dumps(measured, indent=1, sort_keys=True, ensure_ascii=False)
                                 + "\n", encoding="utf-8")
