import numpy as np
import pytest
import torch
from conftest import tiny_config

from toygan import Game, History, train
from toygan import objectives as obj
from toygan.errors import ToyganError
from toygan.objectives import OBJECTIVES, Objective
from toygan.render import render


def assert_histories_equal(a: History, b: History) -> None:
    for name in ("steps", "samples", "d_grid"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for k in a.scalars:
        np.testing.assert_array_equal(a.scalars[k], b.scalars[k])


def test_records_snapshots_at_0_every_n_and_the_last_step():
    h = train(tiny_config(**{"train.steps": 25, "record.every": 10}), progress=False)
    np.testing.assert_array_equal(h.steps, [0, 10, 20, 25])
    assert h.samples.shape == (4, 1, 64, 2)
    assert h.d_grid.shape == (4, 1, 16, 16)
    assert set(h.scalars) == {"d_real", "d_fake", "value", "d_half_gap", "d_star_gap", "jsd",
                              "modes_captured", "high_quality_fraction", "reverse_kl", "loss_d",
                              "loss_g", "kde_bandwidth"}
    assert np.all((h.scalars["jsd"] >= -0.05) & (h.scalars["jsd"] <= np.log(2) + 1e-6))
    assert h.mode_counts.shape == (4, 1, 8)
    assert all(v.shape == (4, 1) for v in h.scalars.values())
    assert np.isnan(h.scalars["loss_d"][0]).all() and np.isfinite(h.scalars["loss_d"][1:]).all()
    assert h.d_grid.min() >= 0 and h.d_grid.max() <= 1
    assert h.status == "completed" and h.message == ""


def test_recorded_value_matches_its_definition():
    """value = mean log D(real) + mean log(1 − D(fake)); with D ≈ ½ at init it is near −log 4."""
    h = train(tiny_config(**{"train.steps": 1}), progress=False)
    assert h.scalars["value"][0, 0] == pytest.approx(-np.log(4), abs=0.2)


def test_same_seed_gives_identical_histories():
    assert_histories_equal(train(tiny_config(), progress=False), train(tiny_config(), progress=False))


def test_a_shorter_run_is_the_start_of_a_longer_one_whatever_it_records():
    """The gallery's recipes were shortened on this: a run of N steps, recorded at any cadence,
    passes through the same states as the first N steps of a longer run."""
    config = tiny_config(**{"train.members": 2, "train.d_steps": 2})
    short = train(config.replace(**{"train.steps": 40, "record.every": 10}), progress=False)
    long = train(config.replace(**{"train.steps": 80, "record.every": 20}), progress=False)
    for step in (20, 40):
        i, j = list(short.steps).index(step), list(long.steps).index(step)
        np.testing.assert_array_equal(short.samples[i], long.samples[j])
        np.testing.assert_array_equal(short.d_grid[i], long.d_grid[j])


def test_different_seeds_differ():
    a = train(tiny_config(), progress=False)
    b = train(tiny_config(**{"train.seed": 1}), progress=False)
    assert not np.array_equal(a.samples, b.samples)


def test_ensemble_member_i_replays_the_single_run_with_seed_plus_i():
    """Exact at initialisation; equal to float rounding after training, because a batched matmul
    over E members may sum in a different order than a single one."""
    ens = train(tiny_config(**{"train.members": 3, "train.seed": 5}), progress=False)
    single = train(tiny_config(**{"train.seed": 6}), progress=False)
    np.testing.assert_array_equal(ens.samples[0, 1], single.samples[0, 0])
    np.testing.assert_allclose(ens.samples[:, 1], single.samples[:, 0], atol=1e-4)
    np.testing.assert_allclose(ens.scalars["d_real"][:, 1], single.scalars["d_real"][:, 0],
                               atol=1e-4)
    assert not np.allclose(ens.samples[-1, 0], ens.samples[-1, 1])


def _counting_objective(monkeypatch, nan_after: int | None = None) -> dict:
    calls = {"d": 0, "g": 0}

    def d_loss(real, fake):
        calls["d"] += 1
        return obj.discriminator_loss(real, fake)

    def g_loss(fake):
        calls["g"] += 1
        loss = obj.non_saturating_generator_loss(fake)
        return loss * float("nan") if nan_after is not None and calls["g"] > nan_after else loss

    monkeypatch.setitem(OBJECTIVES, "counting", Objective("counting", d_loss, g_loss, "test"))
    return calls


@pytest.mark.parametrize("k", [1, 3])
def test_k_discriminator_steps_per_generator_step(monkeypatch, k):
    calls = _counting_objective(monkeypatch)
    h = train(tiny_config(**{"train.loss": "counting", "train.d_steps": k, "train.steps": 12}),
              progress=False)
    # each snapshot also evaluates D's loss once, to record the objective's value, and G's loss
    # twice, for the push on the samples and on the field
    assert calls == {"d": 12 * k + len(h.steps), "g": 12 + 2 * len(h.steps)}


def test_injected_nan_stops_cleanly_and_keeps_the_history(monkeypatch, tmp_path):
    # G's loss is called twice per snapshot (the push) and once per step: snapshots at steps 0,
    # 10 and 20 and 23 steps make 29 calls; the 30th, step 24's, is NaN
    _counting_objective(monkeypatch, nan_after=29)
    h = train(tiny_config(**{"train.loss": "counting", "train.steps": 100}), progress=False)
    assert h.status == "diverged"
    assert "diverged at step 24" in h.message and "up to step 20" in h.message
    np.testing.assert_array_equal(h.steps, [0, 10, 20])
    assert np.isfinite(h.samples).all() and np.isfinite(h.d_grid).all()
    render(History.load(h.save(tmp_path / "h.npz")), tmp_path / "a.png")
    assert (tmp_path / "a.png").stat().st_size > 0


def test_huge_learning_rate_diverges_cleanly():
    h = train(tiny_config(**{"train.optimizer": "sgd", "train.lr_d": 1e30, "train.lr_g": 1e30,
                             "train.steps": 200}), progress=False)
    assert h.status == "diverged" and "diverged at step" in h.message
    assert np.isfinite(h.samples).all() and np.isfinite(h.d_grid).all()
    assert h.steps[-1] < 200


def test_sgd_with_momentum_and_other_choices_train():
    h = train(tiny_config(**{"train.optimizer": "sgd", "train.momentum": 0.9, "train.lr_d": 0.01,
                             "train.lr_g": 0.01, "train.loss": "saturating",
                             "model.activation": "tanh", "model.prior": "uniform",
                             "data.name": "grid", "record.window": [-6, 6, -6, 6]}),
              progress=False)
    assert h.status == "completed" and h.window == (-6, 6, -6, 6)


def test_thread_setting_is_restored():
    before = torch.get_num_threads()
    train(tiny_config(**{"train.steps": 2, "train.threads": 1}), progress=False)
    assert torch.get_num_threads() == before


def test_training_learns_something():
    """After a short real run the generator has left the origin and spread toward the ring."""
    h = train(tiny_config(**{"train.steps": 600, "model.g_width": 64, "model.d_width": 64,
                             "train.batch_size": 64, "record.every": 100}), progress=False)
    radius = np.linalg.norm(h.samples[:, 0], axis=-1).mean(axis=-1)
    assert radius[0] < 0.8 and radius[-1] > 1.2


TWO_BLOBS = {"data.name": "mixture", "data.params": {"means": [[-1, 0], [1, 0]], "stds": 0.5},
             "train.generator": "target", "fake.name": "mixture", "model.d_width": 64,
             "train.batch_size": 256, "train.steps": 600, "record.every": 100}


def test_d_trained_against_a_fixed_p_g_converges_to_d_star():
    """Claim 3 (Goodfellow et al. 2014, Prop. 1). Mean |D − D*| on the support starts near 0.25
    and, over 3 seeds measured, ends at 0.011–0.018 after 600 steps; 0.04 leaves room for the
    minibatch noise of Adam at lr 1e-3."""
    config = tiny_config(**TWO_BLOBS, **{"fake.params": {"means": [[0, 0.5]], "stds": 0.7}})
    h = train(config, progress=False)
    gap = h.scalars["d_star_gap"][:, 0]
    assert gap[0] > 0.1 and gap[-1] < 0.04
    assert np.all(h.samples[0] == h.samples[-1])  # p_g is fixed


def test_d_goes_to_half_when_p_g_equals_p_data():
    config = tiny_config(**TWO_BLOBS, **{"fake.params": {"means": [[-1, 0], [1, 0]], "stds": 0.5}})
    h = train(config, progress=False)
    assert h.scalars["d_half_gap"][-1, 0] < 0.03
    np.testing.assert_allclose(h.scalars["jsd"], 0.0, atol=1e-6)  # p_g = p_data: D* = ½ exactly
    np.testing.assert_allclose(h.scalars["d_star_gap"], h.scalars["d_half_gap"], atol=1e-6)  # D* = ½


def test_a_frozen_generator_does_not_move():
    h = train(tiny_config(**{"train.generator": "frozen"}), progress=False)
    np.testing.assert_array_equal(h.samples[0], h.samples[-1])
    assert np.isfinite(h.scalars["loss_g"][1:]).all() and np.isfinite(h.scalars["d_star_gap"]).all()
    assert not np.array_equal(h.d_grid[0], h.d_grid[-1])


def test_generator_modes_are_checked():
    from toygan.errors import ToyganError

    with pytest.raises(ToyganError, match="needs a \\[fake\\] section"):
        tiny_config(**{"train.generator": "target"})
    with pytest.raises(ToyganError, match="only used with"):
        tiny_config(**{"fake.name": "ring"})
    with pytest.raises(ToyganError, match="fake.params.std = 0"):
        tiny_config(**{"train.generator": "target", "fake.name": "ring", "fake.params": {"std": 0}})


def test_a_sample_only_target_trains_and_renders_without_mode_metrics(tmp_path):
    h = train(tiny_config(**{"data.name": "moons"}), progress=False)
    assert h.status == "completed" and h.mode_counts.shape[-1] == 0
    assert np.isnan(h.scalars["modes_captured"]).all()
    assert np.isfinite(h.scalars["d_star_gap"]).all()
    render(h, tmp_path / "m.png", panels=["samples", "discriminator", "dstar"], filmstrip_frames=2)


@pytest.mark.parametrize("overrides", [
    {"train.loss": "least-squares"},
    {"train.loss": "hinge"},
    {"train.loss": "wasserstein", "train.clip": 0.05, "train.optimizer": "rmsprop",
     "train.lr_d": 5e-4, "train.lr_g": 5e-4, "train.d_steps": 5},
    {"train.loss": "wasserstein", "train.regularizer": "gradient-penalty", "train.gamma": 1.0},
    {"train.regularizer": "r1", "train.gamma": 1.0},
    {"train.regularizer": "r2", "train.gamma": 1.0},
    {"train.instance_noise": 0.1},
    {"train.updates": "simultaneous"},
    {"train.updates": "simultaneous", "train.regularizer": "r1", "train.gamma": 0.5},
], ids=lambda o: ",".join(f"{k.split('.')[1]}={v}" for k, v in o.items()))
def test_objectives_regularisers_and_schemes_train_reproducibly(overrides):
    a = train(tiny_config(**overrides), progress=False)
    assert a.status == "completed", a.message
    assert_histories_equal(a, train(tiny_config(**overrides), progress=False))
    assert not np.array_equal(a.samples, train(tiny_config(), progress=False).samples)
    probabilistic = overrides.get("train.loss") not in ("wasserstein", "hinge")
    assert np.isfinite(a.scalars["d_star_gap"]).all() == probabilistic
    assert np.isnan(a.scalars["d_half_gap"]).all() != probabilistic


def test_weight_clipping_keeps_the_critic_in_its_box():
    game = Game(tiny_config(**{"train.loss": "wasserstein", "train.clip": 0.01}))
    game.run(progress=False)
    assert max(p.abs().max().item() for p in game.D.parameters()) <= 0.01 + 1e-7


def test_ensemble_members_stay_independent_under_penalties():
    config = {"train.regularizer": "gradient-penalty", "train.gamma": 1.0, "train.loss": "wasserstein",
              "train.instance_noise": 0.05}
    ens = train(tiny_config(**config, **{"train.members": 2, "train.seed": 3}), progress=False)
    single = train(tiny_config(**config, **{"train.seed": 4}), progress=False)
    np.testing.assert_allclose(ens.samples[:, 1], single.samples[:, 0], atol=1e-4)


def test_an_unconstrained_wgan_with_a_huge_learning_rate_stops_cleanly():
    h = train(tiny_config(**{"train.loss": "wasserstein", "train.optimizer": "sgd", "train.lr_d": 1e20,
                             "train.lr_g": 1e20, "train.steps": 300, "record.every": 1}),
              progress=False)
    assert h.status == "diverged" and "diverged at step" in h.message
    assert np.isfinite(h.samples).all()


def test_unrolled_steps_match_the_optimisers_own_step():
    """One unrolled step from the optimiser's state equals the optimiser's real step (Adam's ε is
    taken inside the square root in the unrolled version: a difference of order 1e-8 here)."""
    from toygan.unrolling import unrolled_parameters

    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(3, 4))
    grad = torch.randn(3, 4)
    for name in ("adam", "sgd"):
        config = tiny_config(**{"train.optimizer": name, "train.lr_d": 0.01})
        reference = w.detach().clone().requires_grad_(True)
        opt = (torch.optim.Adam([reference], lr=0.01, betas=(0.5, 0.999)) if name == "adam"
               else torch.optim.SGD([reference], lr=0.01))
        reference.grad = grad.clone()
        opt.step()
        state = {"w": {"step": 0.0, "m": torch.zeros(3, 4), "v": torch.zeros(3, 4)}}
        out = unrolled_parameters({"w": w}, [grad], state, config.train)
        torch.testing.assert_close(out["w"], reference.detach(), rtol=0, atol=1e-6)


