"""A run folder is one consistent unit that loads anywhere, and what cannot fit is refused before
any work: the memory estimate, files toygan reads that are devices or too large, runs on a data
file drawn and resumed from another folder after the file is gone, ``--force`` and ``--resume``
never leaving a config beside a history of another run."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_config
from PIL import Image

from toygan import Config, Game, History
from toygan.checkpoint import CHECKPOINT_FILE, CONFIG_FILE, HISTORY_FILE
from toygan.cli import main
from toygan.data import MAX_IMAGE_PIXELS, make_target
from toygan.errors import ToyganError
from toygan.resources import check_fits, estimate

GIB = 2**30


def one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("toygan: error:") and err.count("\n") == 1 and "Traceback" not in err
    return err


# --- what cannot fit is refused before any work ---

def test_your_own_networks_are_sized_by_their_layers_not_by_toygans_widths():
    from torch import nn

    from toygan.players import parameter_count

    # Linear(2, W) → ReLU → Linear(W, 1): 4W + 1 parameters; its layers output W + 1 units a row
    wide = parameter_count(nn.Sequential(nn.Linear(2, 10**6), nn.ReLU(), nn.Linear(10**6, 1)))
    assert wide == (4 * 10**6 + 1, 10**6 + 1, 10**6)
    config = tiny_config(**{"model.d_width": 16, "model.d_depth": 1})  # toygan's, which yours ignores
    mine, plain = estimate(config, own_params=(None, wide)), estimate(config)
    # each of the 32 rows of a batch keeps the D's 10⁶ + 1 units (toygan's: 16 + 1) on the real and
    # fake batches, ×4 (input and activation, forward and backward), in float32
    assert mine.batches - plain.batches == 4 * 4 * 32 * 2 * (10**6 + 1 - (16 + 1))
    with pytest.raises(ToyganError, match=r"lower your networks' sizes, train.batch_size"):
        check_fits(config.replace(**{"train.batch_size": 4096}), own_params=(None, wide),
                   available=GIB)


def test_the_estimate_grows_with_what_weighs_and_refuses_what_cannot_fit():
    small = estimate(tiny_config())
    assert small.total < 64 * 2**20  # a tiny run needs little
    wide = estimate(tiny_config(**{"model.g_width": 1024, "model.d_width": 1024}))
    many = estimate(tiny_config(**{"train.members": 64}))
    batch = estimate(tiny_config(**{"train.batch_size": 8192}))
    assert wide.networks > 1000 * small.networks and many.networks == 64 * small.networks
    assert batch.batches > 200 * small.batches and batch.networks == small.networks
    noise = estimate(tiny_config(**{"model.noise_dim": 1024, "train.batch_size": 65536}))
    assert noise.batches > 4 * 65536 * 1024 * 4  # G's noise batch alone is 256 MiB, kept for backward
    # fits: returned; does not: one line naming the part that weighs most and its fields
    assert check_fits(tiny_config(), available=GIB).total == small.total
    with pytest.raises(ToyganError, match=r"most of it is networks .*lower model.g_width"):
        check_fits(tiny_config(**{"model.g_width": 4096, "model.g_depth": 16}), available=GIB)
    with pytest.raises(ToyganError, match=r"most of it is batches .*lower train.batch_size"):
        check_fits(tiny_config(**{"train.batch_size": 65536, "model.g_width": 1024}), available=GIB)
    with pytest.raises(ToyganError, match=r"× 8 at once"):  # a sweep's processes add up
        check_fits(tiny_config(**{"model.g_width": 1024, "model.d_width": 1024}),
                   available=small.total * 20, copies=8)


def test_a_run_that_cannot_fit_is_refused_in_one_line_with_nothing_written(tmp_path, capsys):
    # 1,024 members of 16 × 4096 networks ask for terabytes: refused before any allocation (the
    # command of docs/reliability.md)
    out = tmp_path / "huge"
    err = one_line_error(capsys, ["train", "--preset", "ring", "--out", str(out), "--seeds", "1024",
                                  "--set", "model.g_width=4096", "--set", "model.d_width=4096",
                                  "--set", "model.g_depth=16", "--set", "record.every=3000"])
    assert "the run would need about 4,816.1 GiB of memory and" in err and not out.exists()
    assert "most of it is networks (4,097.6 GiB): lower model.g_width" in err
    with pytest.raises(ToyganError, match="GiB of memory"):
        Game(Config().replace(**{"train.members": 1024, "model.d_width": 4096, "model.d_depth": 16,
                                 "record.every": 3000, "record.grid_size": 8}))


def test_a_sweep_that_cannot_fit_on_its_workers_is_refused(tmp_path, monkeypatch):
    from toygan import resources
    from toygan.sweep import load_spec, run_sweep

    spec = load_spec({"train": {"steps": 5, "batch_size": 16}, "model": {"g_width": 8, "d_width": 8},
                      "grid": {"train.lr_d": [1e-4, 2e-4]}, "sweep": {"seeds": 1}})
    need = estimate(spec.tasks[0].config).total
    monkeypatch.setattr(resources, "available_bytes", lambda: int(need * 1.5))
    with pytest.raises(ToyganError, match="× 2 at once"):
        run_sweep(spec, tmp_path / "s", workers=2, progress=False)
    assert not (tmp_path / "s" / "tasks").exists()


@pytest.mark.parametrize("what", ["device", "folder", "huge"])
def test_a_config_that_is_no_regular_file_is_refused_before_it_is_read(tmp_path, capsys, what):
    path = {"device": "/dev/zero", "folder": str(tmp_path)}.get(what, str(tmp_path / "huge.toml"))
    if what == "huge":  # larger than any config: not read into memory
        with open(path, "wb") as f:
            f.truncate(17 * 2**20)
    err = one_line_error(capsys, ["train", "--config", path, "--out", str(tmp_path / "r")])
    assert path in err and ("not a regular file" in err or "larger than 16 MiB" in err)


def test_an_image_over_the_pixel_limit_is_refused_in_one_line(tmp_path, recwarn):
    side = int(MAX_IMAGE_PIXELS**0.5) + 2
    Image.new("L", (side, side), 0).save(tmp_path / "big.png")
    with pytest.raises(ToyganError, match=r"big.png.*pixels; toygan reads up to"):
        make_target("image", {"path": str(tmp_path / "big.png")})
    assert not [w for w in recwarn if "DecompressionBomb" in type(w.message).__name__]


# --- a run keeps the data it was trained on ---

@pytest.fixture
def moved_point_run(tmp_path, monkeypatch):
    """A run on a points file, trained for 30 of 60 steps in one folder, then seen from another
    after the file was deleted."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    np.save("pts.npy", np.random.default_rng(0).normal(size=(50, 2)))
    config = tiny_config(**{"data.name": "points", "data.params": {"path": "pts.npy"},
                            "train.steps": 60})
    full = Game(config).run(progress=False)
    game = Game(config)
    game.run(callbacks=[lambda g, recorded: g.iteration < 30], progress=False)
    game.save("run")
    (work / "pts.npy").unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return work / "run", full


