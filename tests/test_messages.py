"""One line means one line (issue 37): every refusal is a single line that names the field or
option, shows the value as the user wrote it (no ``np.float64(…)``), prints no NumPy or
matplotlib warning before it, and lets no control character reach the terminal."""

import numpy as np
import pytest
from conftest import tiny_config

from toygan import Config, Game
from toygan.cli import main
from toygan.errors import ToyganError
from toygan.validate import printable

ESCAPES = "A\x1b[31mB\rC\x07D"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    Game(tiny_config()).save(folder / "r")
    return folder / "r"


def one_line(capsys, argv, *needles):
    assert main([str(a) for a in argv]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("toygan: error:") and err.count("\n") == 1, err
    assert "Warning" not in err and "np.float" not in err and "np.int" not in err, err
    assert all(c.isprintable() for c in err.rstrip("\n")), repr(err)
    for needle in needles:
        assert needle in err, err
    return err


TRAIN = ["train", "--preset", "ring", "--steps", "2", "--quiet"]


@pytest.mark.parametrize("sets, needle", [
    (["record.n_samples=1"], "record.n_samples = 1"),
    (["record.kde_bandwidth=1e-300"], "record.kde_bandwidth = 1e-300"),
    (["data.name=moons", "data.params={bandwidth=1e-300}"], "data.params.bandwidth = 1e-300"),
    (["data.params={radius=1e300}"], "'radius': 1e+300"),
    (["data.params={radius=1e308}"], "'radius': 1e+308"),
    (["data.params={std=1e300}"], "'std': 1e+300"),
    (["data.name=grid", "data.params={spacing=1e308}"], "data.params.spacing = 1e+308"),
    (["data.name=mixture", "data.params={means=[[1e300,0.0]],stds=[0.1]}"], "data.params of 'mixture'"),
    (["data.name=moons", "data.params={noise=1e300}"], "'noise': 1e+300"),
    (["data.name=swiss_roll", "data.params={noise=1e308}"], "'noise': 1e+308"),
    (["data.name=spiral", "data.params={turns=1e308}"], "'turns': 1e+308"),
    (["train.lr_d=-2.0"], "train.lr_d = -2.0"),
])
def test_extreme_settings_are_one_line_naming_the_field(tmp_path, capsys, sets, needle):
    argv = [*TRAIN, "--out", tmp_path / "o"]
    for item in sets:
        argv += ["--set", item]
    one_line(capsys, argv, needle)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("content", ["", "x,y\n", "\n\n"])
def test_an_empty_point_file_is_one_line(tmp_path, capsys, monkeypatch, content):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.csv").write_text(content)
    one_line(capsys, [*TRAIN, "--out", "o", "--set", "data.name=points", "--set", 'data.params={path="p.csv"}'],
             "p.csv", "holds no points")


@pytest.mark.parametrize("args, needle", [
    (["--frames", "1"], "--frames 1:"), (["--fps", "0"], "--fps 0:"), (["--width=0"], "--width 0:"),
    (["--member", "5"], "--member 5:"), (["--panels", "foo"], "--panels"), (["--size", "foo"], "--size foo"),
    (["--out", "o.xyz"], "--out"), (["--caption", f"0:{ESCAPES}"], "--caption"),
])
def test_render_options_are_named_as_the_user_wrote_them(run, capsys, tmp_path, args, needle):
    err = one_line(capsys, ["render", run, *args], needle)
    assert "max_frames" not in err and "fps = " not in err


@pytest.mark.parametrize("args, needle", [
    (["--steps", "0"], "--steps 0:"), (["--lr", "0"], "--lr 0:"), (["--theta0", "nan"], "--theta0 nan:"),
    (["--runs", "gan:foo"], "--runs"), (["--runs", "r1:simultaneous:-1"], "--runs"),
])
def test_dirac_options_are_named(capsys, args, needle):
    one_line(capsys, ["dirac", *args], needle)


@pytest.mark.parametrize("argv", [
    ["presets", ESCAPES], [*TRAIN, "--out", "o", "--set", f"{ESCAPES}=1"],
    [*TRAIN, "--out", "o", "--set", f"train.{ESCAPES}=1"], ["render", "nowhere", "--caption", f"0:{ESCAPES}"],
    ["compare", "a", "b", "--labels", f"{ESCAPES},x"],
])
def test_control_characters_never_reach_the_terminal(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    one_line(capsys, argv)


def test_what_a_command_prints_of_a_users_path_is_escaped(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*TRAIN[:-1], "--out", f"d{ESCAPES}", "--set", "train.batch_size=16"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "d" + printable(ESCAPES) in out


def test_printable_escapes_what_is_not_printable_and_keeps_lines():
    assert printable("a\x1b[31mb\rc\x07\td\ne") == "a\\x1b[31mb\\rc\\x07\\td\ne"
    assert printable("plain ü → ½") == "plain ü → ½"


# --- the Python API: NumPy's numbers are numbers, and are shown as such ---

def test_numpy_numbers_are_taken_everywhere_a_config_value_is():
    config = Config().replace(**{"train.d_steps": np.int64(2), "train.lr_d": np.float32(1e-3),
                                 "train.betas": np.array([0.5, 0.9]), "train.seed": np.uint64(3),
                                 "record.window": [np.float64(-2), 2, np.int32(-2), 2],
                                 "data.params": {"n_modes": np.int64(4), "radius": np.float32(1.5)}})
    assert config.train.d_steps == 2 and type(config.train.d_steps) is int
    assert type(config.train.lr_d) is float and config.train.betas == [0.5, 0.9]
    assert type(config.data.params["n_modes"]) is int
    game = Game(tiny_config())
    game.update({"train.d_steps": np.int64(2), "train.lr_d": np.float64(2e-4)})
    assert game.config.train.d_steps == 2
    assert game.events[0]["new"] == 2 and type(game.events[0]["new"]) is int
    Config.from_toml(config.to_toml())  # saved as plain TOML


@pytest.mark.parametrize("changes, shown", [
    ({"train.lr_d": np.float64(-2.0)}, "train.lr_d = -2.0:"),
    ({"train.d_steps": np.int64(0)}, "train.d_steps = 0:"),
    ({"train.betas": [np.float64(0.5), np.float64(1.5)]}, "1.5"),
])
def test_a_refused_numpy_value_is_shown_as_python_writes_it(changes, shown):
    with pytest.raises(ToyganError) as refused:
        Game(tiny_config()).update(changes)
    assert shown in str(refused.value) and "np." not in str(refused.value)


# --- every entry point checks its arguments, and what they would cost, before touching them ---

def _discriminators():
    import torch
    from torch import nn

    return {
        "meta device": nn.Linear(2, 1, device="meta"),
        "complex parameters": nn.Linear(2, 1, dtype=torch.complex64),
        "complex numpy output": lambda x: np.full(len(x), 0.5 + 0.1j),
        "complex torch output": lambda x: torch.full((len(x),), 0.5 + 0.1j),
        "a list of complex": lambda x: [0.5 + 1j] * len(x),
    }


@pytest.mark.parametrize("kind", list(_discriminators()))
def test_a_discriminator_that_is_no_real_function_is_one_line(kind):
    from toygan import data
    from toygan.testing import assert_optimal_discriminator, discriminator_gap

    D = _discriminators()[kind]
    for check in (assert_optimal_discriminator, discriminator_gap):
        with pytest.raises(ToyganError) as refused:
            check(D, data.ring(), data.grid(), n=100)
        assert len(str(refused.value).splitlines()) == 1
        assert ("meta" if kind == "meta device" else "complex") in str(refused.value)


UNDER_A_LIMIT = """
import resource, sys
import numpy as np
from toygan import Config, Game, data, theory
from toygan.errors import ToyganError
from toygan.testing import assert_optimal_discriminator
vm = [int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize")][0]
resource.setrlimit(resource.RLIMIT_AS, (vm + 2**30, resource.RLIM_INFINITY))  # 1 GiB more to map
p, q = data.ring(), data.grid()
for name, work in [
        ("jsd", lambda: theory.jsd_estimate(p, q, method="monte-carlo", samples=2**26)),
        ("value", lambda: theory.value_estimate(p, q, lambda x: np.full(len(x), 0.5), samples=2**26)),
        ("assert", lambda: assert_optimal_discriminator(lambda x: np.full(len(x), 0.5), p, q, n=10**7)),
        ("game", lambda: Game(Config().replace(**{"train.batch_size": 65536, "model.d_width": 2048})))]:
    try:
        work()
        print(name, "ran")
    except ToyganError as err:
        print(name, "refused:", err)
"""


def test_work_that_cannot_fit_under_an_address_space_limit_is_refused_before_it_starts():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", UNDER_A_LIMIT], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["jsd", "value", "assert", "game"]
    assert all("refused:" in line and "1.0 GiB is available" in line for line in lines), lines


def test_the_address_space_limit_counts_in_what_is_available():
    import subprocess
    import sys

    script = ("import resource\nfrom toygan.memory import available_bytes\nbefore = available_bytes()\n"
              "vm = [int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmSize')][0]\n"
              "resource.setrlimit(resource.RLIMIT_AS, (vm + 2**29, resource.RLIM_INFINITY))\n"
              "print(before > 2**29, 0 < available_bytes() <= 2**29)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.stdout.split() == ["True", "True"], done.stderr
