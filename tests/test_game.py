"""toygan.Game: reference histories bit for bit, against a plain PyTorch loop, stepping, steering,
callbacks, your own networks, degenerate states, and the walls between the rooms."""

import copy
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import tiny_config
from torch import nn

from toygan import Config, Game, History, ToyganError, train
from toygan.data import ring
from toygan.render import render

sys.path.insert(0, str(Path(__file__).parent / "data"))
from reference_histories import CASES, REFERENCE_FILES, config_of, cpu_vendor, digests  # noqa: E402

# --- the refactoring changed nothing ---

@pytest.mark.parametrize("case", list(CASES))
def test_reproduces_the_reference_histories_bit_for_bit(case):
    """Recorded with 0.2.0's closed train() before the loop became a Game (tests/data), on this
    CPU vendor's MKL path (see REFERENCE_FILES)."""
    reference = REFERENCE_FILES.get(cpu_vendor())
    if reference is None:
        pytest.skip(f"no reference digests for CPU vendor {cpu_vendor()!r}: MKL's results depend on it")
    recorded = json.loads(reference.read_text())
    if case not in recorded:
        pytest.skip(f"{case}: not recorded for CPU vendor {cpu_vendor()!r} yet (see REFERENCE_FILES)")
    want = recorded[case]
    got = digests(train(config_of(case), progress=False))
    assert {k: got[k] for k in want} == want


# --- a Game equals a plain PyTorch loop fed the same minibatches ---

def mlp(sizes, seed):
    torch.manual_seed(seed)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=False):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def plain_loop(G, D, batches, loss, k):
    """Algorithm 1 as a PyTorch user writes it: BCE with logits, G(z).detach() for D's step. Adam
    is the fused kernel, as toygan's: the default (for-each) kernel rounds differently, and Adam
    magnifies rounding on weights whose gradient is near 0 (measured: up to 1.4e-6 after 50
    iterations at k = 3, every other case below 1.5e-7)."""
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999), fused=True)
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999), fused=True)
    for d_batches, z in batches:
        for real, z_d in d_batches:
            d_real, d_fake = D(real).squeeze(-1), D(G(z_d).detach()).squeeze(-1)
            loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                      + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        d_fake = D(G(z)).squeeze(-1)
        if loss == "saturating":  # G minimises E[log(1 − D(G(z)))]
            loss_g = -F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        else:  # G minimises −E[log D(G(z))]
            loss_g = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()


def minibatches(iterations, k, batch=64, seed=0):
    rng, target = np.random.default_rng(seed), ring(radius=2.0, std=0.02)
    gen = torch.Generator().manual_seed(seed)

    def noise():
        return torch.randn(batch, 2, generator=gen)

    return [([(torch.from_numpy(target.sample(batch, rng)).float(), noise()) for _ in range(k)],
             noise()) for _ in range(iterations)]


def max_difference(a: nn.Module, b: nn.Module) -> float:
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize("loss", ["saturating", "non-saturating"])
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("players", ["own", "toygan"])
def test_a_game_equals_a_plain_pytorch_loop(loss, k, players):
    """Same initial weights, same minibatches of data and noise, 50 iterations: equal to 1e-6 with
    the user's ``nn.Sequential`` players (``own``). toygan's ensemble MLP (``toygan``, compared
    through ``game.networks()``) multiplies with ``baddbmm`` where ``nn.Linear`` uses ``addmm``:
    they round differently and Adam magnifies it on weights with near-zero gradients (measured
    over seeds 0–2: at most 1.3e-6 at k = 3, 1.2e-7 at k = 1), so 1e-5 there. Training moves
    the weights by more than 1e-2, so neither bound holds by itself."""
    config = tiny_config(**{"train.loss": loss, "train.d_steps": k, "train.batch_size": 64,
                            "model.g_width": 32, "model.d_width": 32})
    if players == "own":
        G0, D0 = mlp([2, 32, 32, 2], 1), mlp([2, 32, 32, 1], 2)
        game = Game(config, generator=copy.deepcopy(G0), discriminator=copy.deepcopy(D0))
    else:
        game = Game(config)
        G0, D0 = game.networks()
    batches = minibatches(50, k)
    for d_batches, z in batches:
        for real, z_d in d_batches:
            game.d_step(real=real, noise=z_d)
        game.g_step(noise=z)
    start = copy.deepcopy(G0)
    plain_loop(G0, D0, batches, loss, k)
    G1, D1 = game.networks()
    tol = 1e-6 if players == "own" else 1e-5
    assert max_difference(G1, G0) < tol and max_difference(D1, D0) < tol
    assert max_difference(G1, start) > 1e-2
    assert max_difference(G1, game.networks()[0]) == 0  # networks() are copies


