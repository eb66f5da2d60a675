"""A sweep's results: the tasks' rows collected into tables (per seed, per snapshot, per
configuration with mean, standard error and 95 % interval, also as a rounded Markdown table) and
plots; ``read_summary`` reads them back."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from toygan.atomic import atomic_path
from toygan.errors import ToyganError
from toygan.evaluation import EVALUATED
from toygan.factories import metric_name
from toygan.metrics import METRICS as RECORDED_METRICS
from toygan.metrics import RECORDED, SUMMARISED, snapshot_samples
from toygan.stats import figure, interval, mean_se, paired, rounded
from toygan.sweep.spec import SweepSpec

__all__ = ["summarise", "read_summary", "summary_table", "interval", "rounded", "METRICS", "ROWS", "flat",
           "read_rows", "compare", "check_arms", "metric_names", "by_evaluation"]


METRICS = SUMMARISED
"""Per-seed metrics a sweep reports (final value, and at every snapshot): toygan.metrics.METRICS,
and a configuration's own (``record.metrics``) after them."""


def metric_names(config: Any) -> tuple[str, ...]:
    """The metrics a sweep reports for ``config``: toygan's, then its own ``record.metrics``."""
    return (*METRICS, *(metric_name(m) for m in config.record.metrics))


def _spec_metrics(spec: SweepSpec) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for t in spec.tasks for name in metric_names(t.config)))
ROWS = "rows.json"
"""The file a finished task writes last, so its presence marks the task done."""

def flat(overrides: dict[str, Any]) -> dict[str, Any]:
    """Swept values as table cells: lists and tables as JSON."""
    return {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in overrides.items()}


def read_rows(task_dir: Path, seeds: int) -> list[dict[str, Any]] | None:
    """A finished task's rows (``rows.json``, with its ``snapshots.json``), or None where they are
    missing or not what a task writes (a corrupt or edited file): such a task is not done."""
    try:
        rows = json.loads((task_dir / ROWS).read_text(encoding="utf-8"))
        keys = {"seed", "error", "diverged", "all_modes", *METRICS}
        ok = (isinstance(rows, list) and len(rows) == seeds
              and all(isinstance(r, dict) and keys <= r.keys() and _plain_row(r) for r in rows))
        if ok and not rows[0]["error"]:
            snapshots = json.loads((task_dir / "snapshots.json").read_text(encoding="utf-8"))
            ok = isinstance(snapshots, list) and all(
                isinstance(r, dict) and {"seed", "step", *METRICS} <= r.keys() for r in snapshots)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return rows if ok else None


def _plain_row(row: dict) -> bool:
    """A row as a task writes it: an integer seed, text error, true/false flags, and numbers (finite)
    or null for every other value but the swept ones and labels."""
    texts = {"task", "label", "kind", "error"}
    if type(row["seed"]) is not int or not isinstance(row["error"], str):
        return False
    if not all(isinstance(row[k], bool) for k in ("diverged", "all_modes")):
        return False
    numbers = [v for k, v in row.items() if k not in texts and "." not in k
               and k not in ("seed", "diverged", "all_modes")]
    return all(v is None or (type(v) in (int, float) and math.isfinite(v)) for v in numbers)


def _write_csv(path: Path, rows: list[dict]) -> None:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def _entry(task: Any, task_rows: list[dict]) -> dict[str, Any]:
    """One configuration's statistics over its seeds (failed seeds left out and counted)."""
    entry: dict[str, Any] = {"task": task.id, "label": task.label, "kind": task.kind,
                             **task.overrides, "seeds": len(task_rows)}
    ok = [r for r in task_rows if not r["error"]]
    for metric in metric_names(task.config):
        values = [np.nan if r[metric] is None else r[metric] for r in ok]
        # n: the seeds where it is defined (reverse_kl needs a captured mode)
        mean, se, n = entry[f"{metric}_mean"], entry[f"{metric}_se"], entry[f"{metric}_n"] = mean_se(values)
        entry[f"{metric}_ci_low"], entry[f"{metric}_ci_high"] = interval(mean, se, n)
    for key in ("eval_samples", "snapshot_samples"):  # (rows of an older toygan have none)
        entry[key] = max((r.get(key) or 0 for r in ok), default=0)
    bandwidths = [r["jsd_bandwidth"] for r in ok if r.get("jsd_bandwidth") is not None]
    entry["jsd_bandwidth"] = float(np.mean(bandwidths)) if bandwidths else None
    entry["all_modes_share"] = (sum(r["all_modes"] for r in ok) / len(ok)) if ok else None
    entry["diverged_share"] = (sum(r["diverged"] for r in ok) / len(ok)) if ok else None
    entry["failed"] = len(task_rows) - len(ok)
    return entry


