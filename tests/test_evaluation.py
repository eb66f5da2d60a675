"""The evaluation protocol at the end of a run (toygan.evaluation): stated sample size, closed
forms where they exist, kept with the history, used by recipe checks."""

import math
import subprocess

import numpy as np
import pytest
from conftest import TOYGAN
from conftest import tiny_config as plain_config

from toygan import Game, History
from toygan.errors import ToyganError
from toygan.recipes import Check, measure


def tiny_config(**overrides):
    """The tests' tiny run, with the evaluation at its end (the protocol's 2,500 samples)."""
    return plain_config(**{"record.eval_samples": 2500, **overrides})


def test_p_g_equal_to_the_data_gives_the_closed_forms():
    """The ring's 8 modes lie 2·sin(π/8)·radius apart, hundreds of σ: a sample of p_data is high
    quality exactly when it lies within 3σ of its own mode, which for an isotropic 2D Gaussian has
    probability 1 − e^(−9/2) (the Rayleigh distribution). p_g = p_data makes D* = ½ everywhere, so
    the JSD estimate log 2 + ½E log D* + ½E log(1 − D*) is 0 on any samples."""
    game = Game(tiny_config(**{"train.generator": "target", "fake.name": "ring", "train.steps": 5}))
    found = game.run(progress=False).evaluation
    assert found["n_samples"] == 2500 and found["step"] == 5
    assert found["jsd_against"] == "p_data and the fixed p_g, exact densities"
    m = found["metrics"]
    hq = 1 - math.exp(-4.5)
    assert abs(m["high_quality_fraction"][0] - hq) < 4 * math.sqrt(hq * (1 - hq) / 2500)
    assert m["modes_captured"] == [8.0]
    assert m["jsd"][0] == pytest.approx(0.0, abs=1e-12)
    # K equal modes, n samples spread over them: KL(p̂ ‖ w) ≈ (K − 1)/(2n) = 0.0014
    assert 0 <= m["reverse_kl"][0] < 0.01


def test_member_i_is_evaluated_as_the_one_member_game_with_seed_plus_i():
    ensemble = Game(tiny_config(**{"train.members": 2, "train.seed": 4})).run(progress=False).evaluation
    alone = Game(tiny_config(**{"train.seed": 5})).run(progress=False).evaluation
    for name, values in alone["metrics"].items():
        assert ensemble["metrics"][name][1] == pytest.approx(values[0], abs=1e-4), name
    assert "smoothed by the KDE's kernel" in alone["jsd_against"]


def test_the_evaluation_is_kept_with_the_run_and_only_while_it_is_current(tmp_path):
    game = Game(tiny_config(**{"train.steps": 20}))
    history = game.run(progress=False)
    assert game.evaluate(200)["n_samples"] == 200  # on demand, any size
    game.save(tmp_path / "run")
    assert History.load(tmp_path / "run" / "history.npz").evaluation == history.evaluation
    again = Game.load(tmp_path / "run")
    assert again.evaluation == history.evaluation and again.history.evaluation == history.evaluation
    again.step()  # the game moved on: its history no longer shows an evaluation of another state
    assert again.history.evaluation is None
    stopped = Game(tiny_config(**{"train.steps": 20})).run(callbacks=[lambda g, r: g.iteration < 10],
                                                          progress=False)
    assert stopped.status == "interrupted" and stopped.evaluation is None
    off = Game(tiny_config(**{"record.eval_samples": 0}))
    assert off.run(progress=False).evaluation is None and off.evaluate()["n_samples"] == 2500
    with pytest.raises(ToyganError, match="record.eval_samples = 50: must be 0 .* or from 100 to 10000"):
        Game(tiny_config(**{"record.eval_samples": 50}))


def test_a_damaged_evaluation_in_a_history_file_is_one_line(tmp_path):
    history = Game(tiny_config(**{"train.steps": 10})).run(progress=False)
    history.evaluation["metrics"]["jsd"] = [0.1, 0.2]  # two values for one member
    history.save(tmp_path / "h.npz")
    with pytest.raises(ToyganError, match="its evaluation is not {step, n_samples, jsd_against"):
        History.load(tmp_path / "h.npz")
    history.evaluation = {"step": 10}
    history.save(tmp_path / "h.npz")
    with pytest.raises(ToyganError, match="its evaluation is not"):
        History.load(tmp_path / "h.npz")


