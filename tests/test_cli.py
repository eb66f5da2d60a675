"""The real ``toygan`` command in a subprocess, on tiny budgets."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import toygan

TOYGAN = str(Path(sys.executable).with_name("toygan"))
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


def test_train_from_a_config_file_is_deterministic_across_processes(tmp_path):
    config = write_toml(tmp_path / "my.toml", "[train]\nsteps = 30\nbatch_size = 32\n"
                        "[model]\ng_width = 16\nd_width = 16\n[record]\nevery = 10\n")
    for name in ("a", "b"):
        result = run("train", "--config", str(config), "--out", str(tmp_path / name), "--quiet")
        assert result.returncode == 0, result.stderr
    with np.load(tmp_path / "a" / "history.npz") as a, np.load(tmp_path / "b" / "history.npz") as b:
        assert a.files == b.files
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])


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


def test_ctrl_c_keeps_what_was_recorded(tmp_path):
    """SIGINT right after the announcement (Ctrl-C is handled from then on: no timing): the run
    stops at the end of a step and keeps its history and its state."""
    import signal

    from toygan import Game

    out = tmp_path / "long"
    proc = subprocess.Popen([TOYGAN, "train", "--preset", "ring", "--out", str(out), "--steps", "100000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("training a")  # printed once Ctrl-C is handled
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "training interrupted at step" in stderr and "Traceback" not in stderr
    with np.load(out / "history.npz") as npz:
        assert len(npz["steps"]) >= 1 and npz["steps"][-1] < 100000
    assert 1 <= Game.load(out).iteration < 100000


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
    (["train", "--preset", "spiral", "--out", "{tmp}/o"], "preset 'spiral': unknown"),
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


@pytest.mark.parametrize("delay", [0.0, 0.1, 0.4, 0.8])
def test_ctrl_c_at_any_moment_of_start_up_gives_no_traceback(tmp_path, delay):
    """A Ctrl-C while the command is still importing torch, building the game or training: one
    line and status 130 (or, before Python has started, the signal's own status). Whatever the
    moment the signal lands, these are the only outcomes, so the test does not depend on timing."""
    import signal
    import time

    proc = subprocess.Popen([TOYGAN, "train", "--preset", "ring", "--out", str(tmp_path / "r"),
                             "--steps", "100000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        # CPython itself can swallow a Ctrl-C that lands while it starts: it prints "'import
        # warnings' failed" with the KeyboardInterrupt and runs on, so toygan never saw it (seen
        # once in 5 loaded runs). The run then trains: a second Ctrl-C must stop it cleanly. (A
        # command merely slow to stop gets its second Ctrl-C while saving, which it holds back:
        # the same outcome, so the wait's length decides nothing.)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=300)
    if "Fatal Python error: init_import_site" in stderr:  # landed while CPython itself started,
        return  # before any toygan code ran (seen on a busy machine): the interpreter's own outcome
    package = str(Path(toygan.__file__).parent)
    assert "Traceback" not in stderr or package not in stderr, stderr  # none from toygan's code
    if "KeyboardInterrupt" in stderr and proc.returncode not in (130, -signal.SIGINT):
        return  # in the launcher pip wrote (its `import re`), before any toygan code: Python's outcome
    assert proc.returncode in (130, -signal.SIGINT), stderr


def test_a_stop_signal_at_any_moment_of_a_command_ends_it_with_one_line(tmp_path):
    """SIGTERM or SIGHUP once the command runs, before it handles signals itself: one line and exit
    130 (the default action ended it with status 143 and nothing said). The stand-in command says
    "ready" once it runs (no timing)."""
    import signal
    import subprocess
    import sys

    code = ("import sys, time, toygan.cli as cli\n"
            "def command(argv=None):\n    print('ready', flush=True)\n    time.sleep(600)\n"
            "cli.main = command\nfrom toygan._entry import main\nsys.exit(main())\n")
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130 and err == "toygan: interrupted\n", (sig, err)


def test_once_a_command_is_done_stop_signals_are_ignored(monkeypatch):
    import signal

    import toygan.cli
    from toygan import _entry

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    monkeypatch.setattr(toygan.cli, "main", lambda argv=None: 0)
    try:
        assert _entry.main() == 0
        assert all(signal.getsignal(sig) == signal.SIG_IGN for sig in previous)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