# --- stepping, running, callbacks ---

def test_step_is_one_iteration_of_the_scheme_and_run_goes_on_to_the_end():
    config = tiny_config(**{"train.d_steps": 2, "train.steps": 25})
    game = Game(config)
    assert game.iteration == 0 and game.history.n_snapshots == 1
    assert game.step() is False and game.iteration == 1
    for _ in range(9):
        recorded = game.step()
    assert recorded and list(game.history.steps) == [0, 10]  # record.every = 10
    history = game.run(progress=False)
    assert game.iteration == 25 and list(history.steps) == [0, 10, 20, 25]
    assert history.status == "completed" and game.status == "completed"
    np.testing.assert_array_equal(history.samples, train(config, progress=False).samples)
    more = game.run(10, progress=False)  # steps more: train.steps grows, as an event
    assert game.iteration == 35 and more.steps[-1] == 35
    assert more.events[-1] == {"step": 25, "key": "train.steps", "old": 25, "new": 35}


def test_callbacks_see_every_step_and_can_stop_the_run():
    seen = []

    def watch(game, recorded):
        seen.append((game.iteration, recorded))

    def stop_at_12(game, recorded):
        if game.iteration == 12:
            raise StopIteration

    game = Game(tiny_config())
    history = game.run(callbacks=[watch, stop_at_12], progress=False)
    assert seen == [(i, i == 10) for i in range(1, 13)]
    assert history.status == "interrupted" and "stopped by a callback at step 12" in history.message
    history = game.run(callbacks=[watch], progress=False)  # and it goes on from there
    assert history.status == "completed" and seen[-1] == (40, True)
    assert train(tiny_config(), callbacks=[lambda g, r: g.iteration < 3], progress=False).steps[-1] == 0


def test_d_step_alone_drives_d_toward_d_star_with_g_frozen():
    config = tiny_config(**{"train.generator": "frozen", "model.d_width": 64, "train.batch_size": 256})
    game = Game(config)
    before = game.history.scalars["d_star_gap"][0, 0]
    for _ in range(400):
        game.d_step()
    game.record()
    assert game.history.scalars["d_star_gap"][-1, 0] < 0.5 * before
    with pytest.raises(ToyganError, match="G does not train"):
        game.g_step()


# --- steering ---

def test_update_changes_settings_mid_run_and_records_events(tmp_path):
    game = Game(tiny_config())
    game.run(15, progress=False)
    game.update({"train.lr_d": 1e-4, "train.loss": "hinge"})
    assert game.opt_d.param_groups[0]["lr"] == 1e-4 and game.objective.name == "hinge"
    game.update({"train.optimizer": "sgd", "train.momentum": 0.5})
    assert isinstance(game.opt_g, torch.optim.SGD)
    history = game.run(progress=False)
    assert history.status == "completed" and history.config.train.loss == "non-saturating"
    assert [(e["step"], e["key"], e["old"], e["new"]) for e in history.events][:4] == [
        (15, "train.lr_d", 1e-3, 1e-4), (15, "train.loss", "non-saturating", "hinge"),
        (15, "train.optimizer", "adam", "sgd"), (15, "train.momentum", 0.0, 0.5)]
    loaded = History.load(history.save(tmp_path / "h.npz"))
    assert loaded.events == history.events
    render(loaded, tmp_path / "e.png", panels=["samples", "convergence", "losses"], filmstrip_frames=2)


@pytest.mark.parametrize("changes, message", [
    ({"train.lr_d": -1}, "train.lr_d = -1"),
    ({"train.loss": "nope"}, "train.loss = 'nope'"),
    ({"train.clip": 0.1}, "train.clip = 0.1: weight clipping"),
    ({"model.d_width": 8}, "model.d_width: cannot change mid-run .the networks' shapes"),
    ({"train.members": 2}, "train.members: cannot change mid-run"),
    ({"train.pack": 2}, "train.pack: cannot change mid-run .packing changes"),
    ({"data.name": "grid"}, "data.name: cannot change mid-run"),
    ({"train.seed": 3}, "train.seed: cannot change mid-run"),
    ({"train.nonsense": 3}, "train.nonsense: not a config field that can change mid-run"),
    ({"train.steps": 5}, "train.steps = 5: the game is at step 10"),
])
def test_a_refused_update_names_the_key_and_changes_nothing(changes, message):
    game = Game(tiny_config())
    game.run(10, progress=False)
    before = game.config
    with pytest.raises(ToyganError, match=message):
        game.update({"train.lr_g": 0.5, **changes})
    assert game.config == before and game.events == [] and game.opt_g.param_groups[0]["lr"] == 1e-3


