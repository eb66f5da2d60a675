"""Sweeps end to end: joblib and a real local Dask cluster, resume, a failing task, the summary's
statistics, and specs refused before any work."""

import contextlib
import csv
import json
import math
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from toygan.cli import main
from toygan.config import Config
from toygan.errors import ToyganError
from toygan.history import History
from toygan.stats import rounded
from toygan.sweep import load_spec, read_summary, run_sweep
from toygan.sweep.results import compare, read_rows

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
        assert entry["modes_captured_n"] == 3
        defined = [r["reverse_kl"] for r in rows if r["task"] == entry["task"] and r["reverse_kl"]]
        assert entry["reverse_kl_n"] == len(defined)  # undefined where a seed captured no mode
        assert entry["modes_captured_se"] == pytest.approx(values.std(ddof=1) / math.sqrt(3))
        share = np.mean([r["all_modes"] == "True" for r in rows if r["task"] == entry["task"]])
        assert entry["all_modes_share"] == pytest.approx(share)
    table = (out / "summary.md").read_text()
    assert table.count("\n| ") == 4 and "(n = 3)" in table and "95 % interval" in table
    snapshots = read_csv(out / "snapshots.csv")
    assert len(snapshots) == 4 * 3 * 5  # steps 0, 10, 20, 30, 40
    assert (out / "plots" / "modes_captured.png").stat().st_size > 0
    # the modes, quality, reverse KL and JSD of a row are the final evaluation's, on 2,500 samples
    assert {r["eval_samples"] for r in rows} == {"2500"}
    first = spec.tasks[0]
    evaluation = History.load(out / "tasks" / first.id / "history.npz").evaluation
    assert [float(r["jsd"]) for r in rows if r["task"] == first.id] == pytest.approx(
        evaluation["metrics"]["jsd"])
    assert "the final evaluation, on 2,500 generator samples per seed" in table
    # |D − ½| and |D − D*| read D on the real batch too (d_star_gap on the first 64 of each)
    assert ("d_half_gap, d_star_gap: the last snapshot, on 64 generator samples and as many points "
            "of the fixed real batch per seed") in table
    # paired by seed: non-saturating − saturating at each d_steps, from the rows directly
    text = compare(spec, out, "train.loss", "saturating", "non-saturating")
    assert text == (out / "compare.md").read_text() and text.count("\n## train.d_steps = ") == 2
    for k in (1, 2):
        value = {(r["train.loss"], int(r["seed"])): float(r["jsd"])
                 for r in rows if r["train.d_steps"] == str(k)}
        d = [value["non-saturating", s] - value["saturating", s] for s in range(3)]
        block = text.split(f"## train.d_steps = {k}")[1].split("##")[0]
        line = next(x for x in block.splitlines() if x.startswith("- jsd:"))
        assert f"= {rounded(np.mean(d), np.std(d, ddof=1) / math.sqrt(3))} [" in line
        assert "over 3 paired seeds, sign-flip test p = " in line
    with pytest.raises(ToyganError, match="no configuration has it; its values are"):
        compare(spec, out, "train.loss", "saturating", "hinge")


