"""Minimax methods: what one iteration of a two-player game does, written once for every game.

A game is two players' parameters and each player's loss, each player minimising its own (D first,
as in Algorithm 1). A method turns their gradients ξ = (∇_D L_D, ∇_G L_G) — and, where it needs
them, Hessian-vector products by autograd — into one update, which each player's optimiser takes
(plain gradient steps of size η in the Dirac-GAN and the small games). The same ``METHODS`` entry
drives the neural GAN (``train.updates``), the Dirac-GAN and the small closed-form games: each of
them is a ``Play``.

Goodfellow et al. (2014), Algorithm 1, is ``alternating``::

    for k steps:  sample m data points and m noise vectors; D descends its loss
    sample m noise vectors; G descends its loss against the updated D
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import dataclasses
from dataclasses import dataclass
from typing import Protocol

import torch

from toygan.validate import integer, number

__all__ = ["Play", "Method", "METHODS", "D", "G", "iterate", "descend", "field", "alternating", "simultaneous",
           "consensus", "extragradient", "optimistic", "sga", "cgd", "hamiltonian", "lookahead",
           "Settings", "method_settings", "settings_for", "CONSENSUS_METHODS", "CONSENSUS_DEFAULT",
           "SGA_EPSILON", "CG_ITERATIONS", "memory_tensors"]

D, G = 0, 1
"""The players, in Algorithm 1's order: the discriminator moves first."""

Tensors = list[torch.Tensor]


@dataclass(frozen=True)
class Settings:
    """What a method reads besides the gradients (``train.*`` in a config)."""

    d_steps: int = 1
    """k: D steps per G step (``alternating`` only)."""
    consensus: float = 0.0
    """γ of consensus optimisation, added to the field of the methods that move both players from
    one point; the ``consensus`` method takes ``CONSENSUS_DEFAULT`` when it is 0."""
    sga_lambda: float = 1.0
    """λ of symplectic gradient adjustment (its sign chosen by the alignment rule)."""
    lookahead_k: int = 0
    """Lookahead-minmax: every k iterations both players' slow weights move a fraction α toward
    the fast ones, and the fast ones restart there; 0: off."""
    lookahead_alpha: float = 0.5
    """α of Lookahead-minmax."""


def method_settings(*, d_steps: int = 1, consensus: float = 0.0, sga_lambda: float = 1.0,
                    lookahead_k: int = 0, lookahead_alpha: float = 0.5) -> Settings:
    """``Settings``, each value checked as the config checks its ``train.*`` twin."""
    return Settings(d_steps=integer("d_steps", d_steps, 1, 100),
                    consensus=number("consensus", consensus, 0.0, 100.0, open_low=False),
                    sga_lambda=number("sga_lambda", sga_lambda, 0.0, 100.0),
                    lookahead_k=integer("lookahead_k", lookahead_k, 0, 10_000),
                    lookahead_alpha=number("lookahead_alpha", lookahead_alpha, 0.0, 1.0))


CONSENSUS_METHODS = ("simultaneous", "consensus", "extragradient", "optimistic")
"""The methods whose field takes consensus optimisation's γ∇½‖ξ‖² (``consensus``)."""


def settings_for(name: str, settings: Settings) -> Settings:
    """``settings`` as the method ``name`` reads them: k only for ``alternating``, consensus's γ
    only for ``CONSENSUS_METHODS`` (one set of settings for several runs, as ``toygan dirac``
    takes them)."""
    return dataclasses.replace(
        settings, d_steps=settings.d_steps if not METHODS[name].together else 1,
        consensus=settings.consensus if name in CONSENSUS_METHODS else 0.0)


CONSENSUS_DEFAULT = 0.3
"""γ of the ``consensus`` method when none is given (Mescheder et al. 2018 use 0.3 on the Dirac-GAN)."""
SGA_EPSILON = 0.1
"""ε of SGA's alignment rule (Balduzzi et al. 2018, Algorithm 1)."""
CG_ITERATIONS = 32
"""Most conjugate-gradient iterations of a CGD step (a system of at most this size is solved
exactly, densely)."""


