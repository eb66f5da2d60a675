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
from scipy.stats import t as student_t

from toygan.atomic import atomic_path
from toygan.errors import ToyganError
from toygan.sweep.spec import SweepSpec

__all__ = ["summarise", "read_summary", "summary_table", "interval", "rounded", "METRICS", "ROWS", "flat",
           "read_rows"]


METRICS = ("modes_captured", "high_quality_fraction", "reverse_kl", "d_half_gap", "d_star_gap",
           "jsd")
"""Per-seed metrics a sweep reports (final value, and at every snapshot)."""
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
              and all(isinstance(r, dict) and keys <= r.keys() for r in rows))
        if ok and not rows[0]["error"]:
            snapshots = json.loads((task_dir / "snapshots.json").read_text(encoding="utf-8"))
            ok = isinstance(snapshots, list) and all(
                isinstance(r, dict) and {"seed", "step", *METRICS} <= r.keys() for r in snapshots)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return rows if ok else None


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
    for metric in METRICS:
        values = np.array([r[metric] for r in ok if r[metric] is not None], dtype=float)
        entry[f"{metric}_mean"] = float(values.mean()) if values.size else None
        entry[f"{metric}_se"] = (float(values.std(ddof=1) / math.sqrt(values.size))
                                 if values.size > 1 else None)
        entry[f"{metric}_n"] = int(values.size)  # seeds where it is defined (reverse_kl: ≥ 1 mode)
        entry[f"{metric}_ci_low"], entry[f"{metric}_ci_high"] = interval(entry[f"{metric}_mean"],
                                                                         entry[f"{metric}_se"], values.size)
    entry["all_modes_share"] = (sum(r["all_modes"] for r in ok) / len(ok)) if ok else None
    entry["diverged_share"] = (sum(r["diverged"] for r in ok) / len(ok)) if ok else None
    entry["failed"] = len(task_rows) - len(ok)
    return entry


def interval(mean: float | None, se: float | None, n: int, level: float = 0.95) -> tuple:
    """The ``level`` confidence interval of a mean over ``n`` seeds: mean ± t·se, with t the
    Student quantile for n − 1 degrees of freedom (the seeds' spread is estimated, not known);
    (None, None) for fewer than two seeds."""
    if mean is None or se is None or n < 2:
        return None, None
    half = float(student_t.ppf(0.5 + level / 2, n - 1)) * se
    return mean - half, mean + half


def _decimals(se: float) -> int:
    """The decimals that show two significant digits of a standard error (> 0)."""
    return max(0, 1 - math.floor(math.log10(se)))


def rounded(mean: float | None, se: float | None) -> str:
    """A mean to the precision its standard error allows (two significant digits of the error)."""
    if mean is None:
        return "–"
    if not se:
        return f"{mean:.3g}"
    decimals = _decimals(se)
    return f"{mean:.{decimals}f} ± {se:.{decimals}f}"


def summary_table(summary: list[dict[str, Any]], metrics: tuple[str, ...] = METRICS) -> str:
    """The summary as a Markdown table: per configuration and metric, mean ± standard error, the
    95 % interval and the number of seeds, rounded to what the error allows."""
    def cell(entry: dict, metric: str) -> str:
        mean, se, n = entry[f"{metric}_mean"], entry[f"{metric}_se"], entry[f"{metric}_n"]
        low, high = entry.get(f"{metric}_ci_low"), entry.get(f"{metric}_ci_high")
        text = rounded(mean, se)
        if low is not None:
            decimals = _decimals(se) if se else 3
            text += f" [{low:.{decimals}f}, {high:.{decimals}f}]"
        return f"{text} (n = {n})"
    shown = [m for m in metrics if any(e[f"{m}_mean"] is not None for e in summary)]
    lines = ["| configuration | " + " | ".join(shown) + " |", "|---|" + "---|" * len(shown)]
    lines += ["| " + " | ".join([e["label"]] + [cell(e, m) for m in shown]) + " |" for e in summary]
    return "\n".join(lines) + "\n\nEach cell: mean ± standard error [95 % interval, Student t] (n seeds).\n"


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
            snapshots += json.loads((task_dir / "snapshots.json").read_text(encoding="utf-8"))
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


def _plots(spec: SweepSpec, summary: list[dict], out: Path) -> None:
    """Each metric against the first swept key: one line per value of the other keys; listed
    configurations ([[configs]]) as horizontal reference lines with their standard-error band."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    variants = {t.id: t.variant for t in spec.tasks}
    lines: dict[str, list[dict]] = {}  # a line for each value of the other grid keys and variant
    for entry in (e for e in summary if e["kind"] != "listed"):
        name = [f"{k.split('.')[-1]}={entry[k]}" for k in spec.grid[1:]] + [variants[entry["task"]]]
        lines.setdefault(", ".join(filter(None, name)), []).append(entry)
    listed = [e for e in summary if e["kind"] == "listed"]
    x_key = spec.grid[0] if lines else None
    out.mkdir(parents=True, exist_ok=True)
    for metric in METRICS:
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
        ax.set_ylabel(metric)
        fewer = any(e[f"{metric}_n"] < e["seeds"] for e in summary)
        ax.set_title(f"{metric} at the end: mean ± standard error over {spec.seeds} seeds"
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