def test_a_recipe_check_reads_the_evaluation_and_names_its_samples():
    history = Game(tiny_config(**{"train.steps": 10, "train.members": 2})).run(progress=False)
    result = measure(Check("modes_captured", ">= 0", 2, when="evaluation"), {"": history})
    assert result.values == history.evaluation["metrics"]["modes_captured"]
    assert "modes_captured (evaluation) ≥ 0 on 2,500 samples" in result.statement()
    final = measure(Check("modes_captured", ">= 0", 2), {"": history})
    assert "modes_captured (final) ≥ 0 on 64 samples" in final.statement()  # the snapshots' 64
    history.evaluation = None
    with pytest.raises(ToyganError, match="the run has no final evaluation"):
        measure(Check("jsd", "< 1", 1, when="evaluation"), {"": history})
    assert np.isfinite(final.values).all()


METRICS_MODULE = '''
import numpy as np

def spread(samples, target):
    return float(np.linalg.norm(samples - samples.mean(0), axis=1).mean())

def broken(samples, target):
    raise RuntimeError("no luck")

def many(samples, target):
    return [1, 2]
'''


@pytest.fixture
def metrics_here(module_here):
    return module_here("my_metrics", METRICS_MODULE)


def test_your_own_metric_is_recorded_at_every_snapshot_and_evaluated(metrics_here):
    history = Game(tiny_config(**{"train.steps": 20, "train.members": 2,
                                  "record.metrics": ["my_metrics:spread"]})).run(progress=False)
    spread = history.scalars["spread"]
    assert spread.shape == (3, 2)  # steps 0, 10, 20; two members
    by_hand = np.linalg.norm(history.samples[-1, 1] - history.samples[-1, 1].mean(0), axis=1).mean()
    assert spread[-1, 1] == pytest.approx(by_hand, rel=1e-5)
    assert len(history.evaluation["metrics"]["spread"]) == 2
    result = measure(Check("spread", "> 0", 2, when="evaluation"), {"": history})
    assert result.holds and "on 2,500 samples" in result.statement()


@pytest.mark.parametrize("names, message", [
    (["my_metrics:broken"], r"record.metrics: broken\(samples, target\) raised RuntimeError \(no luck\)"),
    (["my_metrics:many"], "returned list '.1, 2.'; it must return one number"),
    (["my_metrics:jsd"], "the name 'jsd' is taken"),
    (["my_metrics:seed"], "the name 'seed' is taken"),
    (["my_metrics:nothing"], "'my_metrics' has no 'nothing'"),
    (["my_metrics.spread"], 'must be "package.module:function" .a function of .samples, target.'),
])
def test_a_metric_that_cannot_be_recorded_is_one_line(metrics_here, names, message):
    with pytest.raises(ToyganError, match=message):
        Game(tiny_config(**{"record.metrics": names}))


INTERRUPTING = '''
import os
import signal

def interrupting(samples, target):
    if len(samples) == 2500:  # the final evaluation's samples: Ctrl-C arrives during it
        os.kill(os.getpid(), signal.SIGINT)
    return 0.0

calls = [0]

def late(samples, target):
    calls[0] += 1
    if calls[0] > 2:  # fine at the first two snapshots, fails at the third
        raise ValueError("too wide")
    return 1.0

def on_few(samples, target):
    if len(samples) == 2500:
        raise ValueError("fails on the evaluation's samples")
    return 1.0
'''


def test_a_metric_that_fails_mid_run_stops_it_and_keeps_the_record(tmp_path, monkeypatch):
    (tmp_path / "signals_metric.py").write_text(INTERRUPTING)
    monkeypatch.chdir(tmp_path)
    game = Game(tiny_config(**{"train.steps": 40, "record.metrics": ["signals_metric:late"]}))
    history = game.run(progress=False)
    assert history.status == "failed" and history.n_snapshots == 2  # steps 0 and 10
    assert history.message.startswith("failed at step 20: ")
    assert "record.metrics: late(samples, target) raised ValueError (too wide)" in history.message
    # fixed, the run goes on from step 20 and takes the snapshot the metric failed in first
    monkeypatch.setattr("signals_metric.calls", [-100])
    assert game.run(progress=False).steps.tolist() == [0, 10, 20, 30, 40]
    # one that fails only on the evaluation's samples is left out of it; toygan's metrics are kept
    with pytest.warns(UserWarning, match=r"the final evaluation leaves out record.metrics: on_few.* "
                                         r"raised ValueError .*toygan's own metrics are kept") as said:
        kept = Game(tiny_config(**{"train.steps": 10, "train.members": 2,
                                   "record.metrics": ["signals_metric:on_few"]})).run(progress=False)
    assert len([w for w in said if "on_few" in str(w.message)]) == 1  # once, not once per member
    assert kept.status == "completed" and kept.evaluation["metrics"]["on_few"] == [None, None]
    assert all(v is not None for v in kept.evaluation["metrics"]["modes_captured"])
    assert kept.scalars["on_few"].shape == (2, 2)  # its snapshots (steps 0 and 10) are kept