def summary_table(summary: list[dict[str, Any]], metrics: tuple[str, ...] | None = None) -> str:
    """The summary as a Markdown table: per configuration and metric, mean ± standard error, the
    95 % interval and the number of seeds, rounded to what the error allows."""
    def cell(entry: dict, metric: str) -> str:
        if f"{metric}_mean" not in entry:  # a configuration that does not record it (own metrics)
            return "–"
        mean, se, n = entry[f"{metric}_mean"], entry[f"{metric}_se"], entry[f"{metric}_n"]
        low, high = entry.get(f"{metric}_ci_low"), entry.get(f"{metric}_ci_high")
        text = rounded(mean, se)
        if low is not None:
            text += f" [{figure(low, se)}, {figure(high, se)}]"
        return f"{text} (n = {n})"
    if metrics is None:  # toygan's and the configurations' own, in the order the entries have them
        metrics = tuple(dict.fromkeys(k[:-5] for e in summary for k in e if k.endswith("_mean")))
    shown = [m for m in metrics if any(e.get(f"{m}_mean") is not None for e in summary)]
    if not shown:
        return "No metric was measured: every seed failed (see the error column of rows.csv).\n"
    lines = ["| configuration | " + " | ".join(shown) + " |", "|---|" + "---|" * len(shown)]
    lines += ["| " + " | ".join([_label(e)] + [cell(e, m) for m in shown]) + " |" for e in summary]
    return ("\n".join(lines) + "\n\nEach cell: mean ± standard error [95 % interval, Student t] "
            f"(n seeds). {_measured_on(summary, shown)}\n")


def _label(entry: dict[str, Any]) -> str:
    """A configuration's label, with how many of its seeds diverged (their evaluated metrics are
    not measured, so n says how many seeds each cell is over)."""
    share, seeds = entry.get("diverged_share"), entry.get("seeds", 0)
    return entry["label"] + (f" ({round(share * seeds)} of {seeds} seeds diverged)" if share else "")


def _measured(summary: list[dict[str, Any]], metric: str) -> tuple[str, str]:
    """Where the summary's values of ``metric`` come from ("final evaluation" or "last
    snapshot", or "" where unknown) and on how many generator samples per seed."""
    evaluated = sorted({e.get("eval_samples", 0) for e in summary} - {0})
    if by_evaluation(metric) and evaluated:
        return "final evaluation", _counts(evaluated)
    snapshot = sorted({snapshot_samples(metric, e.get("snapshot_samples") or 0) for e in summary} - {0})
    return ("last snapshot", _counts(snapshot)) if snapshot else ("", "")


def _measured_on(summary: list[dict[str, Any]], shown: list[str]) -> str:
    """Which samples the metrics were measured on: the final evaluation's, the snapshots'."""
    groups: dict[tuple[str, str], list[str]] = {}
    for m in shown:
        where = _measured(summary, m)
        if where[0]:
            groups.setdefault(where, []).append(m)
    said = []
    for (where, counts), names in groups.items():
        kernel = ""
        if where == "final evaluation":
            bandwidths = sorted({round(e["jsd_bandwidth"], 4) for e in summary if e.get("jsd_bandwidth")})
            if "jsd" in names and bandwidths:
                kernel = ("; jsd between densities smoothed by a Gaussian kernel of bandwidth h = "
                          + " to ".join(f"{h:g}" for h in sorted({bandwidths[0], bandwidths[-1]})))
            said.append(f"{', '.join(names)}: the final evaluation, on {counts} generator samples per "
                        f"seed (toygan.evaluation{kernel})")
        else:
            real = [n for n in names if n in RECORDED and "real batch" in RECORDED_METRICS[n].points]
            if real == names:
                on = f"{counts} generator samples and as many points of the fixed real batch"
            else:
                on = f"{counts} generator samples" + (f" ({', '.join(real)}: and as many real points)"
                                                      if real else "")
            said.append(f"{', '.join(names)}: the last snapshot, on {on} per seed")
    return ("; ".join(said) + ".") if said else ""