class Play(Protocol):
    """What a method sees of a game. Losses are per member ``(E,)`` (the members of an ensemble
    are independent games; a method sums them, so each member gets its own gradient)."""

    members: int
    trains_generator: bool
    settings: Settings
    graph: bool
    """Keep the graph through every step, so the update itself can be differentiated (the
    update matrices of the Dirac-GAN); False for training."""
    memory: dict
    """A method's state carried from one iteration to the next (saved with the game): tensors,
    one per parameter, under a name, and counters."""

    def params(self, player: int) -> Tensors: ...
    def loss(self, player: int) -> torch.Tensor:
        """One player's loss on fresh draws (Algorithm 1's minibatch for that player)."""
    def losses(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Both players' losses on one shared minibatch, each a function of both players."""
    def move(self, player: int, grads: Tensors) -> None:
        """The player's optimiser takes one step along ``grads`` (then WGAN clips D)."""
    def point(self) -> Tensors:
        """Both players' parameters (D's, then G's), as copies."""
    def restore(self, point: Tensors) -> None: ...
    def lr(self, player: int) -> float: ...
    def per_member(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` summed over everything but the member axis: ``(E,)``."""
    def spread(self, c: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``c`` ``(E,)`` times ``x``, member by member."""


Update = Callable[[Play], tuple[Tensors, torch.Tensor]]


@dataclass(frozen=True)
class Method:
    """A minimax method: ``run(play)`` does one iteration and returns D's losses (one per D step)
    and G's loss. ``together``: both players move from one point (k = 1; unrolling, which
    follows D's own steps ahead of G's, does not apply)."""

    run: Update
    summary: str
    together: bool = True
    memory: tuple[str, ...] = ()
    """The names in ``play.memory`` it carries from one iteration to the next."""
    cost: float = 1.0
    """Time of an iteration relative to ``alternating`` with k = 1 (``benchmarks/method_cost.py``
    on the ring preset, docs/methods.md): how a build orders its work."""


# --- the plain methods ---

def descend(play: Play, player: int, loss: torch.Tensor) -> torch.Tensor:
    """One step of ``player`` down its own ``loss``; returns the loss, detached."""
    play.move(player, _grad(play, loss, play.params(player)))
    return loss.detach()


def alternating(play: Play) -> tuple[Tensors, torch.Tensor]:
    """Goodfellow et al. (2014), Algorithm 1: k D steps, each on fresh minibatches of data and
    noise, then one G step on fresh noise against the updated D."""
    return _d_steps(play), descend(play, G, play.loss(G))


def _d_steps(play: Play) -> Tensors:
    """k D steps, each on a fresh minibatch: D's losses."""
    return [descend(play, D, play.loss(D)) for _ in range(play.settings.d_steps)]


def simultaneous(play: Play) -> tuple[Tensors, torch.Tensor]:
    """Both players step from the same point along ξ (with γ = ``consensus`` > 0, consensus
    optimisation's field)."""
    (loss_d, loss_g), grads = field(play)
    _move_both(play, grads)
    return [loss_d.detach()], loss_g.detach()


def consensus(play: Play) -> tuple[Tensors, torch.Tensor]:
    """Consensus optimisation (Mescheder et al. 2017, Algorithm 2): simultaneous steps along
    ξ + γ∇(½‖ξ‖²), γ = ``consensus`` (``CONSENSUS_DEFAULT`` when 0)."""
    (loss_d, loss_g), grads = field(play, play.settings.consensus or CONSENSUS_DEFAULT)
    _move_both(play, grads)
    return [loss_d.detach()], loss_g.detach()


def extragradient(play: Play) -> tuple[Tensors, torch.Tensor]:
    """Extragradient (Korpelevich 1976; Gidel et al. 2019): a step to a look-ahead point, then the
    step from the original point along the field there. With Adam it is Extra-Adam: the
    optimiser's state takes both steps."""
    start = play.point()
    (loss_d, loss_g), grads = field(play)
    _move_both(play, grads)
    _, grads = field(play)
    play.restore(start)
    _move_both(play, grads)
    return [loss_d.detach()], loss_g.detach()


def optimistic(play: Play) -> tuple[Tensors, torch.Tensor]:
    """Optimistic gradient descent (OGDA, Daskalakis et al. 2018): x ← x + 2u_t − u_{t−1}, u the
    optimiser's step along the field (−η ξ for plain steps; with Adam, Optimistic Adam). The first
    iteration takes u_{−1} = u_0, a plain step."""
    start = play.point()
    (loss_d, loss_g), grads = field(play)
    _move_both(play, grads)
    step = [new - old for new, old in zip(play.point(), start, strict=True)]
    last = play.memory.get("last_update", step)
    play.restore([x + 2 * u - v for x, u, v in zip(start, step, last, strict=True)])
    play.memory["last_update"] = step if play.graph else [u.detach() for u in step]
    return [loss_d.detach()], loss_g.detach()


def sga(play: Play) -> tuple[Tensors, torch.Tensor]:
    """Symplectic gradient adjustment (Balduzzi et al. 2018, Algorithm 1, with alignment):
    ξ + λAᵀξ, A the antisymmetric part of the game's Hessian H, the sign of λ chosen as
    sign(⟨ξ, Hᵀξ⟩⟨Aᵀξ, Hᵀξ⟩ / d + ε), ε = ``SGA_EPSILON``, d the number of parameters."""
    (loss_d, loss_g), xi, params = _xi(play)
    ht_xi = _vjp(xi, params, xi)                      # Hᵀξ = ∇(½‖ξ‖²)
    h_xi = _jvp(xi, params, xi)                       # Hξ
    at_xi = [0.5 * (a - b) for a, b in zip(ht_xi, h_xi, strict=True)]
    d = sum(p[0].numel() if play.members > 1 else p.numel() for p in params)
    align = _dot(play, xi, ht_xi) * _dot(play, at_xi, ht_xi) / d + SGA_EPSILON
    lam = play.settings.sga_lambda * torch.sign(align).detach()
    grads = [g + play.spread(lam, a) for g, a in zip(xi, at_xi, strict=True)]
    _move_both(play, _split(play, _keep(play, grads)))
    return [loss_d.detach()], loss_g.detach()


def hamiltonian(play: Play) -> tuple[Tensors, torch.Tensor]:
    """Hamiltonian gradient descent (Balduzzi et al. 2018; Loizou et al. 2020): both players
    descend ℋ = ½‖ξ‖², whose gradient is Hᵀξ."""
    (loss_d, loss_g), xi, params = _xi(play)
    _move_both(play, _split(play, _keep(play, _vjp(xi, params, xi))))
    return [loss_d.detach()], loss_g.detach()


def cgd(play: Play) -> tuple[Tensors, torch.Tensor]:
    """Competitive gradient descent (Schäfer & Anandkumar 2019): each player's step is the Nash
    equilibrium of the bilinear approximation of the game, regularised by the step sizes η:
    (I + N H_o) Δ = −N ξ, H_o the off-diagonal (interaction) blocks of the game's Hessian, N the
    step sizes. Solved by conjugate gradients on Hessian-vector products, on the normal equations
    (the system is symmetric only for zero-sum games); a small system, exactly. The optimiser then
    steps along −Δ/η (with plain steps, exactly CGD)."""
    (loss_d, loss_g), xi, params = _xi(play)
    n_d = len(play.params(D))
    eta = [play.lr(D)] * n_d + [play.lr(G)] * (len(params) - n_d)
    xi_d, xi_g = xi[:n_d], xi[n_d:]
    # the cross gradients: D's loss as a function of G's parameters, and G's of D's
    cross_d = _grad_graph(loss_d, params[n_d:])        # ∇_G L_D
    cross_g = _grad_graph(loss_g, params[:n_d])        # ∇_D L_G

    def h_off(v: Tensors) -> Tensors:                   # H_o v
        return (_vjp(cross_d, params[:n_d], v[n_d:]) + _vjp(cross_g, params[n_d:], v[:n_d]))

    def h_off_t(w: Tensors) -> Tensors:                 # H_oᵀ w
        return (_vjp(xi_g, params[:n_d], w[n_d:]) + _vjp(xi_d, params[n_d:], w[:n_d]))

    def m(v: Tensors) -> Tensors:
        return [a + e * b for a, b, e in zip(v, h_off(v), eta, strict=True)]

    def m_t(w: Tensors) -> Tensors:
        scaled = h_off_t([e * x for e, x in zip(eta, w, strict=True)])
        return [a + b for a, b in zip(w, scaled, strict=True)]

    rhs = [e * g for e, g in zip(eta, xi, strict=True)]  # −Δ solves M(−Δ) = Nξ
    minus_step = _solve(play, m, m_t, rhs)
    _move_both(play, _split(play, _keep(play, [s / e for s, e in zip(minus_step, eta, strict=True)])))
    return [loss_d.detach()], loss_g.detach()


METHODS: dict[str, Method] = {
    "alternating": Method(alternating, "k D steps, then G against the new D (Algorithm 1)",
                          together=False),
    "simultaneous": Method(simultaneous, "both players step from the same point", cost=0.9),
    "consensus": Method(consensus, "simultaneous steps on ξ + γ∇½‖ξ‖²", cost=2.0),
    "extragradient": Method(extragradient, "step along the field at a look-ahead point", cost=1.7),
    "optimistic": Method(optimistic, "x + 2u_t − u_{t−1}: a step corrected by the last one",
                         memory=("last_update",)),
    "sga": Method(sga, "ξ + λAᵀξ, the sign of λ aligned", cost=4.8),
    "cgd": Method(cgd, "the Nash step of the local bilinear game", cost=7.5),
    "hamiltonian": Method(hamiltonian, "descent on ½‖ξ‖²", cost=2.0),
}
"""Name → method, as ``train.updates`` and ``toygan dirac --runs VARIANT:METHOD`` name it. A new
entry appears in ``toygan train``, ``toygan dirac``, the live page's menu and sweeps."""


def iterate(play: Play, name: str) -> tuple[Tensors, torch.Tensor]:
    """One iteration of the method ``name``, wrapped in Lookahead-minmax when ``lookahead_k`` > 0.
    Against a fixed p_g (``play.trains_generator`` False) only D trains, by ``alternating``'s D
    steps, whatever the method."""
    method = METHODS[name]
    if not play.trains_generator:
        return _d_steps(play), play.loss(G).detach()
    if play.settings.lookahead_k and "slow" not in play.memory:
        play.memory["slow"] = play.point()  # the slow weights start where the fast ones are now
        play.memory["lookahead_count"] = 0
    out = method.run(play)
    lookahead(play)
    return out


def lookahead(play: Play) -> None:
    """Lookahead-minmax (Chavdarova et al. 2021): the slow weights φ are kept beside the fast
    ones θ; every k iterations φ ← φ + α(θ − φ) for both players at once, and θ ← φ."""
    k, alpha = play.settings.lookahead_k, play.settings.lookahead_alpha
    if not k:
        play.memory.pop("slow", None)
        play.memory.pop("lookahead_count", None)
        return
    slow = play.memory["slow"]
    count = play.memory.get("lookahead_count", 0) + 1
    if count >= k:
        fast = play.point()
        slow = [s + alpha * (f - s) for s, f in zip(slow, fast, strict=True)]
        play.restore(slow)
        count = 0
    play.memory["slow"] = slow if play.graph else [s.detach() for s in slow]
    play.memory["lookahead_count"] = count


def memory_tensors(play: Play) -> list[str]:
    """The names in ``play.memory`` that hold one tensor per parameter (saved with the game)."""
    return [name for name, value in play.memory.items() if isinstance(value, list)]


# --- the field and its derivatives ---

def field(play: Play, gamma: float | None = None) -> tuple[tuple[torch.Tensor, torch.Tensor], Tensors]:
    """Both losses on one minibatch and the field the players descend: ξ, plus γ∇(½‖ξ‖²) with
    γ = ``consensus`` (or ``gamma``) > 0 (Mescheder et al. 2017). Returns the losses and one
    gradient per parameter, D's then G's."""
    gamma = play.settings.consensus if gamma is None else gamma
    if gamma == 0:
        loss_d, loss_g = play.losses()
        grads = (_grad(play, loss_d, play.params(D)) + _grad(play, loss_g, play.params(G)))
        return (loss_d, loss_g), grads
    (loss_d, loss_g), xi, params = _xi(play)
    extra = _vjp(xi, params, xi)
    grads = [g + gamma * e for g, e in zip(xi, extra, strict=True)]
    return (loss_d, loss_g), _keep(play, grads)


def _xi(play: Play) -> tuple[tuple[torch.Tensor, torch.Tensor], Tensors, Tensors]:
    """Both losses on one minibatch, ξ with its graph, and the parameters (D's, then G's)."""
    loss_d, loss_g = play.losses()
    params = play.params(D) + play.params(G)
    xi = (_grad_graph(loss_d, play.params(D)) + _grad_graph(loss_g, play.params(G)))
    return (loss_d, loss_g), xi, params


def _grad(play: Play, loss: torch.Tensor, params: Tensors) -> Tensors:
    """The gradient of ``loss`` (summed over members) with respect to ``params``. The graph is
    kept: the two players' losses of one minibatch share G's forward pass."""
    if play.graph:
        return list(torch.autograd.grad(loss.sum(), params, create_graph=True, retain_graph=True,
                                        allow_unused=True, materialize_grads=True))
    # by backward(): it sums a parameter's contributions (a penalty's double backward, say) in
    # the order toygan 0.2 did, so that its runs are reproduced bit for bit
    saved = [p.grad for p in params]
    for p in params:
        p.grad = None
    loss.sum().backward(inputs=params, retain_graph=True)
    grads = [torch.zeros_like(p) if p.grad is None else p.grad for p in params]
    for p, g in zip(params, saved, strict=True):
        p.grad = g
    return grads


def _grad_graph(loss: torch.Tensor, params: Tensors) -> Tensors:
    return list(torch.autograd.grad(loss.sum(), params, create_graph=True, retain_graph=True,
                                    allow_unused=True, materialize_grads=True))


def _vjp(ys: Tensors, xs: Tensors, vs: Tensors) -> Tensors:
    """Σ_i v_i·∂y_i/∂x: a transposed Jacobian (for ξ, the game's Hessian) times v, with v held
    fixed in the differentiation; the result keeps its graph, through v too."""
    pairs = [(y, v) for y, v in zip(ys, vs, strict=True) if y.requires_grad]
    if not pairs:
        return [torch.zeros_like(x) for x in xs]
    return list(torch.autograd.grad([y for y, _ in pairs], xs, grad_outputs=[v for _, v in pairs],
                                    create_graph=True, retain_graph=True, allow_unused=True,
                                    materialize_grads=True))


def _jvp(ys: Tensors, xs: Tensors, vs: Tensors) -> Tensors:
    """(∂y/∂x) v by the double-vjp trick: u ↦ Jᵀu is linear in u, and its gradient along v is Jv."""
    us = [torch.zeros_like(y, requires_grad=True) for y in ys]
    jt_u = _vjp(ys, xs, us)
    return _vjp(jt_u, us, vs)


def _dot(play: Play, xs: Tensors, ys: Tensors) -> torch.Tensor:
    return sum(play.per_member(x * y) for x, y in zip(xs, ys, strict=True))


def _keep(play: Play, grads: Tensors) -> Tensors:
    return grads if play.graph else [g.detach() for g in grads]


def _split(play: Play, grads: Tensors) -> tuple[Tensors, Tensors]:
    n = len(play.params(D))
    return grads[:n], grads[n:]


def _move_both(play: Play, grads: Tensors | tuple[Tensors, Tensors]) -> None:
    d_grads, g_grads = grads if isinstance(grads, tuple) else _split(play, grads)
    play.move(D, d_grads)
    play.move(G, g_grads)


def _solve(play: Play, m: Callable[[Tensors], Tensors], m_t: Callable[[Tensors], Tensors],
           rhs: Tensors) -> Tensors:
    """x with M x = rhs: densely where the system is small (exact, and differentiable for the
    update matrices), else by conjugate gradients on MᵀM x = Mᵀ rhs, member by member."""
    size = sum(r.numel() for r in rhs)
    if size <= CG_ITERATIONS:
        return _solve_dense(m, rhs)
    b = m_t(rhs)
    x = [torch.zeros_like(r) for r in rhs]
    r = [t.detach() for t in b]
    p = list(r)
    rr = _dot(play, r, r)
    floor = 1e-12 * rr + 1e-30
    for _ in range(CG_ITERATIONS):
        ap = m_t(m(p))
        active = rr > floor
        alpha = torch.where(active, rr / _dot(play, p, ap).clamp_min(1e-30), torch.zeros_like(rr))
        x = [xi + play.spread(alpha, pi).detach() for xi, pi in zip(x, p, strict=True)]
        r = [ri - play.spread(alpha, a).detach() for ri, a in zip(r, ap, strict=True)]
        rr_new = _dot(play, r, r)
        if not bool((rr_new > floor).any()):
            break
        beta = torch.where(active, rr_new / rr.clamp_min(1e-30), torch.zeros_like(rr))
        p = [ri + play.spread(beta, pi) for ri, pi in zip(r, p, strict=True)]
        rr = rr_new
    return x


def _solve_dense(m: Callable[[Tensors], Tensors], rhs: Tensors) -> Tensors:
    shapes = [r.shape for r in rhs]
    sizes = [r.numel() for r in rhs]
    flat = torch.cat([r.reshape(-1) for r in rhs])
    columns = []
    for i in range(len(flat)):
        e = torch.zeros_like(flat)
        e[i] = 1
        columns.append(torch.cat([c.reshape(-1) for c in m(_unflat(e, shapes, sizes))]))
    x = torch.linalg.solve(torch.stack(columns, dim=1), flat)
    return _unflat(x, shapes, sizes)


def _unflat(flat: torch.Tensor, shapes: Sequence[torch.Size], sizes: Sequence[int]) -> Tensors:
    return [piece.reshape(shape) for piece, shape in zip(flat.split(list(sizes)), shapes, strict=True)]
