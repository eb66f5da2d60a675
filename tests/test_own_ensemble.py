"""Your own networks from factories, trained as one batched ensemble over seeds; factories named in
the config (``model.generator = "package.module:function"``)."""

import itertools
import subprocess
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TOYGAN, tiny_config
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from toygan import Config, Game
from toygan.errors import ToyganError, ToyganNotice
from toygan.own_ensemble import BatchingNotice

POINTS = torch.linspace(-2, 2, 14).reshape(7, 2)


def sequential_g():  # a Sequential of Linear layers: batched matrix products
    return nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 2))


def sequential_d():
    return nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))


class SkipD(nn.Module):  # any other module: vmap
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(2, 16), nn.Linear(16, 1)

    def forward(self, x):
        h = torch.tanh(self.a(x))
        return self.b(h + h ** 2).squeeze(-1)


def batch_norm_d():  # buffers that change as it trains: vmap carries them per member
    return nn.Sequential(nn.Linear(2, 16, bias=False), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))


def dropout_d():  # random draws: one member after another, each from its own stream
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))


def spectral_d():  # spectral norm's power iteration cannot run under vmap
    return nn.Sequential(spectral_norm(nn.Linear(2, 16)), nn.ReLU(), spectral_norm(nn.Linear(16, 1)))


def config(**overrides):
    return tiny_config(**{"train.steps": 20, **overrides})


def looked_at(game, member):
    return game.sample(9, member, seed=5), game.discriminator(member)(POINTS).numpy()


# Batch norm in D makes some gradients zero up to rounding (a bias before it; G's shift of the
# whole fake batch): Adam scales such noise up to whole steps, differently in any two
# summation orders. SGD keeps rounding as small as it is.
SGD = {"train.optimizer": "sgd", "train.lr_d": 0.05, "train.lr_g": 0.05}


@pytest.mark.parametrize("make_d, batched, overrides", [
    (sequential_d, True, {}), (SkipD, True, {}), (batch_norm_d, True, SGD), (dropout_d, False, {})],
    ids=["sequential", "vmap", "batch-norm", "dropout"])
def test_member_i_of_a_factory_ensemble_is_the_one_member_game_with_seed_plus_i(make_d, batched,
                                                                                  overrides):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if not batched else "error", BatchingNotice)
        ensemble = Game(config(**{"train.members": 3, "train.seed": 7, **overrides}),
                        generator=sequential_g, discriminator=make_d)
    ensemble.run(progress=False)
    assert ensemble.D.module.batched is batched
    for member in range(3):
        alone = Game(config(**{"train.seed": 7 + member, **overrides}), generator=sequential_g,
                     discriminator=make_d)
        alone.run(progress=False)
        for mine, theirs in zip(looked_at(ensemble, member), looked_at(alone, 0), strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=2e-5)
    # members differ from each other: each got its own seed's weights
    assert not np.allclose(looked_at(ensemble, 0)[0], looked_at(ensemble, 1)[0])


def test_a_module_vmap_cannot_run_trains_member_by_member_and_says_so_once():
    with pytest.warns(BatchingNotice) as said:
        game = Game(config(**{"train.members": 2}), discriminator=spectral_d)
        game.run(progress=False)
    assert len(said) == 1
    assert "discriminator: Sequential cannot be batched with torch.func.vmap (" in str(said[0].message)
    assert "its 2 members train one after another" in str(said[0].message)
    alone = Game(config(**{"train.seed": 1}), discriminator=spectral_d).run(progress=False)
    np.testing.assert_allclose(game.history.samples[:, 1], alone.samples[:, 0], atol=2e-5)


def test_a_factory_ensemble_saves_and_resumes_exactly(tmp_path):
    cfg = config(**{"train.members": 2, "train.steps": 30})
    full = Game(cfg, generator=sequential_g, discriminator=SkipD).run(progress=False)
    half = Game(cfg, generator=sequential_g, discriminator=SkipD)
    half.run(15, progress=False)
    half.save(tmp_path / "run")
    rest = Game.load(tmp_path / "run", generator=sequential_g, discriminator=SkipD).run(progress=False)
    for name in ("samples", "d_grid"):
        np.testing.assert_array_equal(getattr(full, name), getattr(rest, name))
    # a plain copy of each member: the user's own class with that member's weights
    g, d = Game.load(tmp_path / "run", generator=sequential_g, discriminator=SkipD).networks(1)
    assert isinstance(d, SkipD) and d(POINTS).shape == (7,)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_factories_that_cannot_make_an_ensemble_are_one_line():
    same = nn.Linear(2, 1)
    widths = iter(range(8, 100))
    cases = [
        (lambda: 1 / 0, "discriminator: the factory .* raised ZeroDivisionError"),
        (lambda: torch.jit.script(sequential_d()), "returned a TorchScript module .*with train.members = 2"),
        (lambda: same, "returned the same module twice; it must build a fresh one on every call"),
        (lambda: nn.Sequential(nn.Linear(2, next(widths)), nn.Linear(1, 1)),
         "different parameters; every call must build the same architecture|fails on a batch"),
    ]
    for factory, message in cases:
        with pytest.raises(ToyganError, match=message):
            Game(config(**{"train.members": 2}), discriminator=factory)