def test_a_run_on_a_data_file_renders_and_resumes_elsewhere_after_the_file_is_gone(moved_point_run, capsys):
    run, full = moved_point_run
    history = History.load(run / HISTORY_FILE)
    assert list(history.files) == ["pts.npy"] and history.target().sample(5, 0).shape == (5, 2)
    assert main(["render", str(run), "--out", "a.png", "--frames", "2"]) == 0
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    resumed = History.load(run / HISTORY_FILE)
    assert np.array_equal(resumed.samples, full.samples)  # the same data, so the same run
    assert np.array_equal(resumed.d_grid, full.d_grid)


def test_a_history_without_its_data_file_names_itself(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("pts.npy", np.random.default_rng(0).normal(size=(50, 2)))
    history = Game(tiny_config(**{"data.name": "points", "data.params": {"path": "pts.npy"}})).history
    history.files = {}  # as a history written before toygan kept the data
    history.save("h.npz")
    (tmp_path / "pts.npy").unlink()
    with pytest.raises(ToyganError, match=r"'h.npz': its config cannot be used here: .*pts.npy.*no such"):
        History.load("h.npz")


def test_a_kept_data_file_that_is_damaged_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("pts.npy", np.random.default_rng(0).normal(size=(50, 2)))
    history = Game(tiny_config(**{"data.name": "points", "data.params": {"path": "pts.npy"}})).history
    history.files = {"pts.npy": b"not an array"}
    history.save("h.npz")
    with pytest.raises(ToyganError, match=r"'h.npz'.*pts.npy.*cannot be read as points"):
        History.load("h.npz")


# --- one consistent unit ---

def test_force_clears_the_old_run_before_the_new_config_is_written(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--preset", "ring", "--out", str(out), "--steps", "5", "--quiet",
                 "--set", "model.g_width=8", "--set", "model.d_width=8"]) == 0
    # a --force run refused at its config leaves the old run whole
    one_line_error(capsys, ["train", "--preset", "ring", "--out", str(out), "--force", "--steps", "5",
                            "--set", "model.g_width=4096", "--set", "model.g_depth=16", "--seeds", "1024",
                            "--set", "record.grid_size=8"])
    assert History.load(out / HISTORY_FILE).config.model.g_width == 8
    # a --force run that starts clears the old one: no new config beside an old history
    from toygan.run_folder import take_for_new_run

    take_for_new_run(out, force=True)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == []


def test_resume_refuses_an_edited_config_and_takes_a_missing_one(tmp_path, capsys):
    run = tmp_path / "r"
    game = Game(tiny_config(**{"train.steps": 40}))
    game.run(callbacks=[lambda g, recorded: g.iteration < 20], progress=False)
    game.save(run)
    text = (run / CONFIG_FILE).read_text()
    (run / CONFIG_FILE).write_text(text.replace("lr_g = 0.001", "lr_g = 0.01"))
    err = one_line_error(capsys, ["train", "--resume", str(run)])
    assert "was edited since the run was saved (train.lr_g = 0.01 there, 0.001 in checkpoint.pt)" in err
    (run / CONFIG_FILE).write_text("not toml [")
    assert "is not the run's config" in one_line_error(capsys, ["train", "--resume", str(run)])
    (run / CONFIG_FILE).unlink()  # written again from the checkpoint
    assert main(["train", "--resume", str(run), "--quiet"]) == 0
    assert Config.load(run / CONFIG_FILE) == game.config


def test_a_checkpoint_copied_into_a_finished_run_is_refused_and_the_run_kept(tmp_path, capsys):
    config = tiny_config(**{"train.steps": 40})
    done, part = tmp_path / "done", tmp_path / "part"
    finished = Game(config)
    finished.run(progress=False)
    finished.save(done)
    stopped = Game(config)
    stopped.run(callbacks=[lambda g, recorded: g.iteration < 20], progress=False)
    stopped.save(part)
    shutil.copy(part / CHECKPOINT_FILE, done / CHECKPOINT_FILE)
    before = (done / HISTORY_FILE).read_bytes()
    err = one_line_error(capsys, ["train", "--resume", str(done)])
    assert "is not the one checkpoint.pt was saved with" in err
    assert (done / HISTORY_FILE).read_bytes() == before


def test_an_npy_whose_header_claims_more_than_it_holds_is_refused_before_allocating(tmp_path):
    import io

    buffer = io.BytesIO()  # a header for 10¹¹ float64 points (745 GiB), then 64 bytes
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (50_000_000_000, 2)})
    (tmp_path / "pts.npy").write_bytes(buffer.getvalue() + bytes(64))
    with pytest.raises(ToyganError, match=r"pts.npy.*damaged .npy file \(its header claims 800,000,000,000"):
        make_target("points", {"path": str(tmp_path / "pts.npy")})


def test_an_unreadable_image_is_named_without_internals(tmp_path):
    (tmp_path / "x.png").write_bytes(b"not an image at all")
    with pytest.raises(ToyganError) as caught:
        make_target("image", {"path": str(tmp_path / "x.png")})
    assert "x.png" in str(caught.value) and "BytesIO" not in str(caught.value)


def test_other_data_put_into_a_history_or_nan_weights_in_a_checkpoint_are_refused(tmp_path, monkeypatch):
    import torch

    monkeypatch.chdir(tmp_path)
    np.save("pts.npy", np.random.default_rng(0).normal(size=(50, 2)))
    game = Game(tiny_config(**{"data.name": "points", "data.params": {"path": "pts.npy"}}))
    game.run(callbacks=[lambda g, recorded: g.iteration < 20], progress=False)
    game.save("run")
    history = History.load("run/history.npz")
    np.save("other.npy", np.random.default_rng(1).normal(size=(50, 2)))
    history.files = {"pts.npy": (tmp_path / "other.npy").read_bytes()}  # valid points, other data
    history.save("run/history.npz")
    with pytest.raises(ToyganError, match="data files kept in history.npz are not those the run was"):
        Game.load("run")
    game.save("run", replace=True)  # as it was (its history was written over meanwhile)
    payload = torch.load("run/checkpoint.pt", weights_only=True)
    next(iter(payload["state"]["gen"].values()))[0] = float("nan")
    torch.save(payload, "run/checkpoint.pt")
    with pytest.raises(ToyganError, match="the generator's weights hold NaN or inf"):
        Game.load("run")