def test_the_interval_and_the_rounding_follow_the_closed_form():
    """Seeds 1, 2, 3, 4: mean 2.5, sample sd √(5/3), se √(5/3)/2; Student t for 3 degrees of
    freedom at 0.975 is 3.182446305284263 (tables): the interval is 2.5 ± 3.18245 · 0.645497."""
    from toygan.sweep.results import interval, rounded, summary_table

    se = math.sqrt(5 / 3) / 2
    low, high = interval(2.5, se, 4)
    assert low == pytest.approx(2.5 - 3.182446305284263 * se, abs=1e-9)
    assert high == pytest.approx(2.5 + 3.182446305284263 * se, abs=1e-9)
    assert interval(2.5, None, 1) == (None, None)
    assert rounded(2.5, se) == "2.50 ± 0.65" and rounded(0.123456, 0.0123) == "0.123 ± 0.012"
    assert rounded(7.0, 0.0) == "7 ± 0" and rounded(None, None) == "–"
    entry = {"label": "a", "jsd_mean": 2.5, "jsd_se": se, "jsd_n": 4, "jsd_ci_low": low, "jsd_ci_high": high}
    entry.update({f"{m}_mean": None for m in ("modes_captured", "high_quality_fraction", "reverse_kl",
                                                "d_half_gap", "d_star_gap")})
    assert "| a | 2.50 ± 0.65 [0.45, 4.55] (n = 4) |" in summary_table([entry])


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

    done = out / "tasks" / load_spec(spec_path).tasks[0].id / "history.npz"
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
    ('[[cross]]\nlabel = "R1"\n"train.regularizer" = "r1"\n', "there is no \\[grid\\]"),
    ('[grid]\n"train.members" = [2]\n', "train.members is set by sweep.seeds"),
    ('[[configs]]\nlabel = "a"\n[[configs]]\nlabel = "b"\n', "'a' and 'b' are the same config"),
    ('[[configs]]\nlabel = 3\n', "label = 3: must be a non-empty string"),
    ('[[configs]]\nlabel = "a\\nb"\n', "printable characters"),
    ('[[configs]]\nlabel = "same"\n[[configs]]\nlabel = "same"\n"train.steps" = 20\n',
     "two configurations are labelled 'same'"),
    ("[grid]\n" + "".join(f'"train.seed" = {list(range(10))}\n'.replace("seed", k) for k in
                          ["seed", "steps", "d_steps", "g_steps", "batch_size"]),
     "the spec makes 100,000 configurations; at most 10,000"),
    ('[cross]\nlabel = "x"\n[grid]\n"train.steps" = [10]\n', "\\[\\[cross\\]\\] must be a list"),
])
def test_bad_specs_are_refused_before_any_work(tmp_path, body, match):
    with pytest.raises(ToyganError, match=match):
        load_spec(write_spec(tmp_path, body))
    assert not (tmp_path / "out").exists()


def test_bad_sweep_settings(tmp_path):
    spec = load_spec(write_spec(tmp_path, '[grid]\n"train.steps" = [10]\n'))
    for kwargs, match in [({"backend": "ray"}, "choose one of"), ({"workers": 0}, "--workers = 0"),
                          ({"address": "tcp://x:1"}, "use it with --backend dask")]:
        with pytest.raises(ToyganError, match=match):
            run_sweep(spec, tmp_path / "out", progress=False, **kwargs)


CROSSED = """[grid]
"train.loss" = ["saturating", "non-saturating"]
"train.d_steps" = [1, 2]

[[cross]]
label = "plain"

[[cross]]
label = "R1"
"train.regularizer" = "r1"
"train.gamma" = 1.0

[[configs]]
label = "baseline"
"train.d_steps" = 5
"""


def test_grid_cross_and_listed_configurations_are_what_the_spec_says(tmp_path):
    spec = load_spec(write_spec(tmp_path, CROSSED))
    kinds = [t.kind for t in spec.tasks]
    assert kinds == ["grid × cross"] * 8 + ["listed"]
    assert [t.label for t in spec.tasks[:2]] == ["loss=saturating, d_steps=1, plain",
                                                  "loss=saturating, d_steps=1, R1"]
    r1 = [t for t in spec.tasks if t.variant == "R1"]
    assert len(r1) == 4 and all(t.config.train.regularizer == "r1" for t in r1)
    assert sum(t.config.train.regularizer == "r1" for t in spec.tasks) == 4  # the rest have none
    baseline = spec.tasks[-1].config
    assert (baseline.train.loss, baseline.train.regularizer) == (Config().train.loss, "none")
    assert spec.grid == ["train.loss", "train.d_steps"]
    assert "9 configuration(s) × 3 seeds (8 grid × cross, 1 listed)" in spec.table()
    # a grid alone: every combination, kind "grid"; the same spec as a dict gives the same tasks
    alone = load_spec({"sweep": {"seeds": 2}, "grid": {"train.loss": ["hinge", "least-squares"]}})
    assert [t.kind for t in alone.tasks] == ["grid", "grid"]