def test_freezing_and_unfreezing_g_mid_run():
    game = Game(tiny_config())
    game.update({"train.generator": "frozen"})
    game.run(10, progress=False)
    h = game.history
    np.testing.assert_array_equal(h.samples[0], h.samples[-1])
    game.update({"train.generator": "trained"})
    game.run(10, progress=False)
    assert not np.array_equal(h.samples[-1], game.history.samples[-1])


# --- reading the players ---

def test_discriminator_sample_and_networks_agree():
    game = Game(tiny_config(**{"train.members": 2}))
    game.run(progress=False)
    x = np.random.default_rng(1).normal(size=(20, 2))
    d1 = game.discriminator(1)
    p = d1(x)
    assert p.shape == (20,) and p.dtype == np.float32 and ((p > 0) & (p < 1)).all()
    assert torch.is_tensor(d1(torch.from_numpy(x).float()))
    G, D = game.networks(1)
    np.testing.assert_allclose(torch.sigmoid(D(torch.from_numpy(x).float())).detach().numpy(), p,
                               atol=1e-6)
    a, b = game.sample(100, member=1, seed=5), game.sample(100, member=1, seed=5)
    assert a.shape == (100, 2) and np.array_equal(a, b)
    assert not np.array_equal(game.sample(100, member=1), game.sample(100, member=1))
    with pytest.raises(ToyganError, match="member = 2"):
        game.discriminator(2)
    with pytest.raises(ToyganError, match="expected \\(n, 2\\)"):
        d1(np.zeros((3, 3)))


def test_sampling_does_not_disturb_training():
    a, b = Game(tiny_config()), Game(tiny_config())
    a.sample(500)
    a.discriminator()(np.zeros((4, 2)))
    np.testing.assert_array_equal(a.run(progress=False).samples, b.run(progress=False).samples)


# --- your own networks ---

class ResidualCritic(nn.Module):
    """A user's discriminator unlike toygan's: residual blocks with spectral normalisation, LayerNorm,
    SiLU, and a (n, 1) output."""

    def __init__(self, width=32, blocks=2, in_dim=2):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        self.inp = sn(nn.Linear(in_dim, width))
        self.blocks = nn.ModuleList(nn.Sequential(nn.LayerNorm(width), nn.SiLU(), sn(nn.Linear(width, width)))
                                    for _ in range(blocks))
        self.out = sn(nn.Linear(width, 1))

    def forward(self, x):
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


class ResidualGenerator(nn.Module):
    def __init__(self, noise_dim=3, width=32):
        super().__init__()
        self.a, self.b = nn.Linear(noise_dim, width), nn.Linear(width, width)
        self.out = nn.Linear(width, 2)

    def forward(self, z):
        h = torch.tanh(self.a(z))
        return self.out(h + torch.relu(self.b(h)))


def own_config(**overrides):
    return tiny_config(**{"model.noise_dim": 3, **overrides})


