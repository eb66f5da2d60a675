"""Reading a recipe file: its ``[recipe]`` table and config, each value checked, one line naming the
file and the problem when one is wrong."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toygan.config import Config
from toygan.errors import ToyganError
from toygan.recipes.checks import Check
from toygan.recipes.kinds import RECIPE_KINDS
from toygan.render.captions import check_captions, check_shown
from toygan.render.compare import check_overlay
from toygan.render.dynamics import VIEWS
from toygan.render.figure import check_d_range, frame_size
from toygan.render.timing import TIMINGS
from toygan.validate import choice, integer, number, read_toml, shown

__all__ = ["Recipe", "load_recipe", "recipe_paths", "with_seeds", "GALLERY", "DEFAULT_SIZE", "PLAY_SECONDS"]

GALLERY = Path(__file__).parents[1] / "gallery"
"""toygan's own recipes, shipped inside the package."""


_RECIPE_KEYS = {"title", "claim", "look_for", "source", "kind", "panels", "seeds", "member",
                "variants", "checks", "fps", "width", "size", "frames", "runs", "steps", "lr", "quick",
                "captions", "timing", "overlay", "d_range", "view", "starts"}


_CHECK_KEYS = {"metric", "when", "test", "at_least", "variant"}


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


def with_seeds(recipe: Recipe, seeds: int) -> Recipe:
    """``recipe`` trained on ``seeds`` seeds, each check asking for the same share of them as
    before (``at_least`` scaled and rounded up)."""
    integer("seeds", seeds, 1, 1024)
    checks = [dataclasses.replace(c, at_least=max(1, math.ceil(c.at_least * seeds / recipe.seeds)))
              for c in recipe.checks]
    member = None if recipe.member is None else min(recipe.member, seeds - 1)
    return dataclasses.replace(recipe, seeds=seeds, checks=checks, member=member)