def test_unrolled_gan_trains_and_k_0_is_plain_training():
    plain = train(tiny_config(), progress=False)
    assert_histories_equal(plain, train(tiny_config(**{"train.unroll": 0}), progress=False))
    unrolled = train(tiny_config(**{"train.unroll": 2, "train.steps": 20}), progress=False)
    assert unrolled.status == "completed"
    assert_histories_equal(unrolled, train(tiny_config(**{"train.unroll": 2, "train.steps": 20}),
                                           progress=False))
    assert not np.array_equal(unrolled.samples[1], plain.samples[1])


def test_gradients_flow_through_the_unrolled_step():
    """G's surrogate loss f(θ_G, θ_D¹(θ_G)) (Metz et al. 2016, Eq. 5): its autograd gradient matches
    finite differences of the whole unrolled loss, and differs from the plain gradient that treats
    D's look-ahead weights as constants."""
    from torch.func import functional_call

    from toygan.models import Discriminator, Generator
    from toygan.objectives import discriminator_loss, non_saturating_generator_loss
    from toygan.unrolling import unrolled_parameters

    gen = Generator(1, noise_dim=2, width=6, depth=1).double()
    disc = Discriminator(1, width=6, depth=1).double()
    gen.reset_parameters([torch.Generator().manual_seed(1)])
    disc.reset_parameters([torch.Generator().manual_seed(2)])
    z, real = torch.randn(1, 16, 2, dtype=torch.float64), torch.randn(1, 16, 2, dtype=torch.float64)
    config = tiny_config(**{"train.optimizer": "sgd", "train.lr_d": 0.5})

    def surrogate(bias: torch.Tensor, through: bool) -> torch.Tensor:
        g_params = {**dict(gen.named_parameters()), "net.2.bias": bias}
        fake = functional_call(gen, g_params, (z,))
        params = dict(disc.named_parameters())
        loss_d = discriminator_loss(functional_call(disc, params, (real,)),
                                    functional_call(disc, params, (fake,)))
        grads = torch.autograd.grad(loss_d.sum(), list(params.values()), create_graph=through)
        ahead = unrolled_parameters(params, list(grads), {}, config.train)
        if not through:
            ahead = {k: v.detach() for k, v in ahead.items()}
        return non_saturating_generator_loss(functional_call(disc, ahead, (fake,))).sum()

    bias = dict(gen.named_parameters())["net.2.bias"].detach().clone().requires_grad_(True)
    (through,) = torch.autograd.grad(surrogate(bias, True), bias)
    (plain,) = torch.autograd.grad(surrogate(bias, False), bias)
    h, numeric = 1e-6, torch.zeros_like(bias)
    for k in range(2):
        step = torch.zeros_like(bias)
        step[0, 0, k] = h
        numeric[0, 0, k] = (surrogate(bias + step, True) - surrogate(bias - step, True)) / (2 * h)
    torch.testing.assert_close(through, numeric, rtol=1e-5, atol=1e-8)
    assert not torch.allclose(through, plain, rtol=1e-3)


