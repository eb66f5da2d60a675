"""The sweep spec: which configurations a sweep trains, each built and checked before any work.

Three ways to name configurations, each read one way only:

- ``[grid]``: a table of dotted keys → lists; every combination is one configuration (crossed).
- ``[[cross]]``: a list of variants crossed with the grid: each variant applied to every grid
  combination (e.g. with and without R1, for every loss).
- ``[[configs]]``: a list of configurations, each one on its own beside the grid (not crossed):
  a baseline beside the variants.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toygan.config import Config
from toygan.errors import ToyganError
from toygan.presets import preset_config
from toygan.validate import integer, read_text, read_toml

__all__ = ["SweepSpec", "Task", "load_spec", "KINDS", "MAX_CONFIGURATIONS"]

KINDS = {
    "grid": "a combination of the [grid]'s values",
    "grid × cross": "a combination of the [grid]'s values with one [[cross]] variant",
    "listed": "one [[configs]] entry on its own, not crossed with the grid",
}
"""kind of a configuration → where it comes from in the spec."""
_SWEEP_KEYS = {"seeds", "preset"}
MAX_CONFIGURATIONS = 10_000
"""The most configurations one sweep may have."""
_MEMBERS = ("train.members is set by sweep.seeds (a configuration's seeds train as one ensemble); "
            "remove it")


@dataclass(frozen=True)
class Task:
    """One configuration of the sweep: its id (a digest of its config, so a folder never mistakes
    one configuration's results for another's, wherever the spec lists it), label, kind, overrides,
    config, and the label of its [[cross]] variant, if any."""

    id: str
    label: str
    kind: str
    overrides: dict[str, Any]
    config: Config
    variant: str = ""


@dataclass
class SweepSpec:
    """A sweep: the seeds per configuration, its tasks in spec order, the dotted keys that vary,
    of those the grid's, and the spec file's text (kept in the sweep folder; empty for a dict)."""

    seeds: int
    tasks: list[Task]
    swept: list[str]
    grid: list[str]
    source: str = ""

    def table(self) -> str:
        """The configurations, one line each: id, kind and label (``toygan sweep --plan``)."""
        width = max(len(t.kind) for t in self.tasks)
        counts = ", ".join(f"{sum(t.kind == k for t in self.tasks)} {k}" for k in KINDS
                           if any(t.kind == k for t in self.tasks))
        lines = [f"{len(self.tasks)} configuration(s) × {self.seeds} seeds ({counts}):"]
        lines += [f"  {t.id}  {t.kind:<{width}}  {t.label}" for t in self.tasks]
        return "\n".join(lines)


def _label(overrides: dict[str, Any]) -> str:
    return ", ".join(f"{k.split('.')[-1]}={v}" for k, v in overrides.items()) or "base"


def _entries(values: Any, section: str) -> list[tuple[str, dict[str, Any]]]:
    """A ``[[cross]]`` or ``[[configs]]`` list as (label, overrides) pairs."""
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise ToyganError(f"[[{section}]] must be a list of tables (one [[{section}]] header per entry)")
    entries = []
    for entry in values:
        entry = dict(entry)
        label = entry.pop("label", None)
        if label is not None and (not isinstance(label, str) or not label.strip()
                                  or not label.isprintable()):
            raise ToyganError(f"[[{section}]] label = {label!r}: must be a non-empty string of "
                              "printable characters")
        _keys(entry, f"[[{section}]]")
        entries.append((label or _label(entry), entry))
    return entries


def _keys(table: dict[str, Any], where: str) -> None:
    bad = [k for k in table if not isinstance(k, str)]
    if bad:
        raise ToyganError(f"{where}: key {bad[0]!r} is not a dotted config key such as \"train.steps\"")


def _base(sweep: dict[str, Any], sections: dict[str, Any]) -> Config:
    base = preset_config(sweep["preset"]) if "preset" in sweep else Config()
    if not sections:
        return base
    values = base.to_dict()
    return Config.from_dict({**values, **{k: {**values.get(k, {}), **v} for k, v in sections.items()}})


_ADDED_LATER = {("train", "sga_lambda"): 1.0, ("train", "lookahead_k"): 0, ("train", "lookahead_alpha"): 0.5,
                ("record", "eigenvalues"): False, ("record", "eigen_k"): 20}
"""Fields added after toygan 0.2, left out of a task's id at their defaults: a sweep folder made
before keeps its tasks' ids, and its finished tasks stay done."""