@pytest.mark.parametrize("overrides", [
    {},
    {"train.regularizer": "r1", "train.gamma": 1.0, "train.d_steps": 2},
    {"train.loss": "wasserstein", "train.regularizer": "gradient-penalty", "train.gamma": 0.5},
    {"train.updates": "simultaneous", "train.consensus": 0.3},
    {"train.unroll": 2, "train.instance_noise": 0.05},
    {"train.loss": "least-squares", "train.optimizer": "rmsprop"},
], ids=["plain", "r1-k2", "wgan-gp", "consensus", "unrolled", "lsgan"])
def test_your_own_networks_train_save_resume_and_render(tmp_path, overrides):
    config = own_config(**{"train.steps": 30, **overrides})

    def fresh():
        torch.manual_seed(0)
        return ResidualGenerator(), ResidualCritic()

    G, D = fresh()
    full = Game(config, generator=G, discriminator=D).run(progress=False)
    assert full.status == "completed", full.message
    G, D = fresh()
    game = Game(config, generator=G, discriminator=D)
    def ctrl_c_at_13(g, recorded):  # a real SIGINT to this process, as a Ctrl-C would send
        if g.iteration == 13:
            os.kill(os.getpid(), signal.SIGINT)

    part = game.run(callbacks=[ctrl_c_at_13], progress=False)
    assert part.status == "interrupted" and "interrupted at step 13" in part.message
    game.save(tmp_path / "run")
    with pytest.raises(ToyganError, match="pass a fresh instance"):
        Game.load(tmp_path / "run")
    rest = Game.load(tmp_path / "run", generator=ResidualGenerator(),
                     discriminator=ResidualCritic()).run(progress=False)
    for name in ("samples", "d_grid", "push", "field", "manifold"):
        np.testing.assert_array_equal(getattr(full, name), getattr(rest, name))
    render(rest, tmp_path / "own.png", panels=["samples", "discriminator", "push", "manifold"],
           filmstrip_frames=2)
    assert (tmp_path / "own.png").stat().st_size > 0


def test_your_own_packing_discriminator_and_what_does_not_fit():
    Game(own_config(**{"train.pack": 2}), generator=ResidualGenerator(),
         discriminator=ResidualCritic(in_dim=4)).run(progress=False)
    cases = [
        (dict(discriminator=ResidualCritic()), {"train.pack": 2},
         r"discriminator: ResidualCritic fails on a batch of shape \(3, 4\)"),
        (dict(discriminator=nn.Linear(2, 3)), {}, r"to shape \(3, 3\); expected one logit per point"),
        (dict(generator=nn.Linear(3, 5)), {}, r"generator: maps noise \(3, 3\).* to shape \(3, 5\)"),
        (dict(generator=ResidualGenerator(noise_dim=4)), {}, "generator: ResidualGenerator fails"),
        (dict(generator=ResidualGenerator()), {"train.members": 2},
         "train.members = 2: one generator module makes a one-member game; give a factory"),
        (dict(generator=nn.ReLU()), {}, "has no parameters to train"),
        (dict(discriminator="not a module"), {}, "discriminator: a str; give a torch.nn.Module"),
        (dict(discriminator=lambda: "no module"), {}, "returned a str; it must return a fresh"),
    ]
    for networks, overrides, message in cases:
        with pytest.raises(ToyganError, match=message):
            Game(own_config(**overrides), **networks)


def test_a_float64_user_network_and_a_one_sided_choice():
    D = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1)).double()
    game = Game(tiny_config(), discriminator=D)
    history = game.run(progress=False)
    assert history.status == "completed" and game.networks()[1][0].weight.dtype == torch.float64
    assert game.own == {"generator": False, "discriminator": True}


# --- degenerate states are part of the game ---

def test_a_collapsed_generator_is_recorded_and_rendered(tmp_path):
    """G's last layer zeroed: every sample is the same point. Scott's rule gives h = 0 there; the
    recording falls back to the stated minimum and says so, and nothing is lost."""
    from toygan.theory import MIN_BANDWIDTH

    config = tiny_config(**{"record.kde_bandwidth": 0.0, "train.lr_g": 1e-9, "train.members": 2})
    game = Game(config)
    with torch.no_grad():
        game.G.net[-1].weight[0].zero_()  # member 0 collapses; member 1 does not
    game.record()
    history = game.run(progress=False)
    assert history.status == "completed"
    assert np.ptp(history.samples[-1, 0], axis=0).max() < 1e-6
    width = history.window[1] - history.window[0]
    np.testing.assert_allclose(history.scalars["kde_bandwidth"][1:, 0], MIN_BANDWIDTH * width, rtol=1e-6)
    assert (history.scalars["kde_bandwidth"][:, 1] > MIN_BANDWIDTH * width).all()
    assert np.isfinite(history.scalars["jsd"]).all() and np.isfinite(history.scalars["d_star_gap"]).all()
    render(history, tmp_path / "c.png", panels=["samples", "dstar", "optimality"], filmstrip_frames=2)
    from toygan.render.panels import OptimalDiscriminators

    assert "the minimum: G collapsed" in OptimalDiscriminators(history, 0).label(history.n_snapshots - 1)


# --- the walls between the rooms ---

