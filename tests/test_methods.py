"""The minimax methods (toygan.methods) against closed forms derived here, on the small games, and
against plain reference loops written here, on the neural game."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from toygan import Config, Game
from toygan.dirac import dirac_gan, eigenvalues, trajectory, update_matrix
from toygan.errors import ToyganError
from toygan.methods import CONSENSUS_DEFAULT, METHODS, SGA_EPSILON, Settings

ETA = 0.1
H = np.array([[0.0, 1.0], [-1.0, 0.0]])
"""The bilinear game L = θψ: ξ = (∂L/∂θ, ∂(−L)/∂ψ) = (ψ, −θ) = H (θ, ψ); H² = −I, eigenvalues ±i."""


def radius_per_step(scheme, steps=50, settings=None, eta=ETA):
    path = trajectory(dirac_gan("bilinear"), 1.0, 0.5, steps=steps, lr=eta, scheme=scheme,
                      settings=settings)
    r = np.hypot(path[:, 0], path[:, 1])
    return r[1:] / r[:-1]


def spectral_radius(scheme, settings=None, eta=ETA, game="bilinear"):
    return np.abs(eigenvalues(dirac_gan(game), lr=eta, scheme=scheme, settings=settings)).max()


# --- the bilinear game, exactly ---

@pytest.mark.parametrize("eta", [0.05, 0.1, 0.3])
def test_simultaneous_grows_by_sqrt_1_plus_eta2_every_step(eta):
    # x ← (I − ηH)x; (I − ηH)ᵀ(I − ηH) = I + η²HᵀH = (1 + η²)I: every step scales ‖x‖ alike
    np.testing.assert_allclose(radius_per_step("simultaneous", eta=eta), math.sqrt(1 + eta**2), rtol=1e-12)
    assert spectral_radius("simultaneous", eta=eta) == pytest.approx(math.sqrt(1 + eta**2), rel=1e-12)


@pytest.mark.parametrize("eta", [0.05, 0.1, 0.3])
def test_extragradient_shrinks_by_sqrt_1_minus_eta2_plus_eta4(eta):
    # x ← x − ηH(x − ηHx) = ((1 − η²)I − ηH)x, a scaled rotation of modulus √((1 − η²)² + η²)
    want = math.sqrt(1 - eta**2 + eta**4)
    np.testing.assert_allclose(radius_per_step("extragradient", eta=eta), want, rtol=1e-12)
    assert spectral_radius("extragradient", eta=eta) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("eta", [0.05, 0.1, 0.3])
def test_hamiltonian_descent_shrinks_by_1_minus_eta(eta):
    # ∇½‖ξ‖² = HᵀHx = x, so x ← (1 − η)x
    np.testing.assert_allclose(radius_per_step("hamiltonian", eta=eta), 1 - eta, rtol=1e-12)


@pytest.mark.parametrize("eta", [0.05, 0.1, 0.3])
def test_optimistic_contracts_at_the_largest_root_of_its_recurrence(eta):
    """x_{t+1} = x_t − 2ηHx_t + ηHx_{t−1}; on an eigenvector of H (eigenvalue h = ±i),
    λ² − (1 − 2ηh)λ − ηh = 0. The update matrix of (x, last update) has those four roots."""
    roots = np.concatenate([np.roots([1, -(1 - 2 * eta * h), -eta * h]) for h in (1j, -1j)])
    got = eigenvalues(dirac_gan("bilinear"), lr=eta, scheme="optimistic")
    np.testing.assert_allclose(np.sort_complex(got), np.sort_complex(roots), atol=1e-12)
    rate = np.abs(roots).max()
    assert rate < 1
    ratios = radius_per_step("optimistic", steps=400, eta=eta)
    assert np.exp(np.log(ratios[-100:]).mean()) == pytest.approx(rate, rel=1e-3)


def test_alternating_circles():
    # D then G: [[1 − η², −η], [η, 1]] in (θ, ψ): determinant 1, complex eigenvalues of modulus 1
    m = update_matrix(dirac_gan("bilinear"), lr=ETA, scheme="alternating")
    np.testing.assert_allclose(m, [[1 - ETA**2, -ETA], [ETA, 1]], atol=1e-15)
    assert np.abs(np.linalg.eigvals(m)) == pytest.approx([1, 1], abs=1e-12)
    path = trajectory(dirac_gan("bilinear"), 1.0, 0.5, steps=20_000, lr=ETA, scheme="alternating")
    r = np.hypot(path[:, 0], path[:, 1])
    assert r.min() > 0.5 and r.max() < 1.5 and np.ptp(r[-5000:]) < 1  # neither in nor out


@pytest.mark.parametrize("lam", [0.5, 1.0])
def test_sga_converges_at_its_closed_form_rate(lam):
    """A = ½(H − Hᵀ) = H, so ξ + λAᵀξ = Hx − λH²x = (H + λI)x: x ← ((1 − ηλ)I − ηH)x. Near (0, 0)
    the alignment sign is that of ε > 0: λ keeps its sign."""
    want = math.hypot(1 - ETA * lam, ETA)
    settings = Settings(sga_lambda=lam)
    np.testing.assert_allclose(radius_per_step("sga", settings=settings), want, rtol=1e-12)
    assert SGA_EPSILON > 0


def test_cgd_converges_at_its_closed_form_rate():
    """The interaction blocks of H are all of H here: (I + ηH)y = ηHx, x ← x − y = (I + ηH)⁻¹x,
    of modulus 1/√(1 + η²)."""
    np.testing.assert_allclose(radius_per_step("cgd"), 1 / math.sqrt(1 + ETA**2), rtol=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 0.5])
def test_consensus_converges_at_its_closed_form_rate(gamma):
    # ξ + γ∇½‖ξ‖² = (H + γI)x; the method takes γ = CONSENSUS_DEFAULT when given none
    g = gamma or CONSENSUS_DEFAULT
    want = math.hypot(1 - ETA * g, ETA)
    np.testing.assert_allclose(radius_per_step("consensus", settings=Settings(consensus=gamma)),
                               want, rtol=1e-12)


@pytest.mark.parametrize("base", ["alternating", "simultaneous"])
def test_lookahead_minmax_converges_where_its_base_method_does_not(base):
    """A period is k base steps M, then φ ← φ + α(M^k φ − φ): eigenvalues 1 − α + αμ^k for the
    eigenvalues μ of M. Alternating circles (|μ| = 1) and simultaneous spirals out at η = 0.1, k = 5;
    with Lookahead both contract."""
    k, alpha = 5, 0.5
    m = update_matrix(dirac_gan("bilinear"), lr=ETA, scheme=base)
    mu = np.linalg.eigvals(m)
    assert np.abs(mu).max() >= 1 - 1e-12
    want = 1 - alpha + alpha * mu**k
    settings = Settings(lookahead_k=k, lookahead_alpha=alpha)
    got = eigenvalues(dirac_gan("bilinear"), lr=ETA, scheme=base, settings=settings)
    np.testing.assert_allclose(np.sort_complex(got), np.sort_complex(want), atol=1e-12)
    assert np.abs(want).max() < 1
    path = trajectory(dirac_gan("bilinear"), 1.0, 0.5, steps=2000, lr=ETA, scheme=base, settings=settings)
    assert np.hypot(*path[-1]) < 1e-3


# --- the other small games ---

def test_the_non_nash_point_attracts_the_flow():
    """L = 3θ²/2 + 2θψ + ψ²/2: v = (−3θ − 2ψ, 2θ + ψ), J = [[−3, −2], [2, 1]], trace −2 and
    determinant 1: λ = −1 twice. Yet ∂²L/∂ψ² = 1 > 0: D, which maximises L, sits at a minimum."""
    np.testing.assert_allclose(eigenvalues(dirac_gan("non-nash")), [-1, -1], atol=1e-6)
    for scheme in ("simultaneous", "extragradient", "optimistic"):
        path = trajectory(dirac_gan("non-nash"), 1.0, 1.0, steps=3000, lr=0.05, scheme=scheme)
        assert np.hypot(*path[-1]) < 1e-6, scheme


def test_letchers_game_repels_and_every_method_cycles():
    """L = θψ − θ²/2 + ψ²/2 + θ⁴/4 − ψ⁴/4 (Letcher 2021): J(0) = [[1, −1], [1, 1]], λ = 1 ± i, so
    (0, 0) repels; the quartic terms bring paths back: a limit cycle, neither 0 nor escaping."""
    np.testing.assert_allclose(np.sort_complex(eigenvalues(dirac_gan("impossible"))),
                               [1 - 1j, 1 + 1j], atol=1e-12)
    for scheme in ("simultaneous", "extragradient", "consensus", "sga", "cgd"):
        path = trajectory(dirac_gan("impossible"), 0.5, -0.5, steps=3000, lr=0.02, scheme=scheme)
        r = np.hypot(path[-500:, 0], path[-500:, 1])
        assert 0.2 < r.min() and r.max() < 2, scheme


def test_every_method_plays_every_small_game():
    for game in ("gan", "nsgan", "r1", "instance-noise", "wgan", "bilinear", "non-nash", "impossible"):
        for scheme in METHODS:
            path = trajectory(dirac_gan(game), 0.6, 0.4, steps=20, lr=0.05, scheme=scheme)
            assert np.isfinite(path).all() and path.shape == (21, 2), (game, scheme)


# --- the neural game against plain reference loops ---

def _softplus_losses(d, g, real, z):
    """The non-saturating GAN's losses, written out: D descends −log σ(D(x)) − log(1 − σ(D(G(z)))),
    G descends −log σ(D(G(z)))."""
    fake = g(z)
    return (F.softplus(-d(real)).mean() + F.softplus(d(fake)).mean(), F.softplus(-d(fake)).mean())


class Reference:
    """The tiny game as one flat vector x = (D's parameters, G's parameters), with ξ and its
    Jacobian J computed densely."""

    def __init__(self, G0, D0, real, z):
        self.G0, self.D0, self.real, self.z = G0, D0, real, z
        self.d_names = [(k, v.shape) for k, v in D0.named_parameters()]
        self.g_names = [(k, v.shape) for k, v in G0.named_parameters()]
        self.nd = sum(s.numel() for _, s in self.d_names)

    def unflat(self, x, names):
        out, i = {}, 0
        for k, s in names:
            out[k] = x[i:i + s.numel()].reshape(s)
            i += s.numel()
        return out

    def x0(self):
        return torch.cat([p.detach().reshape(-1) for p in [*self.D0.parameters(), *self.G0.parameters()]])

    def losses(self, x):
        d = lambda inp: functional_call(self.D0, self.unflat(x[:self.nd], self.d_names), (inp,))  # noqa: E731
        g = lambda inp: functional_call(self.G0, self.unflat(x[self.nd:], self.g_names), (inp,))  # noqa: E731
        return _softplus_losses(d, g, self.real, self.z)

    def xi(self, x):
        nd = self.nd
        gd = torch.func.grad(lambda a: self.losses(torch.cat([a, x[nd:]]))[0])(x[:nd])
        gg = torch.func.grad(lambda b: self.losses(torch.cat([x[:nd], b]))[1])(x[nd:])
        return torch.cat([gd, gg])

    def jac(self, x):
        return torch.autograd.functional.jacobian(self.xi, x)

    def networks(self, x):
        G, D = copy.deepcopy(self.G0), copy.deepcopy(self.D0)
        torch.nn.utils.vector_to_parameters(x[:self.nd], D.parameters())
        torch.nn.utils.vector_to_parameters(x[self.nd:], G.parameters())
        return G, D


def reference_step(ref, method, x, eta, memory):
    xi = ref.xi(x)
    if method == "simultaneous":
        return x - eta * xi
    if method == "extragradient":
        return x - eta * ref.xi(x - eta * xi)
    if method == "optimistic":
        last = memory.get("xi", xi)
        memory["xi"] = xi
        return x - eta * (2 * xi - last)
    j = ref.jac(x)
    if method == "consensus":
        return x - eta * (xi + CONSENSUS_DEFAULT * j.T @ xi)
    if method == "hamiltonian":
        return x - eta * (j.T @ xi)
    if method == "sga":
        a = 0.5 * (j - j.T)
        grad_h = j.T @ xi
        sign = torch.sign(torch.dot(xi, grad_h) * torch.dot(a.T @ xi, grad_h) / len(x) + SGA_EPSILON)
        return x - eta * (xi + sign * (a.T @ xi))
    if method == "cgd":
        off = j.clone()
        off[:ref.nd, :ref.nd] = 0
        off[ref.nd:, ref.nd:] = 0
        y = torch.linalg.solve(torch.eye(len(x), dtype=x.dtype) + eta * off, eta * xi)
        return x - y
    raise AssertionError(method)


def _fixed_batches(game, real, z):
    """Every draw of the game's training streams gives this one minibatch."""
    game.streams.real = lambda n, target, *rest: real[None]
    game.streams.prior = lambda prior, n, dim, *rest: z[None]