def _digest(config: Config) -> str:
    values = config.to_dict()
    for (section, key), default in _ADDED_LATER.items():
        if values[section][key] == default:
            del values[section][key]
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def load_spec(source: str | Path | dict[str, Any], device: str | None = None) -> SweepSpec:
    """Read a sweep spec (a TOML file, or the same as a dict) and build every configuration, so any
    mistake is reported before work; ``device`` (cpu, cuda, auto) overrides ``train.device``.

    Raises:
        ToyganError: naming the file and the problem (unknown key, empty grid, bad value, two
            identical configurations, ...).
    """
    if isinstance(source, dict):
        values, where, text = dict(source), "sweep spec", ""
    elif isinstance(source, str | Path):
        text, where = read_text(Path(source), "sweep spec"), str(source)
        values = read_toml(Path(source), "sweep spec", text)  # the text kept as read: one read
    else:
        raise ToyganError(f"sweep spec {source!r}: give a path to a TOML file, or a dict")
    try:
        spec = _build(values, device)
    except ToyganError as err:
        raise ToyganError(f"{where}: {err}") from None
    spec.source = text
    return spec


def _build(values: dict[str, Any], device: str | None) -> SweepSpec:
    sweep, grid = values.pop("sweep", {}), values.pop("grid", {})
    cross, listed = values.pop("cross", []), values.pop("configs", [])
    if not isinstance(sweep, dict) or set(sweep) - _SWEEP_KEYS:
        raise ToyganError(f"[sweep] takes {sorted(_SWEEP_KEYS)}; got {sweep!r}")
    seeds = integer("sweep.seeds", sweep.get("seeds", 10), 1, 1024)
    if not isinstance(sweep.get("preset", ""), str):
        raise ToyganError(f"sweep.preset = {sweep['preset']!r}: must be a preset's name (a string)")
    unknown = [k for k, v in values.items() if not isinstance(v, dict)]
    if unknown:
        raise ToyganError(f"unknown top-level key(s) {unknown}; allowed: [sweep], [grid], [[cross]], "
                          "[[configs]] and config sections")
    if "members" in values.get("train", {}):
        raise ToyganError(_MEMBERS)
    base = _base(sweep, values)
    if not isinstance(grid, dict):
        raise ToyganError("[grid] must be a table of dotted keys → lists of values")
    _keys(grid, "[grid]")
    for key, options in grid.items():
        if not isinstance(options, list) or not options:
            raise ToyganError(f"grid {key!r} = {options!r}: must be a non-empty list")
    cross, listed = _entries(cross, "cross"), _entries(listed, "configs")
    if cross and not grid:
        raise ToyganError("[[cross]] crosses its entries with the [grid], and there is no [grid]; "
                          "list configurations on their own as [[configs]]")
    if not grid and not listed:
        raise ToyganError("the sweep is empty: give a [grid] of lists, or [[configs]]")
    count = (math.prod(map(len, grid.values())) * max(len(cross), 1) if grid else 0) + len(listed)
    if count > MAX_CONFIGURATIONS:  # counted before any is built: a huge grid fails at once
        raise ToyganError(f"the spec makes {count:,} configurations; at most {MAX_CONFIGURATIONS:,} "
                          "(split the sweep, or use fewer values per key)")
    planned = []  # (kind, label, overrides, variant)
    for combo in (dict(zip(grid, v, strict=True)) for v in itertools.product(*grid.values())) if grid else []:
        if not cross:
            planned.append(("grid", _label(combo), combo, ""))
        for label, extra in cross:
            planned.append(("grid × cross", f"{_label(combo)}, {label}", {**combo, **extra}, label))
    planned += [("listed", label, extra, "") for label, extra in listed]
    tasks, seen = [], {}
    for kind, label, overrides, variant in planned:
        if "train.members" in overrides:
            raise ToyganError(f"configuration {label!r}: {_MEMBERS}")
        fixed = {"train.members": seeds, **({"train.device": device} if device else {})}
        try:
            config = base.replace(**{**overrides, **fixed})
        except ToyganError as err:
            raise ToyganError(f"configuration {label!r}: {err}") from None
        digest = _digest(config)
        if label in seen.values():
            raise ToyganError(f"two configurations are labelled {label!r}; give each its own label")
        if digest in seen:
            raise ToyganError(f"configurations {seen[digest]!r} and {label!r} are the same config; "
                              "remove one (a [[cross]] or [[configs]] entry may repeat the base)")
        seen[digest] = label
        tasks.append(Task(digest, label, kind, overrides, config, variant))
    keys = list(grid) + [k for _, e in cross + listed for k in e]
    return SweepSpec(seeds, tasks, list(dict.fromkeys(keys)), list(grid))