def by_evaluation(metric: str) -> bool:
    """Whether the final evaluation measures ``metric`` (toygan's evaluated ones, and your own)."""
    return metric in EVALUATED or metric not in RECORDED


def _counts(values: list[int]) -> str:
    return " or ".join(f"{v:,}" for v in values)


def summarise(spec: SweepSpec, folder: str | Path) -> list[dict[str, Any]]:
    """Collect the finished tasks' rows into rows.csv and snapshots.csv, write summary.csv/.json
    and the plots; returns the summary (one dict per finished configuration, in spec order)."""
    folder = Path(folder)
    rows, snapshots, summary = [], [], []
    for task in spec.tasks:
        task_dir = folder / "tasks" / task.id
        task_rows = read_rows(task_dir, spec.seeds)
        if task_rows is None:
            continue
        # labels, kinds and swept values are this spec's: another spec may have named it otherwise
        names = {"task": task.id, "label": task.label, "kind": task.kind, **flat(task.overrides)}
        task_rows = [{**row, **names} for row in task_rows]
        rows += task_rows
        if (task_dir / "snapshots.json").is_file():
            snapshots += [{"task": task.id, "label": task.label, **flat(task.overrides), **snap}
                          for snap in json.loads((task_dir / "snapshots.json").read_text(encoding="utf-8"))]
        summary.append(_entry(task, task_rows))
    if rows:
        _write_csv(folder / "rows.csv", rows)
    if snapshots:
        _write_csv(folder / "snapshots.csv", snapshots)
    if summary:
        _write_csv(folder / "summary.csv", summary)
        with atomic_path(folder / "summary.json") as tmp:
            tmp.write_text(json.dumps(summary, indent=1))
        with atomic_path(folder / "summary.md") as tmp:
            tmp.write_text(summary_table(summary), encoding="utf-8")
        _plots(spec, summary, folder / "plots")
    return summary


def read_summary(folder: str | Path) -> list[dict[str, Any]]:
    """The summary a sweep wrote into ``folder``: one dict per configuration with its ``task``,
    ``label``, ``kind``, overrides, ``seeds``, ``<metric>_mean`` and ``<metric>_se`` (None where
    undefined) over the ``<metric>_n`` seeds where the metric is defined (``reverse_kl`` is not
    for a seed that captured no mode; ``d_star_gap`` and ``jsd`` not without a density),
    ``all_modes_share``, ``diverged_share`` and ``failed``.

    Raises:
        ToyganError: the folder holds no summary, or one that cannot be read.
    """
    if not isinstance(folder, str | Path):
        raise ToyganError(f"read_summary: folder = {folder!r}: give the sweep folder's path")
    path = Path(folder) / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToyganError(f"{str(path)!r} does not exist: no task of this sweep has finished") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ToyganError(f"{str(path)!r} cannot be read: {err}") from None
    if not isinstance(summary, list) or not all(isinstance(e, dict) and "label" in e for e in summary):
        raise ToyganError(f"{str(path)!r} is not a sweep summary (a list of configurations)")
    return summary


LOG_AXES = frozenset({"train.lr_d", "train.lr_g", "train.gamma", "train.consensus",
                      "train.instance_noise", "train.sga_lambda", "train.clip"})
"""Swept keys drawn on a log axis (their values are chosen by factors) when all are positive."""