# --- runs never overwrite runs, and a killed save leaves nothing behind (issue 37) ---

@pytest.mark.parametrize("run_dir", [None, 123, b"run", "", "   ", 1.5, ["run"], "a\0b"])
def test_save_and_load_refuse_what_is_no_folder_path_in_one_line(tmp_path, run_dir):
    game = Game(tiny_config())
    for call in (lambda: game.save(run_dir), lambda: Game.load(run_dir)):
        with pytest.raises(ToyganError) as refused:
            call()
        assert len(str(refused.value).splitlines()) == 1


def test_save_refuses_a_folder_holding_another_run_unless_told_to_replace_it(tmp_path):
    first, second = Game(tiny_config()), Game(tiny_config(**{"train.seed": 1}))
    first.step()
    first.save(tmp_path / "run")
    first.step()
    first.save(tmp_path / "run")  # its own folder: saved again
    before = (tmp_path / "run" / HISTORY_FILE).read_bytes()
    with pytest.raises(ToyganError, match="holds another run.*replace=True"):
        second.save(tmp_path / "run")
    assert (tmp_path / "run" / HISTORY_FILE).read_bytes() == before
    loaded = Game.load(tmp_path / "run")
    loaded.step()
    loaded.save(tmp_path / "run")  # the game loaded from there is that run
    second.save(tmp_path / "run", replace=True)
    assert Game.load(tmp_path / "run").config.train.seed == 1
    (tmp_path / "claimed").mkdir()
    (tmp_path / "claimed" / CONFIG_FILE).write_text("")  # a config alone is no run
    second.save(tmp_path / "claimed")


def test_save_refuses_a_folder_that_another_process_is_writing(tmp_path):
    import subprocess
    import sys

    run = tmp_path / "run"
    run.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import sys; from toygan import runlock; "
                               f"runlock.hold({str(run)!r}); print('held', flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"  # the readiness signal
        with pytest.raises(ToyganError, match=f"another toygan process \\(pid {holder.pid}\\)"):
            Game(tiny_config()).save(run)
        assert not (run / HISTORY_FILE).exists()
    finally:
        holder.communicate("")
    Game(tiny_config()).save(run)  # free once that process ended


@pytest.mark.parametrize("kind", ["fifo", "folder", "link", "socket"])
def test_a_lock_file_that_is_no_plain_file_is_one_line(tmp_path, capsys, monkeypatch, kind):
    import os
    import socket

    run = tmp_path / "run"
    run.mkdir()
    lock = run / ".toygan.lock"
    if kind == "fifo":
        os.mkfifo(lock)
    elif kind == "folder":
        lock.mkdir()
    elif kind == "link":
        lock.symlink_to("/dev/null")
    else:
        server = socket.socket(socket.AF_UNIX)
        monkeypatch.chdir(run)  # (a socket's path is short)
        server.bind(".toygan.lock")
    err = one_line_error(capsys, ["train", "--preset", "ring", "--out", str(run), "--steps", "5", "--quiet"])
    assert ".toygan.lock" in err and str(run) in err and ": :" not in err
    with pytest.raises(ToyganError, match=r"\.toygan\.lock"):
        Game(tiny_config()).save(run)


def test_what_a_killed_save_left_is_cleared_by_the_next_save(tmp_path):
    import subprocess
    import sys

    run = tmp_path / "run"
    script = ("from conftest import tiny_config; from toygan import Game; g = Game(tiny_config())\n"
              "while True:\n    g.step(); g.save(%r); print('saved', flush=True)\n" % str(run))
    saver = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).parent)
    assert saver.stdout.readline() == "saved\n"
    saver.kill()  # kill -9 at some moment of a save: whatever it left, the next writer clears
    saver.wait()
    for name in (".history.npz.partial-abcd1234.npz", ".checkpoint.pt.partial-x.pt", ".config.toml.partial-1.toml"):
        (run / name).write_bytes(b"left by a writer killed mid-save")
    (run / ".history.keep-me.npz").write_bytes(b"not ours")
    game = Game.load(run)
    game.step()
    game.save(run)
    left = sorted(p.name for p in run.iterdir() if p.name.startswith("."))
    assert left == [".history.keep-me.npz", ".toygan.lock"]