def test_render_imports_nothing_from_training_and_history_nothing_from_render():
    root = Path(__file__).resolve().parents[1] / "toygan"
    training = ("toygan.training", "toygan.game", "toygan.neural", "toygan.unrolling", "toygan.recorder", "toygan.streams",
                "toygan.players", "toygan.optimizers")
    for path in (root / "render").glob("*.py"):
        text = path.read_text()
        assert not any(f"from {m} " in text or f"import {m}" in text for m in training), path.name
    assert "toygan.render" not in (root / "history.py").read_text()


def test_import_toygan_leaves_matplotlib_s_backend_and_figures_alone(tmp_path):
    code = f"""
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
import toygan
from conftest import tiny_config
toygan.render.render(toygan.train(tiny_config(), progress=False), {str(tmp_path / 'a.png')!r},
                     filmstrip_frames=2)
print(matplotlib.get_backend(), plt.get_fignums())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parent, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "svg []"


class DropoutCritic(nn.Module):
    """Dropout and a frozen first layer: what a PyTorch user's D may well have."""

    def __init__(self):
        super().__init__()
        self.feat = nn.Linear(2, 32)
        self.feat.requires_grad_(False)
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 32), nn.ReLU(),
                                  nn.Linear(32, 1))

    def forward(self, x):
        return self.head(self.feat(x))


class BatchNormGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, z):
        return self.net(z)


def own_game(config):
    torch.manual_seed(0)
    return Game(config, generator=BatchNormGenerator(), discriminator=DropoutCritic())


def test_looking_at_your_own_networks_never_changes_their_training(tmp_path):
    """Snapshots, discriminator() and sample() run the players in eval mode and on the game's own
    random stream: the recording cadence and extra looks leave the trained weights unchanged, a
    user's frozen layer stays frozen, batch norm's statistics move only in training, and a saved
    game with dropout resumes bit for bit."""
    config = tiny_config(**{"train.steps": 30})
    plain = own_game(config)
    plain.run(progress=False)
    looked = own_game(config.replace(**{"record.every": 3}))
    frozen = looked.D.module.feat.weight.detach().clone()
    for _ in range(30):
        looked.step()
        looked.discriminator()(np.zeros((4, 2)))
        looked.sample(1)
    d = looked.discriminator()
    np.testing.assert_array_equal(d(np.ones((5, 2))), d(np.ones((5, 2))))  # dropout off
    for name in ("G", "D"):
        a, b = getattr(plain, name).state_dict(), getattr(looked, name).state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), name
    assert not looked.D.module.feat.weight.requires_grad
    assert torch.equal(looked.D.module.feat.weight, frozen)
    torch.manual_seed(123)
    outside = torch.rand(3)
    again = own_game(config)  # (seeds torch to build the networks)
    torch.manual_seed(123)
    again.run(progress=False)
    assert torch.equal(torch.rand(3), outside)  # the user's global stream is left alone

    part = own_game(config)
    part.run(12, progress=False)
    part.save(tmp_path / "run")
    torch.manual_seed(0)
    rest = Game.load(tmp_path / "run", generator=BatchNormGenerator(), discriminator=DropoutCritic())
    np.testing.assert_array_equal(rest.run(progress=False).samples, plain.history.samples)
    G, D = rest.networks()
    assert not G.training and not D.training


def test_networks_that_return_something_else_or_start_non_finite_are_refused():
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, z):
            return self.lin(z), None

    class Infinite(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 1)

        def forward(self, x):
            return self.lin(x) * float("inf")

    with pytest.raises(ToyganError, match="generator: Pair returns a tuple; it must return one tensor"):
        Game(tiny_config(), generator=Pair())
    with pytest.raises(ToyganError, match="first snapshot holds NaN or inf"):
        Game(tiny_config(), discriminator=Infinite())
    with pytest.raises(ToyganError, match="toygan draws within"):  # refused with the config, naming it
        Game(Config().replace(**{"data.params": {"radius": 1e38}, "train.steps": 20}))


def test_loading_another_architecture_names_what_does_not_fit(tmp_path):
    game = Game(tiny_config(), generator=nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 2)))
    game.save(tmp_path / "run")
    with pytest.raises(ToyganError, match="size mismatch for module.0.weight"):
        Game.load(tmp_path / "run",
                  generator=nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2)))


# --- what a hostile tester found ---