NETS = textwrap.dedent('''
    from torch import nn

    def make_g(width=8):
        return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, 2))

    def make_d(width=8):
        return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, 1))

    def make_spectral_d(width=8):
        return nn.Sequential(nn.utils.parametrizations.spectral_norm(nn.Linear(2, width)), nn.ReLU(),
                             nn.Linear(width, 1))
''')


@pytest.fixture
def nets_here(module_here):
    """A module of factories, ``my_nets``, in the current folder."""
    return module_here("my_nets", NETS)


def named(**overrides):
    return config(**{"model.generator": "my_nets:make_g", "model.generator_args": {"width": 12},
                     "model.discriminator": "my_nets:make_d", **overrides})


def test_a_config_names_its_factories_and_a_saved_run_finds_them(nets_here):
    game = Game(named(**{"train.members": 2}))
    assert game.G.module.stacked[0].shape == (2, 12, 2)  # width 12 from generator_args
    game.run(10, progress=False)
    game.save(nets_here / "run")
    again = Game.load(nets_here / "run")  # no networks passed: the config names them
    assert again.iteration == 10 and again.own == {"generator": True, "discriminator": True}
    with pytest.raises(ToyganError, match="model.generator = 'my_nets:make_g' builds; pass none"):
        Game.load(nets_here / "run", generator=sequential_g)


@pytest.mark.parametrize("overrides, message", [
    ({"model.generator": "no_such_module_here:make"},
     "model.generator = 'no_such_module_here:make': cannot import 'no_such_module_here' "
     r"\(ModuleNotFoundError"),
    ({"model.generator": "my_nets:make_h"}, "model.generator = 'my_nets:make_h': 'my_nets' has no 'make_h'"),
    ({"model.generator": "my_nets:nn"}, "'nn' is a module, not a function"),
    ({"model.generator": "my_nets.make_g"}, 'must be "package.module:function"'),
    ({"model.discriminator_args": {"width": 3}},
     "model.discriminator_args = .*given without model.discriminator"),
])
def test_a_config_naming_a_factory_badly_is_one_line(nets_here, overrides, message):
    with pytest.raises(ToyganError, match=message):
        Game(Config().replace(**overrides))


