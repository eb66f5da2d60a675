"""Nothing lost, nothing confusing: interruption and exact resume, determinism across processes,
clear errors for broken checkpoints, and bad input answered with one line (property-based)."""

import os
import signal
import subprocess

import numpy as np
import pytest
from conftest import TOYGAN, tiny_config

from toygan import Game, History, train
from toygan.errors import ToyganError

# long enough to be interrupted mid-run, small enough for a test (about 1,000 steps/s)
RUN_TOML = """[train]
steps = 3000
batch_size = 32
[model]
g_width = 16
d_width = 16
[record]
every = 100
n_samples = 64
grid_size = 16
"""


def same_history(a: History, b: History) -> bool:
    arrays = ("steps", "samples", "d_grid", "push", "field", "manifold", "mode_counts")
    return (all(np.array_equal(getattr(a, k), getattr(b, k)) for k in arrays)
            and a.scalars.keys() == b.scalars.keys()
            and all(np.array_equal(a.scalars[k], b.scalars[k], equal_nan=True) for k in a.scalars)
            and a.config == b.config and a.status == b.status)


def stop_at(step: int):
    """A callback that stops the run once it has made ``step`` steps."""
    return lambda game, recorded: game.iteration < step


@pytest.mark.parametrize("overrides", [
    {},
    {"train.unroll": 2, "train.members": 2},
    {"train.loss": "wasserstein", "train.regularizer": "gradient-penalty", "train.gamma": 1.0,
     "train.optimizer": "rmsprop", "train.d_steps": 2},
    {"train.updates": "simultaneous", "train.consensus": 0.1},
    {"train.instance_noise": 0.1, "train.pack": 2, "train.optimizer": "sgd", "train.momentum": 0.9},
    {"train.generator": "target", "fake.name": "ring", "fake.params": {"radius": 1.0}},
], ids=["plain", "unrolled", "wgan-gp", "consensus", "packed-sgd", "fixed-p_g"])
def test_a_saved_and_loaded_game_goes_on_bit_exactly(tmp_path, overrides):
    config = tiny_config(**{"train.steps": 60, **overrides})
    full = train(config, progress=False)
    game = Game(config)
    part = game.run(callbacks=[stop_at(23)], progress=False)
    assert part.status == "interrupted" and part.steps[-1] == 20 and game.iteration == 23
    assert "stopped by a callback at step 23" in part.message
    game.save(tmp_path / "run")
    rest = Game.load(tmp_path / "run").run(progress=False)
    assert rest.status == "completed" and same_history(full, rest)


def test_a_game_stopped_and_run_again_in_memory_equals_an_uninterrupted_one():
    config = tiny_config(**{"train.steps": 60})
    game = Game(config)
    game.run(callbacks=[stop_at(7)], progress=False)
    game.run(callbacks=[stop_at(33)], progress=False)
    assert same_history(train(config, progress=False), game.run(progress=False))


def test_a_finished_game_loads_with_its_networks(tmp_path):
    game = Game(tiny_config())
    game.run(progress=False)
    game.save(tmp_path / "done")
    loaded = Game.load(tmp_path / "done")
    assert loaded.status == "completed" and loaded.iteration == 40
    x = np.random.default_rng(0).normal(size=(50, 2))
    np.testing.assert_array_equal(loaded.discriminator()(x), game.discriminator()(x))
    np.testing.assert_array_equal(loaded.sample(10, seed=3), game.sample(10, seed=3))


def test_broken_run_folders_are_named_in_the_error(tmp_path):
    game = Game(tiny_config())
    game.run(callbacks=[stop_at(5)], progress=False)
    run = game.save(tmp_path / "run")
    data = (run / "checkpoint.pt").read_bytes()
    for name, content in (("cut", data[: len(data) // 2]), ("text", b"hello")):
        bad = tmp_path / name
        bad.mkdir()
        (bad / "history.npz").write_bytes((run / "history.npz").read_bytes())
        (bad / "checkpoint.pt").write_bytes(content)
        with pytest.raises(ToyganError, match=f"{name}/checkpoint.pt.*not a readable toygan checkpoint"):
            Game.load(bad)
    with pytest.raises(ToyganError, match="not a folder"):
        Game.load(tmp_path / "missing")
    other = Game(tiny_config(**{"train.seed": 4}))
    other.run(callbacks=[stop_at(15)], progress=False)
    other.save(tmp_path / "other")
    (run / "history.npz").write_bytes((tmp_path / "other" / "history.npz").read_bytes())
    with pytest.raises(ToyganError, match="is not the one checkpoint.pt was saved with"):
        Game.load(run)


def _start(args, cwd):
    return subprocess.Popen([TOYGAN, *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_the_same_seed_gives_bit_identical_histories_in_two_processes(tmp_path):
    (tmp_path / "run.toml").write_text(RUN_TOML.replace("3000", "600"))
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
    game = Game(tiny_config())
    game.run(callbacks=[stop_at(5)], progress=False)
    game.save(tmp_path)
    assert main(["train", "--resume", str(tmp_path), "--seed", "3"]) == 2
    assert "drop --seed" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path), "--force"]) == 2  # it would replace nothing
    assert "drop --force" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path), "--steps", "2"]) == 2
    assert "it raises the run's length, which is 40 steps (at step 5)" in capsys.readouterr().err
    (tmp_path / "checkpoint.pt").write_bytes(b"\0" * 100)
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "not a readable toygan checkpoint" in capsys.readouterr().err


