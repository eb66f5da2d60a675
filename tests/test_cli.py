"""The ``toygan`` command on tiny budgets: the real command in a subprocess, and ``main`` in this
process where no process of its own is needed. (Its stop signals: test_signals.py; the same run in
two processes: test_reliability.py.)"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import TOYGAN
from PIL import Image

from toygan import Config, History
from toygan.cli import main

TINY = ["--steps", "40", "--quiet"]


def run(*args, cwd=None):
    return subprocess.run([TOYGAN, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_demo_trains_and_writes_a_gif(tmp_path):
    out = tmp_path / "demo"
    result = run("demo", "--out", str(out), "--steps", "60")
    assert result.returncode == 0, result.stderr
    assert f"wrote the animation: {out / 'animation.gif'}" in result.stdout
    assert "training" in result.stderr  # the progress bar
    with Image.open(out / "animation.gif") as im:
        assert im.n_frames == 3  # steps 0, 30, 60
    assert (out / "config.toml").is_file() and (out / "history.npz").is_file()


def test_train_then_render_every_format(tmp_path):
    out = tmp_path / "ring"
    result = run("train", "--preset", "ring", "--out", str(out), *TINY, "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""  # --quiet
    assert "seed = 3" in (out / "config.toml").read_text()
    seeds = run("train", "--preset", "ring", "--out", str(tmp_path / "many"), *TINY, "--seeds", "3")
    assert seeds.returncode == 0, seeds.stderr
    with np.load(tmp_path / "many" / "history.npz") as npz:
        assert npz["samples"].shape[1] == 3
    assert run("render", str(tmp_path / "many"), "--member", "2", "--format", "png").returncode == 0
    for fmt in ("gif", "mp4", "png"):
        result = run("render", str(out), "--format", fmt)
        assert result.returncode == 0, result.stderr
        assert (out / f"animation.{fmt}").stat().st_size > 1000
    with Image.open(out / "animation.gif") as im:
        assert im.n_frames == 3  # steps 0, 30, 40
    custom = tmp_path / "x" / "strip.png"
    assert run("render", str(out), "--format", "png", "--out", str(custom)).returncode == 0
    with Image.open(custom) as im:
        assert im.size == (2 * 960 + 8, 2 * 384 + 8)


def test_render_with_chosen_panels_and_dirac(tmp_path):
    out = tmp_path / "r"
    assert run("train", "--preset", "ring", "--out", str(out), *TINY).returncode == 0
    result = run("render", str(out), "--format", "png", "--panels", "discriminator,dstar,optimality")
    assert result.returncode == 0, result.stderr
    result = run("render", str(out), "--panels", "samples,nonsense")
    assert result.returncode == 2 and "panel 'nonsense'" in result.stderr
    result = run("render", str(out), "--format", "png", "--panels", "discriminator", "--d-range", "0.3,0.7")
    assert result.returncode == 0, result.stderr
    result = run("render", str(out), "--format", "png", "--d-range", "0.3,0.9")
    assert result.returncode == 2 and "--d-range 0.3,0.9: give LOW,HIGH centred on 1/2" in result.stderr
    assert result.stderr.count("\n") == 1
    result = run("dirac", "--out", str(tmp_path / "d.mp4"), "--steps", "30")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d.mp4").stat().st_size > 1000
    result = run("dirac", "--runs", "gan:leapfrog")
    assert result.returncode == 2 and "scheme = 'leapfrog'" in result.stderr


def test_presets_lists_one_line_each():
    result = run("presets")
    assert result.returncode == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"ring", "grid", "ring-saturating"} <= set(names)


def test_version_and_module_entry_point():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("toygan ")
    module = subprocess.run([sys.executable, "-m", "toygan", "presets"], capture_output=True, text=True)
    assert module.returncode == 0 and "ring" in module.stdout


@pytest.mark.parametrize("command", ["demo", "train", "render", "dirac", "presets"])
def test_help(command):
    result = run(command, "--help")
    assert result.returncode == 0 and "usage: toygan" in result.stdout


def test_a_diverging_run_says_where_saves_and_still_renders(tmp_path):
    config = write_toml(tmp_path / "boom.toml", "[train]\nsteps = 200\noptimizer = 'sgd'\n"
                        "lr_d = 1e30\nlr_g = 1e30\nbatch_size = 16\n[record]\nevery = 1\n")
    out = tmp_path / "boom"
    result = run("train", "--config", str(config), "--out", str(out), "--quiet")
    assert result.returncode == 1
    assert "diverged at step" in result.stderr and "Traceback" not in result.stderr
    assert run("render", str(out), "--format", "png").returncode == 0


BAD = [
    (["train", "--preset", "spiral", "--out", "{tmp}/o"], "--preset spiral: unknown; choose one of"),
    (["train", "--preset", "ring", "--out", "{tmp}/o", "--steps", "-5"], "train.steps = -5"),
    (["train", "--preset", "ring", "--out", "{tmp}/o", "--steps", "0"], "train.steps = 0"),
    (["train", "--preset", "ring", "--out", "{tmp}/o", "--steps", "ten"], "invalid int value"),
    (["train", "--preset", "ring", "--out", "{tmp}/o", "--seed", "-1"], "train.seed = -1"),
    (["train", "--config", "{tmp}/missing.toml", "--out", "{tmp}/o"], "does not exist"),
    (["train", "--config", "{tmp}/broken.toml", "--out", "{tmp}/o"], "not valid TOML"),
    (["train", "--config", "{tmp}/unknown.toml", "--out", "{tmp}/o"], "train.speed: unknown key"),
    (["train", "--config", "{tmp}/kzero.toml", "--out", "{tmp}/o"], "train.d_steps = 0"),
    (["train", "--config", "{tmp}/std.toml", "--out", "{tmp}/o"], "data.params.std = -0.1"),
    (["train", "--config", "{tmp}/loss.toml", "--out", "{tmp}/o"], "train.loss = 'wgan'"),
    (["train", "--config", "{tmp}/weights.toml", "--out", "{tmp}/o"], "sum to 1"),
    (["train", "--out", "{tmp}/o"], "one of the arguments --preset --config --resume is required"),
    (["render", "{tmp}"], "not a toygan run"),
    (["render", "{tmp}/nowhere"], "no such folder"),
    (["render", "{tmp}/fake_run"], "not a readable toygan history"),
    (["render", "{tmp}", "--format", "avi"], "invalid choice: 'avi'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["train", "--preset", "ring", "--out", ""], "--out '': name a file or folder"),
    (["train", "--preset", "ring", "--out", "{tmp}/o", "--set", "train.betas=" + "[" * 3000 + "]" * 3000],
     "--set train.betas=...: arrays or tables nested too deeply"),
]


@pytest.mark.parametrize(("args", "needle"), BAD)
def test_bad_input_exits_2_with_one_clear_line(tmp_path, args, needle):
    write_toml(tmp_path / "broken.toml", "[train\nsteps = 3\n")
    write_toml(tmp_path / "unknown.toml", "[train]\nspeed = 3\n")
    write_toml(tmp_path / "kzero.toml", "[train]\nd_steps = 0\n")
    write_toml(tmp_path / "std.toml", "[data]\nname = 'ring'\n[data.params]\nstd = -0.1\n")
    write_toml(tmp_path / "loss.toml", "[train]\nloss = 'wgan'\n")
    write_toml(tmp_path / "weights.toml", "[data]\nname = 'mixture'\n[data.params]\n"
               "means = [[0, 0], [1, 0]]\nweights = [0.9, 0.9]\n")
    (tmp_path / "fake_run").mkdir()
    (tmp_path / "fake_run" / "history.npz").write_text("not a history")
    result = run(*[a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()  # nothing started
    assert len(result.stderr.strip().splitlines()) == 1


def test_render_and_figure_never_write_over_a_run(tmp_path):
    out = tmp_path / "r"
    assert run("train", "--preset", "ring", "--out", str(out), *TINY).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for command, target, fmt in [("render", "history.npz", "gif"), ("render", "config.toml", "png"),
                                 ("figure", "checkpoint.pt", "pdf"), ("render", "talk.pdf", None)]:
        result = run(command, str(out), "--out", str(out / target), *(["--format", fmt] if fmt else []))
        assert result.returncode == 2 and "is not a format written here" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    result = run("figure", str(out), "--steps", "0,40", "--panels", "samples,discriminator",
                 "--out", str(tmp_path / "fig.svg"))
    assert result.returncode == 0, result.stderr
    assert "step 40" in (tmp_path / "fig.svg").read_text()
    assert run("figure", str(out)).returncode == 0 and (out / "figure.pdf").is_file()
    result = run("figure", str(out), "--steps", "0,ten")
    assert result.returncode == 2 and "--steps: 'ten' is not a whole number" in result.stderr


def test_an_existing_run_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "r"
    assert run("train", "--preset", "ring", "--out", str(out), *TINY).returncode == 0
    result = run("train", "--preset", "ring", "--out", str(out), *TINY)
    assert result.returncode == 2 and "--force" in result.stderr
    assert run("train", "--preset", "ring", "--out", str(out), *TINY, "--force").returncode == 0


def test_every_preset_builds_and_trains_a_few_steps():
    from toygan import train
    from toygan.presets import PRESETS

    for name, preset in PRESETS.items():
        config = preset.config().replace(**{"train.steps": 3, "train.batch_size": 16,
                                            "record.grid_size": 8, "record.n_samples": 32})
        assert train(config, progress=False).status == "completed", name


# --- in this process: toygan.cli.main ---


def _empty(tmp_path):
    (tmp_path / "empty.toml").write_text("")
    return tmp_path / "empty.toml"


def test_a_collapsing_run_from_the_command_line_keeps_every_seed(tmp_path):
    """The issue's case: small networks at lr 0.05 with Scott's rule; one of four seeds collapses
    onto a point (measured: seed 2 by step 150). Exit 0, every seed kept."""
    out = tmp_path / "col"
    assert main(["train", "--config", str(_empty(tmp_path)), "--out", str(out), "--quiet",
                 "--set", "model.g_width=8", "--set", "model.d_width=8", "--set", "train.lr_g=0.05",
                 "--set", "train.lr_d=0.05", "--steps", "300", "--seeds", "4"]) == 0
    history = History.load(out / "history.npz")
    assert history.members == 4 and history.status == "completed"
    assert np.ptp(history.samples[-1], axis=1).max(-1).min() < 1e-3  # a seed on one point


def test_set_overrides_config_fields_with_toml_values(tmp_path):
    out = tmp_path / "s"
    assert main(["train", "--preset", "ring", "--out", str(out), "--quiet", "--steps", "20",
                 "--set", "train.loss=hinge", "--set", "train.d_steps=3", "--set",
                 "train.betas=[0.5, 0.9]", "--set", 'data.params={n_modes = 6, radius = 2.0}',
                 "--set", "record.every=10", "--set", "train.lr_d=1e-4"]) == 0
    cfg = Config.load(out / "config.toml")
    assert (cfg.train.loss, cfg.train.d_steps, cfg.train.betas, cfg.train.lr_d, cfg.train.steps) == \
        ("hinge", 3, [0.5, 0.9], 1e-4, 20)
    assert cfg.data.params == {"n_modes": 6, "radius": 2.0}


@pytest.mark.parametrize("item, message", [
    ("train.loss=nope", "train.loss = 'nope'"),
    ("train.steps=-3", "train.steps = -3"),
    ("train.nothing=3", "train.nothing: unknown key"),
    ("nothing", "--set 'nothing': write KEY=VALUE"),
    ("train.betas=[0.5,", "is not a TOML value"),
])
def test_a_bad_set_exits_2_naming_it(tmp_path, capsys, item, message):
    assert main(["train", "--preset", "ring", "--out", str(tmp_path / "x"), "--set", item]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_set_takes_one_value(tmp_path, capsys):
    assert main(["train", "--preset", "ring", "--out", str(tmp_path / "x"),
                 "--set", 'train.loss="hinge"\ntrain.lr_d="garbage"']) == 2
    assert "one KEY=VALUE per --set" in capsys.readouterr().err