@pytest.mark.parametrize("call, message", [
    (lambda g: g.d_step(real=np.full((8, 2), np.nan)), "real: holds NaN or inf"),
    (lambda g: g.d_step(real=np.full((8, 2), 1e39)), "real: holds NaN or inf .or numbers beyond"),
    (lambda g: g.d_step(noise=torch.full((8, 2), float("inf"))), "noise: holds NaN or inf"),
    (lambda g: g.d_step(real=np.zeros((8, 2)), noise=np.zeros((5, 2))), "noise: 5 vectors for 8 real"),
    (lambda g: g.d_step(real=torch.zeros(8, 2, dtype=torch.complex64)), "not an array of real numbers"),
    (lambda g: g.g_step(noise=[["a", "b"]]), "noise: list is not an array of real numbers"),
    (lambda g: g.run(callbacks=5), "callbacks: 5 is not a function"),
    (lambda g: g.run(callbacks=["ab"]), "callbacks: 'ab' is not a function"),
    (lambda g: g.run(-1), "steps = -1"),
    (lambda g: g.sample(np.int64(0)), "n = 0"),
])
def test_bad_calls_are_refused_with_one_line_and_change_nothing(call, message):
    game = Game(tiny_config())
    before = {k: v.clone() for k, v in game.D.state_dict().items()}
    with pytest.raises(ToyganError, match=message):
        call(game)
    assert all(torch.equal(before[k], v) for k, v in game.D.state_dict().items())
    assert game.status == "paused"


def test_a_frozen_d_is_unfrozen_even_when_a_g_step_is_cut_short():
    class Boom(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.armed = False

        def forward(self, z):
            if self.armed:  # a second Ctrl-C in the middle of G's step
                raise KeyboardInterrupt
            return self.lin(z)

    game = Game(tiny_config(), generator=Boom())
    game.G.module.armed = True
    with pytest.raises(KeyboardInterrupt):
        game.g_step()
    assert all(p.requires_grad for p in game.D.parameters())


def test_a_single_callback_lowering_train_steps_and_an_edited_config():
    config = tiny_config()
    game = Game(config)
    config.train.loss = "bogus"  # the game holds its own validated copy
    history = game.run(callbacks=lambda g, r: g.update({"train.steps": 7}) if g.iteration == 5 else None,
                       progress=False)
    assert game.iteration == 7 and list(history.steps) == [0, 7]
    with pytest.raises(ToyganError, match="train.loss = 'bogus'"):
        Game(config)


def test_a_checkpoint_that_changes_a_fixed_setting_is_refused(tmp_path):
    game = Game(tiny_config())
    game.run(5, progress=False)
    game.save(tmp_path / "run")
    payload = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    payload["state"]["config"] = game.config.replace(**{"train.pack": 2}).to_toml()
    torch.save(payload, tmp_path / "run" / "checkpoint.pt")
    with pytest.raises(ToyganError, match="change train.pack, which cannot change mid-run"):
        Game.load(tmp_path / "run")
    payload["state"]["own"] = [1]
    torch.save(payload, tmp_path / "run" / "checkpoint.pt")
    with pytest.raises(ToyganError, match="parts missing or broken"):
        Game.load(tmp_path / "run")


def test_a_tampered_optimiser_state_is_refused_before_any_step(tmp_path):
    """Moments shaped unlike their parameters would make fused Adam write out of bounds."""
    game = Game(tiny_config())
    game.run(5, progress=False)
    game.save(tmp_path / "run")
    payload = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    for st in payload["state"]["opt_d"]["state"].values():
        st["exp_avg"] = torch.zeros(3)
    torch.save(payload, tmp_path / "run" / "checkpoint.pt")
    with pytest.raises(ToyganError, match=r"opt_d: its exp_avg is a torch.float32 tensor of shape \(3,\)"):
        Game.load(tmp_path / "run")


def test_outputs_are_checked_on_every_call_and_complex_input_refused():
    class Shrinks(nn.Module):  # fine on the probe's small batches, not on a minibatch
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 1)

        def forward(self, x):
            out = self.lin(x)
            return out if len(x) < 10 else out[:-1]

    with pytest.raises(ToyganError, match=r"discriminator: Shrinks returned shape \(63,\).*batch of 64"):
        Game(tiny_config(), discriminator=Shrinks())  # the first snapshot already asks it
    game = Game(tiny_config())
    with pytest.raises(ToyganError, match="not an array of real numbers"):
        game.d_step(real=np.ones((8, 2)) * (1 + 5j))