def test_the_summary_says_which_configuration_is_which(tmp_path):
    body = ('[grid]\n"train.d_steps" = [1, 2]\n\n[[configs]]\nlabel = "baseline"\n'
            '"train.d_steps" = 3\n')
    out = run_sweep(load_spec(write_spec(tmp_path, body)), tmp_path / "out", progress=False)
    summary = read_summary(out)
    assert [(e["label"], e["kind"]) for e in summary] == [
        ("d_steps=1", "grid"), ("d_steps=2", "grid"), ("baseline", "listed")]
    assert {r["kind"] for r in read_csv(out / "rows.csv")} == {"grid", "listed"}
    assert (out / "plots" / "jsd.png").stat().st_size > 0


def test_read_summary_refuses_what_is_not_a_summary(tmp_path):
    with pytest.raises(ToyganError, match="does not exist: no task of this sweep has finished"):
        read_summary(tmp_path)
    (tmp_path / "summary.json").write_text("{")
    with pytest.raises(ToyganError, match="cannot be read"):
        read_summary(tmp_path)
    (tmp_path / "summary.json").write_text('{"a": 1}')
    with pytest.raises(ToyganError, match="is not a sweep summary"):
        read_summary(tmp_path)


def test_a_changed_spec_in_the_same_folder_trains_what_changed(tmp_path, capsys):
    """Tasks are matched by their configuration, never by position: --force with another spec
    reuses the identical configurations wherever the spec now lists them."""
    out = tmp_path / "out"
    first = write_spec(tmp_path, '[grid]\n"train.d_steps" = [1, 2]\n')
    assert main(["sweep", str(first), "--out", str(out), "--quiet"]) == 0
    kept = [out / "tasks" / t.id / "history.npz" for t in load_spec(first).tasks]
    before = [path.stat().st_mtime_ns for path in kept]
    second = tmp_path / "second.toml"
    second.write_text(TINY + '[grid]\n"train.d_steps" = [3, 1, 2]\n')
    assert main(["sweep", str(second), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "holds another sweep (1 of this spec's configurations are not in it, and 0" in err
    assert main(["sweep", str(second), "--out", str(out), "--force"]) == 0
    assert "2 of 3 configurations already done" in capsys.readouterr().err
    assert [e["train.d_steps"] for e in read_summary(out)] == [3, 1, 2]
    assert [path.stat().st_mtime_ns for path in kept] == before  # moved, not trained again
    # the same configurations in a spec worded otherwise are the same sweep: no --force needed
    second.write_text("# a comment\n" + TINY + '[grid]\n"train.d_steps" = [3, 1, 2]\n')
    assert main(["sweep", str(second), "--out", str(out), "--quiet"]) == 0
    assert (out / "spec.toml").read_text().startswith("# a comment")


def test_run_sweep_from_python_guards_its_folder_too(tmp_path):
    spec = load_spec(write_spec(tmp_path, '[grid]\n"train.d_steps" = [1]\n'))
    run_sweep(spec, tmp_path / "out", progress=False)
    other = load_spec({"sweep": {"seeds": 1}, "configs": [{"label": "other", "train.steps": 10}]})
    with pytest.raises(ToyganError, match="holds another sweep"):
        run_sweep(other, tmp_path / "out", progress=False)
    assert [e["label"] for e in read_summary(tmp_path / "out")] == ["d_steps=1"]
    run_sweep(other, tmp_path / "out", progress=False, force=True)
    assert [e["label"] for e in read_summary(tmp_path / "out")] == ["other"]
    with pytest.raises(ToyganError, match="give a path to a TOML file, or a dict"):
        load_spec(["not", "a", "spec"])


def test_plan_lists_the_configurations_without_training(tmp_path, capsys):
    spec = write_spec(tmp_path, CROSSED)
    assert main(["sweep", str(spec), "--plan"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "9 configuration(s) × 3 seeds (8 grid × cross, 1 listed):"
    assert out[-1].split()[1:] == ["listed", "baseline"] and len(out) == 10
    assert not (tmp_path / "tasks").exists()


@pytest.mark.parametrize("args, needle", [
    ([], "--out is required"),
    (["--out", "o", "--timeout", "0"], "--timeout = 0"),
    (["--out", "o", "--backend", "dask", "--address", "nowhere"], "not a Dask scheduler address"),
    (["--out", "o", "--backend", "dask", "--address", "tls://127.0.0.1:1"], "not a Dask scheduler address"),
    (["--out", "o", "--device", "cuda"], "torch sees no CUDA device here"),
    (["--out", "o", "--address", "tcp://h:1"], "use it with --backend dask"),
])
def test_bad_sweep_options_are_one_line(args, needle, tmp_path, capsys, monkeypatch):
    if "cuda" in args:
        monkeypatch.setattr("torch.cuda.is_available", lambda: False)  # as on a machine without one
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path, '[grid]\n"train.steps" = [10]\n')
    assert main(["sweep", str(spec), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "tasks").exists()


DOCS = Path(__file__).resolve().parents[1] / "docs" / "sweeps.md"


def test_the_docs_spec_makes_what_the_docs_say(tmp_path, capsys):
    """docs/sweeps.md: its spec is 8 grid × cross configurations (4 with R1) and 1 listed, and
    the --plan output it shows is the command's."""
    text = DOCS.read_text()
    (tmp_path / "spec.toml").write_text(re.search(r"```toml\n(.*?)```", text, re.S).group(1))
    spec = load_spec(tmp_path / "spec.toml")
    assert [t.kind for t in spec.tasks] == ["grid × cross"] * 8 + ["listed"]
    assert [t.config.train.regularizer for t in spec.tasks].count("r1") == 4
    assert main(["sweep", str(tmp_path / "spec.toml"), "--plan"]) == 0
    printed = capsys.readouterr().out.splitlines()
    shown = re.search(r"\$ toygan sweep spec.toml --plan\n(.*?)```", text, re.S).group(1).splitlines()
    assert shown == printed


def _wait_for_file(path: Path, process: subprocess.Popen) -> dict:
    """The JSON a process writes once it is ready (its readiness signal), polled, never timed."""
    while process.poll() is None:
        with contextlib.suppress(FileNotFoundError, ValueError):  # not yet there, or half written
            return json.loads(path.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{process.args[:2]} exited with {process.returncode} before it was ready")


def test_a_sweep_on_a_scheduler_and_workers_started_apart(tmp_path):
    """The steps of docs/sweeps.md on one machine: Dask's own `dask scheduler` and `dask worker`
    as separate processes, the worker configured by the docs' YAML file, then `toygan sweep
    --address`. The results equal a local run's, and no worker is reported slow."""
    pytest.importorskip("dask.distributed")
    import dask
    from dask.distributed import Client

    from toygan.sweep.backends import QUIET_WORKERS, worker_environ

    yaml = re.search(r"<<'EOF'\n(.*?)\n\s*EOF", DOCS.read_text(), re.S).group(1)
    config = tmp_path / "dask-config"
    config.mkdir()
    (config / "toygan.yaml").write_text(textwrap.dedent(yaml))
    env = {**os.environ, "DASK_CONFIG": str(config)}
    dask_cli = str(Path(sys.executable).with_name("dask"))
    spec_path = write_spec(tmp_path, '[grid]\n"train.loss" = ["saturating", "non-saturating"]\n')
    processes = []
    try:
        processes.append(subprocess.Popen(
            [dask_cli, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(tmp_path / "scheduler.json")], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        address = _wait_for_file(tmp_path / "scheduler.json", processes[0])["address"]
        processes.append(subprocess.Popen(
            [dask_cli, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(address, timeout=120) as client:
            client.wait_for_workers(1, timeout=600)  # a bound on a hang, not a delay
            # the docs' configuration took: the worker is set up as toygan's local ones are
            assert list(client.run(worker_environ, "MALLOC_TRIM_THRESHOLD_").values()) == [None]
            for key, value in QUIET_WORKERS.items():
                assert list(client.run(dask.config.get, key).values()) == [value], key
        done = subprocess.run([sys.executable, "-m", "toygan", "sweep", str(spec_path), "--out",
                               str(tmp_path / "out"), "--backend", "dask", "--address", address],
                              capture_output=True, text=True, timeout=600)
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"at {address}" in done.stdout and "note:" not in done.stderr
    local = run_sweep(load_spec(spec_path), tmp_path / "local", progress=False)
    remote = read_csv(tmp_path / "out" / "rows.csv")
    assert remote == [{**r, "seconds": s["seconds"]}
                      for r, s in zip(read_csv(local / "rows.csv"), remote, strict=True)]


def test_dask_workers_that_keep_the_slow_setting_are_reported(tmp_path, monkeypatch):
    """A LocalCluster given Dask's default worker environment (as a plain `dask worker` has):
    the sweep says so in one line and still runs."""
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr("toygan.sweep.backends._NO_SLOW_ENV", {})
    lines = []
    spec = load_spec(write_spec(tmp_path, '[grid]\n"train.steps" = [10]\n'))
    run_sweep(spec, tmp_path / "out", backend="dask", progress=False, report=lines.append)
    assert len(lines) == 1 and "MALLOC_TRIM_THRESHOLD_=65536" in lines[0]
    assert len(read_csv(tmp_path / "out" / "rows.csv")) == 3


@pytest.mark.parametrize("content", ["garbage{", "", "[1, 2]", "{}", "[]", '[{"error": ""}]'])
def test_a_corrupt_task_file_is_trained_again_not_taken_for_results(tmp_path, content, capsys):
    spec_path = write_spec(tmp_path, '[[configs]]\nlabel = "one"\n')
    out = tmp_path / "out"
    assert main(["sweep", str(spec_path), "--out", str(out), "--quiet"]) == 0
    rows = out / "tasks" / load_spec(spec_path).tasks[0].id / "rows.json"
    good = rows.read_text()
    rows.write_text(content)
    assert main(["sweep", str(spec_path), "--out", str(out)]) == 0
    assert "is not what a finished task writes; training that configuration again" in capsys.readouterr().err
    assert json.loads(rows.read_text()) == [{**r, "seconds": json.loads(rows.read_text())[i]["seconds"]}
                                            for i, r in enumerate(json.loads(good))]


def test_labels_come_from_the_spec_that_runs(tmp_path):
    """The same configurations labelled otherwise are the same sweep; the tables use the new names."""
    first = write_spec(tmp_path, '[[configs]]\nlabel = "plain"\n[[configs]]\nlabel = "R1"\n'
                                 '"train.d_steps" = 2\n')
    run_sweep(load_spec(first), tmp_path / "out", progress=False)
    first.write_text(TINY + '[[configs]]\nlabel = "R1"\n[[configs]]\nlabel = "plain"\n"train.d_steps" = 2\n')
    run_sweep(load_spec(first), tmp_path / "out", progress=False)
    by_task = {e["task"]: e["label"] for e in read_summary(tmp_path / "out")}
    assert {r["task"]: r["label"] for r in read_csv(tmp_path / "out" / "rows.csv")} == by_task
    assert sorted(by_task.values()) == ["R1", "plain"]


def test_diverged_seeds_and_damaged_rows_are_not_counted_as_measured(tmp_path):
    path = write_spec(tmp_path, '[grid]\n"train.lr_d" = [0.001, 1e30]\n')
    path.write_text(path.read_text().replace("[train]\n", '[train]\noptimizer = "sgd"\n'))
    spec = load_spec(path)
    out = run_sweep(spec, tmp_path / "out", workers=1, progress=False)
    rows = read_csv(out / "rows.csv")
    diverged = [r for r in rows if r["train.lr_d"] == "1e+30"]
    assert diverged and all(r["diverged"] == "True" for r in diverged)
    assert all(r["jsd"] == "" and r["eval_samples"] == "0" for r in diverged)  # no evaluation
    assert "(3 of 3 seeds diverged)" in (out / "summary.md").read_text()
    with pytest.raises(ToyganError, match="name two different values"):
        compare(spec, out, "train.lr_d", 0.001, 0.001)
    text = compare(spec, out, "train.lr_d", 0.001, 1e30)  # numbers matched as numbers
    assert "- jsd: " in text and "no seed where both are defined" in text
    # a rows.json edited by hand is not a finished task: it is trained again
    first = out / "tasks" / spec.tasks[0].id / "rows.json"
    edited = json.loads(first.read_text())
    edited[0]["jsd"] = "oops"
    first.write_text(json.dumps(edited))
    assert read_rows(first.parent, spec.seeds) is None
