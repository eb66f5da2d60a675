"""The eigenvalues of a neural GAN's game (``toygan.jacobian``, ``record.eigenvalues``): the exact
Jacobian against finite differences, the fields against closed forms, Arnoldi against the exact
path, the recording against training without it, and the resource checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.functional import softplus

import toygan.jacobian as jac
from toygan import Game, History
from toygan.errors import ToyganError
from toygan.jacobian import Field, eigenvalues, field_of, jacobian_rows, joint_field
from toygan.methods import Settings
from toygan.presets import preset_config
from toygan.render.animation import Animation

GAME = Field(1.0, 0.0, "game")


def _tiny() -> tuple[nn.Module, nn.Module, torch.Tensor, torch.Tensor]:
    """A float64 GAN small enough for finite differences: G 2 → 3 → 2, D 2 → 3 → 1 (tanh)."""
    torch.manual_seed(0)
    g = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    d = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    real = torch.randn(16, 2, dtype=torch.float64)
    noise = torch.randn(16, 2, dtype=torch.float64)
    return g, d, real, noise


def _losses(g, d, real, noise):
    def losses():
        fake = g(noise)
        loss_d = (softplus(-d(real)) + softplus(d(fake))).mean()
        return loss_d.reshape(1), softplus(-d(fake)).mean().reshape(1)   # non-saturating G
    return losses


def _flat_field(g, d, real, noise, field: Field) -> np.ndarray:
    params = list(d.parameters()) + list(g.parameters())
    v = joint_field(_losses(g, d, real, noise), list(d.parameters()), list(g.parameters()), field)
    return torch.cat([x.reshape(-1) for x in v]).detach().numpy(), params


@pytest.mark.parametrize("field", [GAME, Field(1.0, 0.3, "consensus"), Field(0.0, 1.0, "hamiltonian")])
def test_exact_jacobian_matches_finite_differences(field: Field) -> None:
    g, d, real, noise = _tiny()
    v, params = _flat_field(g, d, real, noise, field)
    vt = joint_field(_losses(g, d, real, noise), list(d.parameters()), list(g.parameters()), field)
    exact = jacobian_rows(vt, params, 1)[0]
    n, h = len(v), 1e-6
    flat = torch.nn.utils.parameters_to_vector(params).detach()
    numeric = np.empty((n, n))
    for j in range(n):  # central differences, column by column
        columns = []
        for sign in (1, -1):
            shifted = flat.clone()
            shifted[j] += sign * h
            torch.nn.utils.vector_to_parameters(shifted, params)
            columns.append(_flat_field(g, d, real, noise, field)[0])
        numeric[:, j] = (columns[0] - columns[1]) / (2 * h)
    torch.nn.utils.vector_to_parameters(flat, params)
    assert exact.shape == (n, n) == (30, 30)  # D: 9 + 4, G: 9 + 8
    np.testing.assert_allclose(exact, numeric, atol=1e-6, rtol=1e-5)


class _Point(nn.Module):
    """G of the Dirac-GAN: every sample is θ."""

    def __init__(self) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.zeros(1, dtype=torch.float64))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.theta.expand(len(z), 1)


def _dirac(gamma: float) -> tuple[np.ndarray, bool]:
    g, d = _Point(), nn.Linear(1, 1, bias=False).double()
    nn.init.zeros_(d.weight)
    real, noise = torch.zeros(4, 1, dtype=torch.float64), torch.zeros(4, 1, dtype=torch.float64)

    def losses():  # the Dirac-GAN, standard (saturating) loss: L_G = −L_D's fake term
        fake = g(noise)
        loss_d = (softplus(-d(real)) + softplus(d(fake))).mean()
        return loss_d.reshape(1), -softplus(d(fake)).mean().reshape(1)

    field = Field(1.0, gamma, "")
    v = joint_field(losses, list(d.parameters()), list(g.parameters()), field)
    return eigenvalues(v, list(d.parameters()) + list(g.parameters()), 1, 1)


def test_the_dirac_gan_as_networks_has_the_papers_eigenvalues() -> None:
    # at (0, 0) the field's Jacobian is [[0, -f'(0)], [f'(0), 0]] with f'(0) = ½ (Mescheder et al.
    # 2018, Lemma 2.2): eigenvalues ±i/2
    values, exact = _dirac(0.0)
    assert exact
    np.testing.assert_allclose(np.sort_complex(values[0]), [-0.5j, 0.5j], atol=1e-12)


def test_consensus_pulls_the_dirac_gans_eigenvalues_left_by_gamma_over_four() -> None:
    # consensus follows −(ξ + γJᵀξ); at the equilibrium ξ = 0, so its Jacobian is J − γJᵀJ, and
    # JᵀJ = I/4 here: the eigenvalues move to −γ/4 ± i/2
    gamma = 0.3
    values, _ = _dirac(gamma)
    np.testing.assert_allclose(np.sort_complex(values[0]), [-gamma / 4 - 0.5j, -gamma / 4 + 0.5j],
                               atol=1e-12)


def test_arnoldi_finds_the_largest_eigenvalues_of_the_exact_path(monkeypatch) -> None:
    g, d, real, noise = _tiny()
    params = list(d.parameters()) + list(g.parameters())
    v = joint_field(_losses(g, d, real, noise), list(d.parameters()), list(g.parameters()), GAME)
    every, exact = eigenvalues(v, params, 1, 4)
    assert exact and every.shape == (1, 30)
    monkeypatch.setattr(jac, "EXACT_PARAMETERS", 10)
    largest, exact = eigenvalues(v, params, 1, 4)
    assert not exact and largest.shape == (1, 4)
    np.testing.assert_allclose(np.sort(np.abs(largest[0])), np.sort(np.abs(every[0, :4])), rtol=1e-6)


def test_each_method_names_the_field_it_follows() -> None:
    assert field_of("alternating", Settings()) == Field(1.0, 0.0, "the game's field −ξ")
    assert field_of("consensus", Settings()).b == 0.3
    assert field_of("simultaneous", Settings(consensus=2.0)).b == 2.0
    assert field_of("alternating", Settings(consensus=2.0)).b == 0.0  # alternating takes no γ
    assert (field_of("hamiltonian", Settings()).a, field_of("hamiltonian", Settings()).b) == (0.0, 1.0)


def _small(**record) -> object:
    cfg = preset_config("ring")
    cfg.model.g_width = cfg.model.d_width = 8
    cfg.train.steps, cfg.record.every, cfg.record.n_samples = 40, 20, 64
    for key, value in record.items():
        setattr(cfg.record, key, value)
    return cfg


def test_recording_eigenvalues_changes_nothing_else_and_survives_a_save(tmp_path) -> None:
    plain = Game(_small()).run()
    cfg = _small(eigenvalues=True)
    cfg.train.members = 2
    watched = Game(cfg).run()
    cfg.train.members = 1
    one = Game(cfg).run()
    np.testing.assert_array_equal(plain.samples, one.samples)  # the training is untouched
    n = (2 * 8 + 8) + (8 * 8 + 8) + (8 * 2 + 2) + (2 * 8 + 8) + (8 * 8 + 8) + (8 + 1)
    assert one.eigenvalues.shape == (3, 1, n, 2) and one.eigen_parameters == n
    assert watched.eigenvalues.shape == (3, 2, n, 2)
    # the eigenvalues of a real matrix come in conjugate pairs
    z = one.eigenvalues[-1, 0, :, 0] + 1j * one.eigenvalues[-1, 0, :, 1]
    np.testing.assert_allclose(np.sort_complex(z), np.sort_complex(z.conj()), atol=1e-4)
    path = one.save(tmp_path / "h.npz")
    back = History.load(path)
    np.testing.assert_array_equal(back.eigenvalues, one.eigenvalues)
    assert back.eigen_parameters == n
    animation = Animation(back, panels=["samples", "eigenvalues"])
    try:
        assert animation.frame(2).ndim == 3
    finally:
        animation.close()


def test_the_eigenvalues_panel_asks_for_the_recording() -> None:
    history = Game(_small()).run()
    with pytest.raises(ToyganError, match="record.eigenvalues = true"):
        Animation(history, panels=["eigenvalues"])


def test_eigenvalues_that_would_take_too_long_are_refused_before_training() -> None:
    cfg = preset_config("ring")  # 34,179 parameters, 3,000 steps: about 100 snapshots
    cfg.record.eigenvalues = True
    cfg.record.every = 10
    with pytest.raises(ToyganError, match="would take about .* minutes"):
        Game(cfg)


def test_a_bad_eigen_setting_is_one_line() -> None:
    for key, value, says in (("eigenvalues", "yes", "true or false"), ("eigen_k", 0, "record.eigen_k")):
        cfg = preset_config("ring").to_dict()
        cfg["record"][key] = value
        with pytest.raises(ToyganError, match=says):
            type(preset_config("ring")).from_dict(cfg)


@pytest.mark.parametrize("overrides", [
    {"train.updates": "consensus", "train.regularizer": "gradient-penalty", "train.gamma": 0.1,
     "train.loss": "wasserstein"},
    {"train.generator": "frozen", "train.pack": 2},
    {"train.generator": "target", "fake.name": "grid", "fake.params": {"side": 2, "spacing": 1.0, "std": 0.1}},
])
def test_eigenvalues_resume_exactly_and_follow_the_game(tmp_path, overrides) -> None:
    """A run stopped, saved and resumed records the same eigenvalues as the straight run; a
    penalty, packing, a frozen G and a fixed p_g each give the field of what trains."""
    cfg = _small(eigenvalues=True).replace(**overrides)
    straight = Game(cfg).run()
    first = Game(cfg)
    first.run(20)
    first.save(tmp_path / "run")
    resumed = Game.load(tmp_path / "run")
    again = resumed.run()
    np.testing.assert_array_equal(straight.eigenvalues, again.eigenvalues)
    np.testing.assert_array_equal(straight.eigen_field, again.eigen_field)
    d_only = cfg.train.generator != "trained"
    d_params = (2 * cfg.train.pack + 1) * 8 + 9 * 8 + 9
    assert straight.eigen_parameters == (d_params if d_only else straight.eigen_parameters)
    if cfg.train.updates == "consensus":
        np.testing.assert_allclose(straight.eigen_field[0, 0], [1.0, 0.3], rtol=1e-6)


def test_a_diverging_game_records_nan_eigenvalues_and_keeps_its_run() -> None:
    """Steps of 100 make the field overflow before the losses do: the eigenvalues are NaN there,
    the run goes on (found by a hostile review: the whole run was lost to a LinAlgError)."""
    cfg = _small(eigenvalues=True).replace(**{"train.optimizer": "sgd", "train.lr_d": 100.0,
                                               "train.lr_g": 100.0, "record.every": 5})
    history = Game(cfg).run()
    assert history.n_snapshots > 1
    assert np.isnan(history.eigenvalues[-1]).all() or np.isfinite(history.eigenvalues[-1]).all()


def test_a_history_whose_eigenvalues_do_not_fit_the_game_is_refused_on_resume(tmp_path) -> None:
    cfg = _small(eigenvalues=True)
    game = Game(cfg)
    game.run(20)
    game.save(tmp_path / "run")
    history = History.load(tmp_path / "run" / "history.npz")
    history.eigenvalues = history.eigenvalues[:, :, :10]
    history.eigen_parameters = 10
    history.save(tmp_path / "run" / "history.npz")
    with pytest.raises(ToyganError, match="eigenvalues"):
        Game.load(tmp_path / "run")