def test_packing_with_m_1_is_plain_training_and_m_3_packs_the_discriminator(tmp_path):
    plain = train(tiny_config(), progress=False)
    assert_histories_equal(plain, train(tiny_config(**{"train.pack": 1}), progress=False))
    packed = train(tiny_config(**{"train.pack": 3, "train.regularizer": "r1", "train.gamma": 0.1}),
                   progress=False)
    assert packed.status == "completed"
    assert np.isnan(packed.scalars["d_star_gap"]).all()
    assert np.isfinite(packed.scalars["d_half_gap"]).all()
    render(packed, tmp_path / "p.png", panels=["samples", "discriminator", "modes"], filmstrip_frames=2)
    from toygan.errors import ToyganError

    with pytest.raises(ToyganError, match="packs of 3 samples"):
        render(packed, tmp_path / "q.png", panels=["dstar"])


def test_a_packing_discriminator_sees_packs():
    shapes = []
    game = Game(tiny_config(**{"train.pack": 2, "train.batch_size": 8}))
    game.D.register_forward_pre_hook(lambda module, args: shapes.append(tuple(args[0].shape)))
    game.d_step()
    assert shapes[0] == (1, 8, 4)  # 8 packs of 2 points, 4 coordinates each


def test_consensus_trains_and_is_refused_with_alternating_updates():
    from toygan.errors import ToyganError

    h = train(tiny_config(**{"train.updates": "simultaneous", "train.consensus": 0.5}), progress=False)
    assert h.status == "completed"
    plain = train(tiny_config(**{"train.updates": "simultaneous"}), progress=False)
    assert not np.array_equal(h.samples[-1], plain.samples[-1])
    with pytest.raises(ToyganError, match="needs train.updates"):
        tiny_config(**{"train.consensus": 0.5})