def test_a_warning_in_a_sweeps_task_is_passed_on_once_and_the_sweep_ends(tmp_path, monkeypatch):
    """In the sweep's own process (one worker): a warning of the user's code goes on as it is, and
    passing it on does not record it again (that looped without end, memory growing)."""
    from toygan.sweep import load_spec, run_sweep

    (tmp_path / "warning_metric.py").write_text(
        "import warnings\n\ndef loud(samples, target):\n"
        "    warnings.warn('a warning of yours', UserWarning)\n    return 1.0\n")
    monkeypatch.chdir(tmp_path)
    spec = load_spec({"sweep": {"seeds": 1}, "train": {"steps": 10, "batch_size": 32},
                      "record": {"every": 10, "n_samples": 64, "grid_size": 16, "eval_samples": 0,
                                 "metrics": ["warning_metric:loud"]},
                      "model": {"g_width": 16, "d_width": 16}, "grid": {"train.lr_d": [1e-3]}})
    with pytest.warns(UserWarning, match="a warning of yours"):
        out = run_sweep(spec, tmp_path / "sweep", progress=False)
    assert "loud" in (out / "summary.md").read_text()


def test_a_metric_that_fails_mid_run_is_a_sweep_tasks_error_not_a_stop(tmp_path):
    (tmp_path / "failing_metric.py").write_text(INTERRUPTING)
    (tmp_path / "spec.toml").write_text(
        '[sweep]\nseeds = 2\n[train]\nsteps = 40\nbatch_size = 32\n[model]\ng_width = 16\n'
        'd_width = 16\n[record]\nevery = 10\nn_samples = 64\ngrid_size = 16\neval_samples = 0\n'
        'metrics = ["failing_metric:late"]\n[grid]\n"train.lr_d" = [1e-3, 2e-4]\n')
    done = subprocess.run([TOYGAN, "sweep", "spec.toml", "--out", "sweep", "--quiet"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr  # not 130: the sweep went on to the next configuration
    rows = (tmp_path / "sweep" / "rows.csv").read_text()  # 2 configurations × 2 seeds
    assert rows.count("record.metrics: late(samples, target) raised ValueError (too wide)") == 4
    # the first fails at its third call, the snapshot of step 10 (the metric's count goes on into
    # the next configuration, which fails at its start)
    assert rows.count("failed at step 10: record.metrics: late") == 2
    assert "2 of 2 configurations failed" in done.stderr


@pytest.mark.parametrize("returned, shown", [("10 ** 400", "int"), ("None", "NoneType"), ('"2.5"', "str"),
                                             ("True", "bool"), ("[1, 2]", "list")])
def test_a_metric_must_return_one_number(tmp_path, monkeypatch, returned, shown):
    module = f"odd_metric_{shown.lower()}"  # one module each: the import system keeps what it read
    (tmp_path / f"{module}.py").write_text(f"def odd(samples, target):\n    return {returned}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ToyganError, match=f"odd.samples, target. returned {shown} .*; it must return one"):
        Game(tiny_config(**{"record.metrics": [f"{module}:odd"]}))


def test_a_history_whose_evaluation_is_not_of_its_last_snapshot_is_refused(tmp_path):
    history = Game(tiny_config(**{"train.steps": 10})).run(progress=False)
    for change in ({"step": 5}, {"n_samples": 10**30}):
        bad = dict(history.evaluation, **change)
        History(**{**{f.name: getattr(history, f.name) for f in __import__("dataclasses").fields(History)},
                   "evaluation": bad}).save(tmp_path / "h.npz")
        with pytest.raises(ToyganError, match="is not of the last snapshot"):
            History.load(tmp_path / "h.npz")
    history.evaluation["metrics"]["jsd"] = [float("nan")]
    history.save(tmp_path / "h.npz")
    with pytest.raises(ToyganError, match="one finite number or null per member"):
        History.load(tmp_path / "h.npz")