def _plots(spec: SweepSpec, summary: list[dict], out: Path) -> None:
    """Each metric against the first swept key: one line per value of the other keys; listed
    configurations ([[configs]]) as horizontal reference lines with their standard-error band."""

    variants = {t.id: t.variant for t in spec.tasks}
    lines: dict[str, list[dict]] = {}  # a line for each value of the other grid keys and variant
    for entry in (e for e in summary if e["kind"] != "listed"):
        name = [f"{k.split('.')[-1]}={entry[k]}" for k in spec.grid[1:]] + [variants[entry["task"]]]
        lines.setdefault(", ".join(filter(None, name)), []).append(entry)
    listed = [e for e in summary if e["kind"] == "listed"]
    x_key = spec.grid[0] if lines else None
    out.mkdir(parents=True, exist_ok=True)
    for metric in _spec_metrics(spec):
        # a Figure on its own Agg canvas: never touches the caller's matplotlib backend
        fig = Figure(figsize=(6, 4), dpi=110, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        drawn = (_draw_lines(ax, lines, x_key, metric) if x_key else
                 _draw_categories(ax, listed, metric))
        if x_key:
            drawn |= _draw_references(ax, listed, metric)
        if not drawn:
            continue
        ax.set_xlabel(x_key or "configuration")
        if x_key in LOG_AXES and all(isinstance(e.get(x_key), int | float) and e[x_key] > 0
                                     for e in summary if e["kind"] != "listed"):
            ax.set_xscale("log")  # step sizes and weights are chosen by factors: 1e-4, 1e-3, ...
            ax.set_xlabel(f"{x_key} (log scale)")
        ax.set_ylabel(metric)
        fewer = any(e[f"{metric}_n"] < e["seeds"] for e in summary)
        where, counts = _measured(summary, metric)
        on = f"{where}, {counts} samples per seed" if where else ""
        ax.set_title(f"{metric} at the end: mean ± standard error over {spec.seeds} seeds"
                     + (f"\n({on})" if on else "")
                     + (f"\n(fewer where it is undefined: see {metric}_n)" if fewer else ""),
                     fontsize=9)
        ax.margins(y=0.1)  # a reference line at the data's edge stays inside the frame
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        with atomic_path(out / f"{metric}.png") as tmp:
            fig.savefig(tmp)


def _points(entries: list[dict], metric: str) -> list[tuple[dict, float, float]]:
    return [(e, e[f"{metric}_mean"], e[f"{metric}_se"] or 0.0) for e in entries
            if e[f"{metric}_mean"] is not None]


def _draw_lines(ax: Any, groups: dict[str, list[dict]], x_key: str, metric: str) -> bool:
    drawn = False
    for i, (name, group) in enumerate(groups.items()):
        pts = _points(group, metric)
        if not pts:
            continue
        xs = [p[0].get(x_key) for p in pts]
        numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs)
        dodge = (i - (len(groups) - 1) / 2) * min(0.08, 0.6 / len(groups))  # bars side by side
        at = xs if numeric else [j + dodge for j in range(len(xs))]
        # categories (names) get no connecting line: there is nothing between them
        ax.errorbar(at, [p[1] for p in pts], yerr=[p[2] for p in pts], marker="o", capsize=3,
                    ls="-" if numeric else "none", label=name or None)
        if not numeric:
            ax.set_xticks(range(len(xs)), [str(x) for x in xs], rotation=20)
            ax.set_xlim(-0.5, len(xs) - 0.5)
        drawn = True
    return drawn


def _draw_references(ax: Any, entries: list[dict], metric: str) -> bool:
    for i, (entry, mean, se) in enumerate(_points(entries, metric)):
        colour = f"C{(i + 5) % 10}"
        ax.axhline(mean, color=colour, ls="--", lw=1.2, label=f"{entry['label']} (listed)")
        ax.axhspan(mean - se, mean + se, color=colour, alpha=0.15, lw=0)
    return bool(_points(entries, metric))


def _draw_categories(ax: Any, entries: list[dict], metric: str) -> bool:
    pts = _points(entries, metric)
    if not pts:
        return False
    ax.errorbar(range(len(pts)), [p[1] for p in pts], yerr=[p[2] for p in pts], marker="o",
                capsize=3, ls="none")
    ax.set_xticks(range(len(pts)), [p[0]["label"] for p in pts], rotation=20)
    ax.set_xlim(-0.5, len(pts) - 0.5)
    return True