def test_push_is_the_gradient_of_the_generator_loss_on_the_d_grid():
    """For the non-saturating loss −log D(x), −∂/∂x = ∇D / D: compare the recorded push field with
    finite differences of the recorded D grid (grid 29 puts every second grid point on the 15 × 15
    field)."""
    h = train(tiny_config(**{"record.grid_size": 29, "model.activation": "tanh", "train.steps": 60}),
              progress=False)
    d = h.d_grid[-1, 0].astype(float)
    xs, ys = h.grid_axes()
    dd_dy, dd_dx = np.gradient(d, ys, xs)
    want = np.stack([dd_dx, dd_dy], axis=-1)[::2, ::2] / d[::2, ::2, None]
    got = h.field[-1, 0]
    inner = (slice(1, -1), slice(1, -1))
    cos = (want[inner] * got[inner]).sum(-1) / (
        np.linalg.norm(want[inner], axis=-1) * np.linalg.norm(got[inner], axis=-1) + 1e-12)
    assert np.median(cos) > 0.98
    np.testing.assert_allclose(np.linalg.norm(got[inner], axis=-1),
                               np.linalg.norm(want[inner], axis=-1), rtol=0.1)


def test_manifold_is_g_on_the_latent_grid_and_matches_the_samples_range():
    from toygan.history import MANIFOLD_LINES, MANIFOLD_POINTS
    from toygan.recorder import latent_grid

    z = latent_grid("normal", 2)
    assert z.shape == (2 * MANIFOLD_LINES * MANIFOLD_POINTS, 2)
    lines = z.reshape(2, MANIFOLD_LINES, MANIFOLD_POINTS, 2)
    assert np.allclose(lines[0, :, :, 1].std(axis=1), 0) and np.allclose(lines[1, :, :, 0].std(axis=1), 0)
    assert float(z.abs().max()) == 2.0 and float(latent_grid("uniform", 3).abs().max()) == 1.0
    h = train(tiny_config(), progress=False)
    assert h.manifold.shape == (h.n_snapshots, 1, z.shape[0], 2)
    # G is continuous and the grid spans ±2σ, so the mesh spans most of the samples' range
    mesh, samples = h.manifold[-1, 0], h.samples[-1, 0]
    assert np.all(np.abs(mesh).max(0) > 0.5 * np.abs(samples).max(0))
    fixed = train(tiny_config(**{"train.generator": "target", "fake.name": "ring"}), progress=False)
    assert fixed.manifold.shape[2] == 0


def test_device_choice_is_checked_and_cpu_results_do_not_change():
    import torch

    from toygan.device import resolve_device

    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(ToyganError, match="no CUDA device"):
            train(tiny_config(**{"train.device": "cuda"}), progress=False)
    a = train(tiny_config(), progress=False)
    b = train(tiny_config(**{"train.device": "auto" if not torch.cuda.is_available() else "cpu"}),
              progress=False)
    np.testing.assert_array_equal(a.samples, b.samples)
    with pytest.raises(ToyganError, match="train.device = 'tpu'"):
        tiny_config(**{"train.device": "tpu"})