def test_a_failed_save_says_what_the_folder_keeps_and_a_new_run_leaves_no_lone_config(tmp_path, capsys,
                                                                                      monkeypatch):
    import errno

    from toygan import checkpoint

    def full_disk(obj, f):
        raise OSError(errno.ENOSPC, "No space left on device", str(f))

    monkeypatch.setattr(checkpoint.torch, "save", full_disk)
    err = one_line_error(capsys, ["train", "--preset", "ring", "--out", str(tmp_path / "r"), "--steps", "5",
                                  "--quiet"])
    assert "No space left on device" in err and "nothing of it was kept" in err
    assert not (tmp_path / "r" / CONFIG_FILE).exists()
    game = Game(tiny_config())
    monkeypatch.undo()
    game.save(tmp_path / "s")
    monkeypatch.setattr(checkpoint.torch, "save", full_disk)
    with pytest.raises(OSError, match="the folder holds config.toml, history.npz, checkpoint.pt, as before"):
        game.save(tmp_path / "s")


def test_a_new_run_clears_what_a_killed_save_left_at_its_start(tmp_path, capsys):
    run = tmp_path / "r"
    run.mkdir()
    (run / ".history.npz.partial-abcd1234.npz").write_bytes(b"left by kill -9")
    assert main(["train", "--preset", "ring", "--out", str(run), "--steps", "3", "--quiet",
                 "--set", "train.batch_size=16"]) == 0
    assert sorted(p.name for p in run.iterdir()) == [".toygan.lock", CHECKPOINT_FILE, CONFIG_FILE, HISTORY_FILE]


def test_a_game_does_not_write_over_a_run_saved_into_its_folder_since(tmp_path):
    first, second = Game(tiny_config()), Game(tiny_config(**{"train.seed": 1}))
    first.save(tmp_path / "run")
    second.save(tmp_path / "run", replace=True)
    with pytest.raises(ToyganError, match="holds another run"):
        first.save(tmp_path / "run")  # its folder once, another game's run now
    assert Game.load(tmp_path / "run").config.train.seed == 1


def test_a_hard_linked_lock_file_is_refused_and_its_other_name_kept(tmp_path):
    import os

    victim = tmp_path / "precious.txt"
    victim.write_text("precious data\n")
    (tmp_path / "run").mkdir()
    os.link(victim, tmp_path / "run" / ".toygan.lock")
    with pytest.raises(ToyganError, match="hard link"):
        Game(tiny_config()).save(tmp_path / "run")
    assert victim.read_text() == "precious data\n"


def test_a_full_disk_inside_torchs_writer_says_what_the_folder_keeps(tmp_path, monkeypatch):
    from toygan import checkpoint

    def torch_full(obj, f):
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 79168 vs 79056")

    game = Game(tiny_config())
    monkeypatch.setattr(checkpoint.torch, "save", torch_full)
    with pytest.raises(OSError, match="is the disk full.*holds no run files"):
        game.save(tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [".toygan.lock"]


@pytest.mark.parametrize("target", ["folder", "fifo", "device"])
def test_a_write_never_replaces_a_folder_or_a_special_file(tmp_path, target):
    import os

    path = {"folder": tmp_path, "fifo": tmp_path / "f.toml", "device": Path("/dev/null")}[target]
    if target == "fifo":
        os.mkfifo(path)
    for write in (Config().save, Game(tiny_config()).history.save):
        with pytest.raises(ToyganError) as refused:
            write(path)
        assert len(str(refused.value).splitlines()) == 1
    assert path.is_dir() if target == "folder" else not path.is_file()


def test_nested_partial_files_and_only_those_are_cleared(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "..history.npz.partial-16dlvk93.npz.partial-r4qubs3n.npz").write_bytes(b"killed")
    (run / ".history.mynotes1.npz").write_bytes(b"a user's file")
    Game(tiny_config()).save(run)
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == [".history.mynotes1.npz",
                                                                                ".toygan.lock"]


def test_the_same_run_saves_the_same_bytes(tmp_path):
    """torch names a checkpoint's inner folder after the file it writes; toygan writes through a
    buffer, so the same run's checkpoint.pt is the same bytes whatever the temporary file's name."""
    for name in ("a", "b"):
        game = Game(tiny_config(**{"train.steps": 5, "record.every": 5}))
        game.run(progress=False)
        game.save(tmp_path / name)
    for file in ("checkpoint.pt", "history.npz", "config.toml"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