def _setting(task: Any, key: str) -> Any:
    """The value of ``key`` in force in a task's config, whether swept there or not."""
    section, _, name = key.partition(".")
    return getattr(getattr(task.config, section), name)


def check_arms(spec: SweepSpec, key: str, a: Any, b: Any) -> None:
    """``--compare key=a,b`` must name a key the spec varies and values it has (checked before
    any training).

    Raises:
        ToyganError: in one line, naming what the spec varies or the values it has.
    """
    if key not in spec.swept:
        raise ToyganError(f"--compare {key}=...: the spec does not vary {key}; it varies "
                          f"{', '.join(spec.swept) or 'nothing'}")
    if a == b:
        raise ToyganError(f"--compare {key}={a!r},{b!r}: name two different values")
    values = [_setting(t, key) for t in spec.tasks]
    for value in (a, b):
        if value not in values:
            raise ToyganError(f"--compare {key}={value!r}: no configuration has it; its values are "
                              f"{', '.join(dict.fromkeys(repr(v) for v in values))}")


def compare(spec: SweepSpec, folder: str | Path, key: str, a: Any, b: Any) -> str:
    """``key`` = ``a`` against ``key`` = ``b``, in every pair of finished configurations that
    differ in nothing else: per metric both arms (mean ± standard error) and the paired difference
    b − a over the same seeds, with its error, its 95 % interval and the exact sign-flip test
    (``toygan.stats.paired``). Markdown; written to ``compare.md`` beside the summary.

    Raises:
        ToyganError: for a key the spec does not vary, or values no configuration has.
    """
    check_arms(spec, key, a, b)
    folder = Path(folder)
    others = [k for k in spec.swept if k != key]
    rest = lambda t: json.dumps([_setting(t, k) for k in others], default=str)  # noqa: E731
    lines, measured = [f"# {key} = {b!r} against {key} = {a!r}, paired by seed", ""], []
    for task_a in (t for t in spec.tasks if _setting(t, key) == a):
        task_b = next((t for t in spec.tasks if _setting(t, key) == b and rest(t) == rest(task_a)), None)
        rows_a = read_rows(folder / "tasks" / task_a.id, spec.seeds)
        rows_b = None if task_b is None else read_rows(folder / "tasks" / task_b.id, spec.seeds)
        if rows_a is None or rows_b is None:
            continue
        measured += [_entry(t, rows) for t, rows in ((task_a, rows_a), (task_b, rows_b))]
        alike = ", ".join(f"{k} = {_setting(task_a, k)!r}" for k in others)
        lines += [f"## {alike or 'everything else alike'}", ""]
        seeds = sorted({r["seed"] for r in rows_a} & {r["seed"] for r in rows_b})
        for metric in _spec_metrics(spec):
            xa, xb = (_per_seed(rows, metric, seeds) for rows in (rows_a, rows_b))
            lines.append(f"- {metric}: {paired(xa, xb).text(repr(a), repr(b))}")
        lines.append("")
    if len(lines) == 2:
        raise ToyganError(f"--compare {key}: no finished pair of configurations differs in {key} "
                          "alone")
    lines.append("Paired: b − a seed by seed (the same seeds, so each seed's luck cancels); "
                 "mean ± standard error, 95 % interval (Student t); p of the exact sign-flip "
                 "permutation test (toygan.stats). " + _measured_on(measured, list(_spec_metrics(spec))))
    text = "\n".join(lines) + "\n"
    with atomic_path(folder / "compare.md") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return text


def _per_seed(rows: list[dict], metric: str, seeds: list[int]) -> np.ndarray:
    """``metric`` of each of ``seeds`` (NaN where undefined)."""
    by_seed = {r["seed"]: r.get(metric) for r in rows}
    return np.array([np.nan if by_seed.get(s) is None else by_seed[s] for s in seeds], dtype=float)
