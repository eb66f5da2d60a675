"""Sweeps end to end: joblib and a real local Dask cluster, resume, a failing task, the summary's
statistics, and specs refused before any work."""

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from toygan.cli import main
from toygan.errors import ToyganError
from toygan.sweep import load_spec, run_sweep

TINY = """[sweep]
seeds = 3

[train]
steps = 40
batch_size = 32

[model]
g_width = 16
d_width = 16

[record]
every = 10
n_samples = 64
grid_size = 16
"""


def write_spec(folder: Path, body: str) -> Path:
    path = folder / "spec.toml"
    path.write_text(TINY + body)
    return path


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_a_joblib_sweep_tabulates_rows_and_summary(tmp_path):
    spec = load_spec(write_spec(tmp_path, '[grid]\n"train.loss" = ["saturating", "non-saturating"]\n'
                                          '"train.d_steps" = [1, 2]\n'))
    assert len(spec.tasks) == 4 and spec.swept == ["train.loss", "train.d_steps"]
    out = run_sweep(spec, tmp_path / "out", workers=2, progress=False)
    rows = read_csv(out / "rows.csv")
    assert len(rows) == 4 * 3 and {r["error"] for r in rows} == {""}
    summary = json.loads((out / "summary.json").read_text())
    for entry in summary:  # mean and standard error match a direct computation from the rows
        values = np.array([float(r["modes_captured"]) for r in rows if r["task"] == entry["task"]])
        assert entry["modes_captured_mean"] == pytest.approx(values.mean())
        assert entry["modes_captured_se"] == pytest.approx(values.std(ddof=1) / math.sqrt(3))
        share = np.mean([r["all_modes"] == "True" for r in rows if r["task"] == entry["task"]])
        assert entry["all_modes_share"] == pytest.approx(share)
    snapshots = read_csv(out / "snapshots.csv")
    assert len(snapshots) == 4 * 3 * 5  # steps 0, 10, 20, 30, 40
    assert (out / "plots" / "modes_captured.png").stat().st_size > 0


def test_rerunning_skips_finished_tasks_and_a_failing_task_is_recorded(tmp_path, capsys):
    body = ('[[configs]]\nlabel = "fine"\n\n'
            # passes validation, fails in training: a 2D fixed p_g against 1D data
            '[[configs]]\nlabel = "broken"\n"data.name" = "mixture1d"\n'
            '"train.generator" = "target"\n"fake.name" = "ring"\n')
    spec_path = write_spec(tmp_path, body)
    out = tmp_path / "out"
    assert main(["sweep", str(spec_path), "--out", str(out), "--quiet"]) == 0
    rows = read_csv(out / "rows.csv")
    broken = [r for r in rows if r["label"] == "broken"]
    assert len(broken) == 3 and all("must match" in r["error"] for r in broken)
    assert all(r["error"] == "" for r in rows if r["label"] == "fine")
    summary = {e["label"]: e for e in json.loads((out / "summary.json").read_text())}
    assert summary["broken"]["failed"] == 3 and summary["fine"]["failed"] == 0

    done = out / "tasks" / "t000" / "history.npz"
    before = done.stat().st_mtime_ns
    assert main(["sweep", str(spec_path), "--out", str(out), "--quiet"]) == 0
    assert done.stat().st_mtime_ns == before  # skipped, not trained again
    (spec_path).write_text(TINY + '[grid]\n"train.steps" = [10]\n')
    assert main(["sweep", str(spec_path), "--out", str(out), "--quiet"]) == 2
    assert "holds another sweep" in capsys.readouterr().err


def test_a_sweep_through_a_local_dask_cluster(tmp_path):
    """A real LocalCluster: 2 worker processes on loopback."""
    pytest.importorskip("dask.distributed")
    spec = load_spec(write_spec(tmp_path, '[grid]\n"train.loss" = ["saturating", "non-saturating"]\n'))
    out = run_sweep(spec, tmp_path / "out", backend="dask", workers=2, progress=False)
    rows = read_csv(out / "rows.csv")
    assert len(rows) == 2 * 3 and {r["error"] for r in rows} == {""}
    # the same numbers as a local run: where a task runs does not change what it computes
    local = run_sweep(spec, tmp_path / "local", progress=False)
    assert read_csv(local / "rows.csv") == [
        {**r, "seconds": s["seconds"]} for r, s in zip(rows, read_csv(local / "rows.csv"), strict=True)]


def test_an_unreachable_cluster_is_a_clear_error_not_a_hang(tmp_path):
    pytest.importorskip("dask.distributed")
    spec = load_spec(write_spec(tmp_path, '[grid]\n"train.steps" = [10]\n'))
    with pytest.raises(ToyganError, match="no Dask scheduler answered within 2 s"):
        run_sweep(spec, tmp_path / "out", backend="dask", address="tcp://127.0.0.1:9",
                  timeout=2, progress=False)


@pytest.mark.parametrize("body, match", [
    ("", "the sweep is empty"),
    ('[grid]\n"train.loss" = []\n', "must be a non-empty list"),
    ('[grid]\n"train.loss" = "saturating"\n', "must be a non-empty list"),
    ('[grid]\n"train.speed" = [1]\n', "train.speed"),
    ('[grid]\n"train.steps" = ["many"]\n', "train.steps = 'many'"),
    ('[grid]\n"train.regularizer" = ["none", "r1"]\n', "configuration 'regularizer=r1'"),
    ('[grid]\n"train.steps" = [10]\n[extra]\nx = 1\n', "extra: unknown section"),
    ('[grid]\n"train.steps" = [10]\n[[configs]]\n"model.width" = 3\n', "model.width"),
])
def test_bad_specs_are_refused_before_any_work(tmp_path, body, match):
    with pytest.raises(ToyganError, match=match):
        load_spec(write_spec(tmp_path, body))
    assert not (tmp_path / "out").exists()


def test_bad_sweep_settings(tmp_path):
    spec = load_spec(write_spec(tmp_path, '[grid]\n"train.steps" = [10]\n'))
    for kwargs, match in [({"backend": "ray"}, "choose one of"), ({"workers": 0}, "--workers 0"),
                          ({"address": "tcp://x:1"}, "use it with --backend dask")]:
        with pytest.raises(ToyganError, match=match):
            run_sweep(spec, tmp_path / "out", progress=False, **kwargs)
