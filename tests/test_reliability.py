"""Nothing lost, nothing confusing: interruption and exact resume, determinism across processes,
clear errors for broken checkpoints, and bad input answered with one line (property-based)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_config

from toygan import History, train
from toygan.checkpoint import Checkpoint
from toygan.errors import ToyganError

TOYGAN = str(Path(sys.executable).with_name("toygan"))

# long enough to be interrupted mid-run, small enough for a test (about 1,000 steps/s)
RUN_TOML = """[train]
steps = 30000
batch_size = 32
[model]
g_width = 16
d_width = 16
[record]
every = 500
n_samples = 64
grid_size = 16
"""


def same_history(a: History, b: History) -> bool:
    arrays = ("steps", "samples", "d_grid", "push", "field", "manifold", "mode_counts")
    return (all(np.array_equal(getattr(a, k), getattr(b, k)) for k in arrays)
            and a.scalars.keys() == b.scalars.keys()
            and all(np.array_equal(a.scalars[k], b.scalars[k], equal_nan=True) for k in a.scalars)
            and a.config == b.config and a.status == b.status)


@pytest.mark.parametrize("overrides", [
    {},
    {"train.unroll": 2, "train.members": 2},
    {"train.loss": "wasserstein", "train.regularizer": "gradient-penalty", "train.gamma": 1.0,
     "train.optimizer": "rmsprop", "train.d_steps": 2},
    {"train.updates": "simultaneous", "train.consensus": 0.1},
    {"train.instance_noise": 0.1, "train.pack": 2, "train.optimizer": "sgd", "train.momentum": 0.9},
    {"train.generator": "target", "fake.name": "ring", "fake.params": {"radius": 1.0}},
], ids=["plain", "unrolled", "wgan-gp", "consensus", "packed-sgd", "fixed-p_g"])
def test_resume_from_a_checkpoint_is_bit_exact(tmp_path, overrides):
    config = tiny_config(**{"train.steps": 60, **overrides})
    full = train(config, progress=False)
    part = train(config, progress=False, stop=lambda step: step == 23)
    assert part.status == "interrupted" and part.steps[-1] == 20 and part.resume_state["step"] == 23
    checkpoint = Checkpoint.load(Checkpoint.of(part).save(tmp_path / "c.pt"))
    rest = train(resume=checkpoint, progress=False)
    assert rest.status == "completed" and same_history(full, rest)


def test_a_finished_or_diverged_run_has_no_checkpoint():
    done = train(tiny_config(), progress=False)
    assert done.resume_state is None
    with pytest.raises(ToyganError, match="no state to resume"):
        Checkpoint.of(done)
    with pytest.raises(ToyganError, match="another config"):
        part = train(tiny_config(), progress=False, stop=lambda step: step == 5)
        train(tiny_config(**{"train.steps": 50}), resume=Checkpoint.of(part), progress=False)


def test_broken_checkpoints_are_named_in_the_error(tmp_path):
    part = train(tiny_config(), progress=False, stop=lambda step: step == 5)
    path = Checkpoint.of(part).save(tmp_path / "c.pt")
    data = path.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.pt").write_text("hello")
    for name in ("cut.pt", "text.pt"):
        with pytest.raises(ToyganError, match=f"{name}.*not a readable toygan checkpoint"):
            Checkpoint.load(tmp_path / name)
    with pytest.raises(ToyganError, match="does not exist"):
        Checkpoint.load(tmp_path / "missing.pt")


def _start(args, cwd):
    return subprocess.Popen([TOYGAN, *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_sigint_saves_history_and_checkpoint_and_resume_finishes_exactly(tmp_path):
    """A real `toygan train` gets SIGINT mid-run: it keeps what it recorded and a checkpoint, says
    how to resume, exits 130; `--resume` then ends with the history of an uninterrupted run."""
    (tmp_path / "run.toml").write_text(RUN_TOML)
    proc = _start(["train", "--config", "run.toml", "--out", "r"], tmp_path)
    assert proc.stdout.readline().startswith("training a")  # the loop is about to start
    time.sleep(3.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "toygan train --resume r" in err and "Traceback" not in err
    interrupted = History.load(tmp_path / "r" / "history.npz")
    stopped_at = Checkpoint.load(tmp_path / "r" / "checkpoint.pt").step
    assert interrupted.status == "interrupted" and 0 < stopped_at < 30000
    assert interrupted.steps[-1] <= stopped_at < interrupted.steps[-1] + 500

    resumed = subprocess.run([TOYGAN, "train", "--resume", "r", "--quiet"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert not (tmp_path / "r" / "checkpoint.pt").exists()  # used up
    whole = subprocess.run([TOYGAN, "train", "--config", "run.toml", "--out", "w", "--quiet"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr
    assert same_history(History.load(tmp_path / "w" / "history.npz"),
                        History.load(tmp_path / "r" / "history.npz"))


def test_the_same_seed_gives_bit_identical_histories_in_two_processes(tmp_path):
    (tmp_path / "run.toml").write_text(RUN_TOML.replace("30000", "600").replace("500", "100"))
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    for out in ("a", "b"):
        result = subprocess.run([TOYGAN, "train", "--config", "run.toml", "--out", out, "--quiet",
                                 "--seeds", "2"], cwd=tmp_path, capture_output=True, text=True,
                                timeout=300, env=env)
        assert result.returncode == 0, result.stderr
    a, b = (History.load(tmp_path / out / "history.npz") for out in ("a", "b"))
    assert same_history(a, b)


def test_resume_refuses_what_it_cannot_do(tmp_path, capsys):
    from toygan.cli import main

    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "no checkpoint.pt" in capsys.readouterr().err
    part = train(tiny_config(), progress=False, stop=lambda step: step == 5)
    Checkpoint.of(part).save(tmp_path / "checkpoint.pt")
    assert main(["train", "--resume", str(tmp_path), "--steps", "90"]) == 2
    assert "drop --steps" in capsys.readouterr().err
    (tmp_path / "checkpoint.pt").write_bytes(b"\0" * 100)
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "not a readable toygan checkpoint" in capsys.readouterr().err