def run_cli(*args, cwd):
    return subprocess.run([TOYGAN, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_toygan_train_builds_the_networks_the_config_names(nets_here):
    done = run_cli("train", "--preset", "ring", "--quiet", "--steps", "10",
                   "--set", "model.generator=my_nets:make_g",
                   "--set", "model.discriminator=my_nets:make_d", "--set", "record.every=5",
                   "--out", str(nets_here / "cli-run"), cwd=nets_here)
    assert done.returncode == 0, done.stderr
    assert Game.load(nets_here / "cli-run").own["generator"]
    bad = run_cli("train", "--preset", "ring", "--steps", "10", "--set", "model.generator=my_netz:make_g",
                  "--out", str(nets_here / "bad"), cwd=nets_here)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    last = bad.stderr.strip().splitlines()[-1]
    assert last.startswith("toygan: error: model.generator = 'my_netz:make_g': cannot import 'my_netz'")


def test_a_live_session_plays_and_restarts_the_networks_the_config_names(nets_here):
    from toygan.live.session import LiveSession

    session = LiveSession(named(), out=nets_here / "runs", width=480)  # draws in its own process
    try:
        assert session.control({"action": "step"})["step"] == 1
        assert session.control({"set": {"data.name": "grid"}})["step"] == 0  # a new game
        assert session.game.own == {"generator": True, "discriminator": True}
        assert session.game.G.module[0].out_features == 12
        assert session.png()[:4] == b"\x89PNG"
    finally:
        session.close()


SWEEP_OF_NAMED_NETWORKS = textwrap.dedent('''
    [sweep]
    seeds = 2
    [train]
    steps = 20
    batch_size = 32
    [record]
    every = 10
    n_samples = 64
    grid_size = 16
    [model]
    generator = "my_nets:make_g"
    discriminator = "my_nets:make_d"
    [grid]
    "model.generator_args" = [{width = 8}, {width = 16}]
''')


def test_a_sweep_and_a_recipe_check_train_the_networks_the_config_names(nets_here):
    spec = nets_here / "spec.toml"
    spec.write_text(SWEEP_OF_NAMED_NETWORKS)
    done = run_cli("sweep", str(spec), "--out", str(nets_here / "sweep"), "--workers", "2", cwd=nets_here)
    assert done.returncode == 0, done.stderr
    assert "generator_args={'width': 16}" in (nets_here / "sweep" / "summary.md").read_text()
    (nets_here / "recipes").mkdir()
    gallery = Path(__file__).parents[1] / "toygan" / "gallery" / "d-converges-to-d-star.toml"
    recipe = gallery.read_text().replace("[model]\nd_width = 64", '[model]\ndiscriminator = "my_nets:make_d"')
    recipe = recipe.replace("steps = 1000", "steps = 100").replace("seeds = 10", "seeds = 2")
    recipe = recipe.replace('test = "< 0.03"\nat_least = 10', 'test = "< 1"\nat_least = 2')
    assert recipe.count("my_nets:make_d") == 1
    (nets_here / "recipes" / "mine.toml").write_text(recipe)
    checked = run_cli("check", "--recipes", "recipes", "recipe:mine", cwd=nets_here)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 of 1 claims hold" in checked.stdout


def test_a_dask_sweep_trains_the_networks_the_config_names_and_says_a_note_once(nets_here):
    """Dask's worker processes import the user's module from the folder the sweep started in; the
    note that a spectral-norm D trains member by member is said once by the sweep, not raw by each
    worker."""
    pytest.importorskip("dask.distributed")
    spectral = SWEEP_OF_NAMED_NETWORKS.replace("my_nets:make_d", "my_nets:make_spectral_d")
    (nets_here / "spec.toml").write_text(spectral)
    done = run_cli("sweep", "spec.toml", "--out", "sweep", "--backend", "dask", "--workers", "2",
                   cwd=nets_here)
    assert done.returncode == 0, done.stderr
    rows = (nets_here / "sweep" / "rows.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * 2 and "Traceback" not in done.stderr
    notes = [line for line in done.stderr.splitlines() if "cannot be batched" in line]
    assert len(notes) == 1 and notes[0].startswith("toygan: note: discriminator: Sequential"), done.stderr
    assert "generator_args={'width': 16}" in (nets_here / "sweep" / "summary.md").read_text()


FAILING = textwrap.dedent('''
    import sys
    from torch import nn

    class Failing(nn.Module):
        """Fine in its start-up checks, the first snapshot and its first three training calls, then
        raises, or exits as a script's sys.exit would."""
        how = "raise"

        def __init__(self):
            super().__init__()
            self.net = nn.Linear(2, 1)
            self.calls = 0

        def forward(self, x):
            self.calls += self.training  # (checks and snapshots run in eval mode)
            if self.calls > 3:
                if self.how == "exit":
                    sys.exit(7)
                raise ValueError("late failure")
            return self.net(x)

    class Exiting(Failing):
        how = "exit"
''')


@pytest.mark.parametrize("name, raised", [("Failing", "ValueError (late failure)"),
                                          ("Exiting", "SystemExit (7)")])
def test_a_network_of_yours_that_raises_mid_run_fails_it_and_keeps_the_record(module_here, name,
                                                                               raised):
    here = module_here("failing_nets", FAILING)
    game = Game(config(**{"model.discriminator": f"failing_nets:{name}", "train.steps": 20}))
    history = game.run(progress=False)
    assert history.status == "failed" and history.n_snapshots >= 1
    assert history.message.startswith(f"failed during step {game.iteration + 1}: your discriminator "
                                      f"raised {raised}")
    # the command line: one line, exit 1, the history saved (no checkpoint: a step was cut short)
    done = run_cli("train", "--preset", "ring", "--steps", "20", "--set", "record.every=5",
                   "--set", f"model.discriminator=failing_nets:{name}", "--out", "run", cwd=here)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "toygan: failed during step" in done.stderr and f"raised {raised}" in done.stderr
    assert (here / "run" / "history.npz").is_file() and not (here / "run" / "checkpoint.pt").exists()


def test_a_network_of_yours_that_raises_at_the_first_snapshot_is_one_line(module_here):
    here = module_here("failing_nets", FAILING.replace("self.calls += self.training", "self.calls += 1"))
    done = run_cli("train", "--preset", "ring", "--steps", "20",
                   "--set", "model.discriminator=failing_nets:Failing", "--out", "run", cwd=here)
    assert done.returncode == 2 and done.stderr == (
        "toygan: error: your discriminator raised ValueError (late failure) at the first snapshot\n")


def test_an_error_that_is_not_your_networks_is_raised_as_it_is():
    game = Game(config(), discriminator=sequential_d())
    game.recorder.record = lambda *a: 1 / 0  # toygan's own code failing: not blamed on the network
    with pytest.raises(ZeroDivisionError):
        game.run(progress=False)
    # nor is a callback's, though it lives in the same file as the network's class
    game = Game(config(), discriminator=SkipD())
    with pytest.raises(ValueError, match="a callback's own"):
        game.run(progress=False, callbacks=[lambda g, recorded: int("a callback's own")])


def test_a_hook_of_yours_that_raises_fails_the_run_as_your_network():
    d = sequential_d()
    calls = []

    def hook(module, inputs, output):
        calls.append(1)
        if module.training and len(calls) > 20:
            raise RuntimeError("hook boom")

    d[0].register_forward_hook(hook)
    history = Game(config(**{"train.steps": 20}), discriminator=d).run(progress=False)
    assert history.status == "failed"
    assert "your discriminator raised RuntimeError (hook boom)" in history.message


def test_a_sweep_sizes_the_networks_its_configurations_name_before_any_work(nets_here):
    spec = SWEEP_OF_NAMED_NETWORKS.replace("[{width = 8}, {width = 16}]", "[{width = 8}, {width = 4000000}]")
    (nets_here / "spec.toml").write_text(spec)
    done = run_cli("sweep", "spec.toml", "--out", "sweep", cwd=nets_here)
    assert done.returncode == 2 and not (nets_here / "sweep").exists()
    assert done.stderr.startswith("toygan: error: configuration ")
    assert "lower your networks' sizes" in done.stderr


def test_frozen_parameters_stay_frozen_and_every_member_has_one_architecture():
    def frozen_d():
        d = sequential_d()
        d[0].weight.requires_grad_(False)
        return d

    game = Game(config(**{"train.members": 3}), discriminator=frozen_d)
    start = game.D.module.stacked[0].detach().clone()
    game.run(progress=False)
    assert torch.equal(game.D.module.stacked[0], start) and not game.D.module.stacked[0].requires_grad
    activations = itertools.cycle([nn.Tanh, nn.ReLU])
    with pytest.raises(ToyganError, match="members of different architectures"):
        Game(config(**{"train.members": 2}),
             discriminator=lambda: nn.Sequential(nn.Linear(2, 8), next(activations)(), nn.Linear(8, 1)))
    with pytest.raises(ToyganError, match="Sequential's parameters have no shape yet .a lazy layer"):
        Game(config(), discriminator=lambda: nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.Linear(8, 1)))


def test_a_saved_run_says_where_its_factories_were_and_when_they_changed(nets_here, tmp_path_factory):
    game = Game(named())
    game.run(progress=False)
    game.save(nets_here / "run")
    with open(nets_here / "my_nets.py", "a") as f:
        f.write("# edited after the run\n")
    with pytest.warns(ToyganNotice, match="my_nets.py has changed since the run was saved"):
        Game.load(nets_here / "run")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    moved = run_cli("train", "--resume", str(nets_here / "run"), "--steps", "30", cwd=elsewhere)
    assert moved.returncode == 2 and "Traceback" not in moved.stderr
    assert ("cannot import 'my_nets'" in moved.stderr
            and f"(the run was trained with my_nets:make_g from {nets_here / 'my_nets.py'})" in moved.stderr)
    # another folder's my_nets.py: not "changed", another file
    (elsewhere / "my_nets.py").write_text(NETS + "# another copy\n")
    other = run_cli("train", "--resume", str(nets_here / "run"), "--steps", "30", cwd=elsewhere)
    assert other.returncode == 0, other.stderr
    assert (f"my_nets.py is not the file the run was trained with ({nets_here / 'my_nets.py'}), and "
            "differs; its weights are loaded into the code as it is now") in other.stderr