@pytest.mark.parametrize("method", ["simultaneous", "extragradient", "optimistic", "consensus",
                                    "hamiltonian", "sga", "cgd"])
def test_each_method_matches_a_plain_reference_loop_on_the_neural_game(method):
    """Three iterations of plain steps (SGD, η = 0.05) on one fixed minibatch: the game's networks
    equal the reference's, which follows each method's formula on the flat parameter vector with
    the Jacobian of ξ taken densely (float32 rounding and CGD's conjugate-gradient solve: 1e-5)."""
    eta = 0.05
    config = Config.from_dict({
        "train": {"steps": 10, "updates": method, "optimizer": "sgd", "lr_d": eta, "lr_g": eta,
                  "batch_size": 16, "seed": 3},
        "model": {"g_width": 6, "g_depth": 1, "d_width": 6, "d_depth": 1},
        "record": {"every": 1000, "n_samples": 64, "grid_size": 16}})
    game = Game(config)
    G0, D0 = game.networks()
    gen = torch.Generator().manual_seed(0)
    real, z = torch.randn(16, 2, generator=gen), torch.randn(16, 2, generator=gen)
    _fixed_batches(game, real, z)
    ref = Reference(G0, D0, real, z)
    x, memory = ref.x0(), {}
    for _ in range(3):
        game.step()
        x = reference_step(ref, method, x, eta, memory)
    G1, D1 = game.networks()
    G2, D2 = ref.networks(x)
    probe = torch.randn(32, 2, generator=gen)
    moved = (ref.networks(ref.x0())[1](probe) - D2(probe)).abs().max()
    assert moved > 1e-3  # the reference moved: the comparison means something
    torch.testing.assert_close(D1(probe), D2(probe), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(G1(probe), G2(probe), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("method", ["sga", "cgd", "optimistic"])
def test_ensemble_members_stay_independent(method):
    """Two members trained as one ensemble equal two one-member games of their seeds, on the same
    fixed minibatch: SGA's sign and CGD's solve are taken member by member."""
    def game_of(members, seed):
        config = Config.from_dict({
            "train": {"steps": 10, "updates": method, "optimizer": "sgd", "lr_d": 0.05, "lr_g": 0.05,
                      "batch_size": 16, "seed": seed, "members": members},
            "model": {"g_width": 6, "g_depth": 1, "d_width": 6, "d_depth": 1},
            "record": {"every": 1000, "n_samples": 64, "grid_size": 16}})
        return Game(config)

    gen = torch.Generator().manual_seed(1)
    real, z = torch.randn(16, 2, generator=gen), torch.randn(16, 2, generator=gen)
    both = game_of(2, 5)
    both.streams.real = lambda n, target, *rest: real[None].expand(2, -1, -1)
    both.streams.prior = lambda prior, n, dim, *rest: z[None].expand(2, -1, -1)
    alone = [game_of(1, 5), game_of(1, 6)]
    for g in alone:
        _fixed_batches(g, real, z)
    for _ in range(3):
        for g in (both, *alone):
            g.step()
    probe = torch.randn(32, 2, generator=gen)
    for member, g in enumerate(alone):
        torch.testing.assert_close(both.networks(member)[1](probe), g.networks()[1](probe),
                                   rtol=1e-5, atol=1e-5)


# --- every method in the whole game ---

def tiny(method, **train):
    return Config.from_dict({
        "train": {"steps": 12, "updates": method, "batch_size": 16, **train},
        "model": {"g_width": 8, "g_depth": 1, "d_width": 8, "d_depth": 1},
        "record": {"every": 4, "n_samples": 64, "grid_size": 16}})


@pytest.mark.parametrize("method", list(METHODS))
def test_each_method_trains_with_packing_noise_a_penalty_and_lookahead_and_resumes_exactly(method, tmp_path):
    """Adam (Optimistic Adam, Extra-Adam), packing, instance noise, R1 and Lookahead together; a
    run stopped at step 6, saved and loaded, ends bit for bit where the straight run does (the
    optimistic method's last update and Lookahead's slow weights are saved)."""
    config = tiny(method, pack=2, instance_noise=0.05, regularizer="r1", gamma=0.1, lookahead_k=3,
                  members=2)
    straight = Game(config)
    straight.run(progress=False)
    assert straight.status == "completed"
    first = Game(config)
    first.run(6, progress=False)
    first.save(tmp_path / "run")
    resumed = Game.load(tmp_path / "run")
    resumed.run(progress=False)
    for a, b in zip(straight.G.parameters(), resumed.G.parameters(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(straight.D.parameters(), resumed.D.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("method", ["extragradient", "sga", "cgd"])
def test_each_method_trains_your_own_networks(method):
    g = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    d = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    game = Game(tiny(method, steps=5), generator=g, discriminator=d)
    assert game.run(progress=False).status == "completed"


def test_a_method_can_change_mid_run_and_with_a_fixed_p_g_only_d_trains():
    game = Game(tiny("alternating"))
    game.run(4, progress=False)
    game.update({"train.updates": "optimistic", "train.lookahead_k": 2})
    game.run(4, progress=False)
    game.update({"train.updates": "cgd", "train.lookahead_k": 0})
    assert game.run(progress=False).status == "completed"
    frozen = Game(tiny("sga", generator="frozen"))
    before = [p.clone() for p in frozen.G.parameters()]
    frozen.run(progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, frozen.G.parameters(), strict=True))


@pytest.mark.parametrize(("train", "match"), [
    ({"updates": "sga", "consensus": 0.5}, 'train.consensus = 0.5: .* needs train.updates = "simultaneous"'),
    ({"updates": "extragradient", "unroll": 2}, "train.unroll = 2: .*\"alternating\""),
    ({"updates": "cgd", "d_steps": 3}, "train.d_steps = 3: .* alternating"),
    ({"updates": "newton"}, "train.updates = 'newton'.*extragradient"),
    ({"lookahead_alpha": 0.0}, "train.lookahead_alpha = 0"),
    ({"lookahead_k": -1}, "train.lookahead_k = -1"),
    ({"sga_lambda": float("nan")}, "train.sga_lambda"),
])
def test_settings_that_do_not_fit_are_refused_in_one_line(train, match):
    with pytest.raises(ToyganError, match=match):
        tiny("alternating", **{"updates": "alternating", **train})


def test_a_broken_method_memory_in_a_checkpoint_is_refused(tmp_path):
    game = Game(tiny("optimistic"))
    game.run(3, progress=False)
    game.save(tmp_path / "run")
    path = tmp_path / "run" / "checkpoint.pt"
    payload = torch.load(path, weights_only=True)
    payload["state"]["method"]["last_update"] = payload["state"]["method"]["last_update"][:-1]
    torch.save(payload, path)
    with pytest.raises(ToyganError, match="last_update does not fit"):
        Game.load(tmp_path / "run")