def test_resume_with_steps_runs_a_finished_run_further(tmp_path, capsys):
    from toygan.cli import main

    config = tiny_config(**{"train.steps": 60})
    game = Game(tiny_config())
    game.run(progress=False)
    game.save(tmp_path)
    assert main(["train", "--resume", str(tmp_path), "--quiet"]) == 2
    assert "the run is complete (step 40 of 40)" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path), "--steps", "60", "--quiet"]) == 0
    longer = History.load(tmp_path / "history.npz")
    assert longer.events == [{"step": 40, "key": "train.steps", "old": 40, "new": 60}]
    straight = train(config, progress=False)
    np.testing.assert_array_equal(longer.samples, straight.samples)  # as if it had been 60 all along


def test_a_failed_write_names_the_file_and_keeps_the_old_one(tmp_path):
    import errno

    from toygan.atomic import atomic_path

    target = tmp_path / "history.npz"
    target.write_bytes(b"the old run")
    with pytest.raises(OSError) as caught:
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
    assert caught.value.filename == str(target) and caught.value.strerror == "No space left on device"
    assert target.read_bytes() == b"the old run"
    assert [p.name for p in tmp_path.iterdir()] == ["history.npz"]  # no temporary file left


def test_a_second_writer_of_a_run_folder_is_refused_while_the_first_runs(tmp_path):
    """Two `toygan train --out r`: the second is refused in one line naming the first's pid, and
    the first finishes its run whole (before, both exited 0 and one run was lost). The first has
    announced its training, so it holds the folder (no timing)."""
    (tmp_path / "run.toml").write_text(RUN_TOML.replace("3000", "1000000"))  # runs until stopped
    first = _start(["train", "--config", "run.toml", "--out", "r"], tmp_path)
    try:
        assert first.stdout.readline().startswith("training a")
        for args in (["train", "--config", "run.toml", "--out", "r", "--force"], ["train", "--resume", "r"]):
            second = subprocess.run([TOYGAN, *args], cwd=tmp_path, capture_output=True, text=True,
                                    timeout=120)
            assert second.returncode == 2 and "Traceback" not in second.stderr
            assert f"another toygan process (pid {first.pid}) is writing this run folder" in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=120)
    assert first.returncode == 130
    assert Game.load(tmp_path / "r").iteration > 0  # the first run's state, whole
    from toygan.runlock import hold

    hold(tmp_path / "r")  # the lock went with its process


def test_a_failed_save_keeps_the_game_so_a_retry_saves_it_whole(tmp_path, monkeypatch):
    """A full disk while the checkpoint is written: the error names the file, the folder keeps
    its previous save, and the game in memory is untouched, so the next save (disk freed) writes
    it whole and it goes on exactly."""
    import errno

    import toygan.checkpoint as checkpoint

    config = tiny_config(**{"train.steps": 40})
    straight = train(config, progress=False)
    game = Game(config)
    game.run(callbacks=[stop_at(10)], progress=False)
    game.save(tmp_path / "r")
    before = {p.name: p.read_bytes() for p in (tmp_path / "r").iterdir() if not p.name.startswith(".")}
    game.run(callbacks=[stop_at(20)], progress=False)

    def full_disk(obj, f):
        raise OSError(errno.ENOSPC, "No space left on device", str(f))

    monkeypatch.setattr(checkpoint.torch, "save", full_disk)
    with pytest.raises(OSError) as caught:
        game.save(tmp_path / "r")
    assert caught.value.filename == str(tmp_path / "r" / "checkpoint.pt")
    after = {p.name: p.read_bytes() for p in (tmp_path / "r").iterdir() if not p.name.startswith(".")}
    assert after == before  # the previous save, whole: no new history beside the old checkpoint
    assert Game.load(tmp_path / "r").iteration == 10
    monkeypatch.undo()
    game.save(tmp_path / "r")  # the retry
    assert same_history(Game.load(tmp_path / "r").run(progress=False), straight)
