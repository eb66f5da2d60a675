"""The Dirac-GAN (Mescheder, Geiger & Nowozin 2018, "Which training methods for GANs do actually
converge?", Sec. 2.2) and other two-parameter games: the smallest games whose dynamics can be
solved by hand, played in float64 torch so that every field, Jacobian and update matrix comes from
autograd.

Data p_data = δ₀, generator p_θ = δ_θ, linear discriminator D_ψ(x) = ψx, so the whole game lives in
the (θ, ψ) plane and its equilibrium is (0, 0). The objective is L(θ, ψ) = f(ψθ) + f(0) with
f(t) = −log(1 + e^{−t}) for the standard GAN and f(t) = t for the WGAN; G descends L, D ascends it.
A ``DiracGAN`` holds each player's loss (D's with its regulariser); the field the players follow
is v(θ, ψ) = (−∂L_G/∂θ, −∂L_D/∂ψ). The eigenvalues of its Jacobian at (0, 0) decide convergence of
the flow (Thm. 4.1 and Lemmas 2.2–2.4):

- GAN: ±i f′(0), pure rotation; simultaneous steps of size h multiply the distance to the
  equilibrium by √(1 + h² f′(0)²) > 1 (Lemma 2.3), f′(0) = ½; alternating steps circle (Lemma 2.4);
- R1/R2 with γ > 0 (Sec. 4.1): −γ/2 ± √(γ²/4 − f′(0)²), locally convergent;
- instance noise σ (Sec. 3.3): f″(0)σ² ± √(f″(0)²σ⁴ − f′(0)²), f″(0) = −¼: convergent;
- WGAN (with clipping) and WGAN-GP: no convergence to (0, 0).

Beside them, three small games from the literature on minimax methods: ``bilinear`` (L = θψ, the
WGAN Dirac-GAN without its clip), ``non-nash`` (a point every method converges to that is not a
Nash equilibrium) and ``impossible`` (Letcher 2021: a zero-sum game in which every reasonable
method ends in a limit cycle). Any method of ``toygan.methods`` plays any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn.functional import logsigmoid

from toygan.errors import ToyganError
from toygan.methods import D, G, METHODS, Settings, iterate, settings_for
from toygan.validate import choice, integer, number

__all__ = ["DiracGAN", "DiracPlay", "VARIANTS", "schemes", "dirac_gan", "trajectory", "jacobian",
           "eigenvalues", "update_matrix", "spectral_radius", "stable_range", "ESCAPE"]

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

# Gauss–Hermite nodes for E over ε ~ N(0, 1): deterministic instance-noise expectations
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


def _keep(theta: torch.Tensor, psi: torch.Tensor) -> torch.Tensor:
    return psi


@dataclass(frozen=True)
class DiracGAN:
    """One game in the (θ, ψ) plane: G's loss and D's loss as functions of (θ, ψ) (each player
    minimises its own; they act elementwise on tensors of any equal shape), and ``project`` for D
    after each of its steps (the WGAN's weight clipping)."""

    name: str
    gamma: float
    loss_g: Loss
    loss_d: Loss
    project: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = _keep
    summary: str = ""
    smooth: bool = True
    """False where the field is not differentiable at (0, 0), so it has no Jacobian there."""
    setting: str = ""
    """What γ is for this variant, for a title (``, γ = 0.3``, ``, clip |ψ| ≤ 0.3``); empty if unused."""
    title: str = ""
    """The variant as a title names it ("R1", "WGAN-GP"); its ``name`` if empty."""

    def titled(self) -> str:
        """The variant's name for a title, with its setting: "R1, γ = 0.3"."""
        return f"{self.title or self.name}{self.setting}"

    def field(self, theta, psi) -> tuple[np.ndarray, np.ndarray]:
        """(dθ/dt, dψ/dt) = (−∂L_G/∂θ, −∂L_D/∂ψ) at arrays (or numbers) of equal shape, by autograd."""
        t = torch.as_tensor(np.asarray(theta, float), dtype=torch.float64).requires_grad_()
        p = torch.as_tensor(np.asarray(psi, float), dtype=torch.float64).requires_grad_()
        (gt,) = torch.autograd.grad(self.loss_g(t, p).sum(), t)
        (gp,) = torch.autograd.grad(self.loss_d(t, p).sum(), p)
        return (-gt).numpy(), (-gp).numpy()


def _f(t: torch.Tensor) -> torch.Tensor:
    """f(t) = −log(1 + e^{−t}), so that f′(0) = ½ and f″(0) = −¼."""
    return logsigmoid(t)


def _gan(gamma: float) -> DiracGAN:
    return DiracGAN("gan", gamma, lambda t, p: _f(p * t), lambda t, p: -_f(p * t), title="GAN",
                    summary="standard GAN: circles (continuous), spirals out (simultaneous)")


def _nsgan(gamma: float) -> DiracGAN:
    # G descends −log D(G(z)) = −f(−ψθ): its θ-gradient uses f′(−ψθ)
    return DiracGAN("nsgan", gamma, lambda t, p: -_f(-p * t), lambda t, p: -_f(p * t),
                    title="non-saturating GAN",
                    summary="non-saturating G loss: same Jacobian at (0, 0), same circling")


def _wgan(gamma: float) -> DiracGAN:
    clip = gamma if gamma > 0 else 0.3
    return DiracGAN("wgan", clip, lambda t, p: p * t, lambda t, p: -p * t,
                    project=lambda t, p: p.clamp(-clip, clip),
                    title="WGAN", summary=f"WGAN, ψ clipped to ±{clip:g}: never converges",
                    setting=f", clip |ψ| ≤ {clip:g}")


def _wgan_gp(gamma: float) -> DiracGAN:
    gamma = gamma if gamma > 0 else 1.0
    target = 0.3  # the gradient-norm target the penalty pulls |ψ| toward, as in the paper's Fig. 4
    return DiracGAN("wgan-gp", gamma, lambda t, p: p * t,
                    lambda t, p: -p * t + gamma / 2 * (p.abs() - target) ** 2,
                    title="WGAN-GP",
                    summary=f"WGAN-GP, γ = {gamma:g}, |ψ| pulled to {target}: never converges",
                    smooth=False, setting=f", γ = {gamma:g}")  # |ψ| has a kink at ψ = 0


def _r1(gamma: float) -> DiracGAN:
    gamma = gamma if gamma > 0 else 0.3
    # R1 = γ/2 E_data[|∇ₓD|²] = γ/2 ψ² for D = ψx; R2 (on p_θ) is the same here
    return DiracGAN("r1", gamma, lambda t, p: _f(p * t), lambda t, p: -_f(p * t) + gamma / 2 * p**2,
                    title="R1", summary=f"R1 (= R2 here), γ = {gamma:g}: converges",
                    setting=f", γ = {gamma:g}")


def _instance_noise(gamma: float) -> DiracGAN:
    sigma = gamma if gamma > 0 else 0.7

    def expect(fn: Callable[[torch.Tensor], torch.Tensor], t: torch.Tensor) -> torch.Tensor:
        eps = torch.as_tensor(sigma * _GH_NODES, dtype=t.dtype).reshape((-1,) + (1,) * t.dim())
        w = torch.as_tensor(_GH_WEIGHTS, dtype=t.dtype).reshape((-1,) + (1,) * t.dim())
        return (w * fn(eps)).sum(0)

    # L = E_ε[f(ψ(θ + ε))] + E_ε[f(ψε)]: data and generator both blurred by N(0, σ²)
    return DiracGAN("instance-noise", sigma, lambda t, p: expect(lambda e: _f(p * (t + e)), t),
                    lambda t, p: -expect(lambda e: _f(p * (t + e)) + _f(p * e), t),
                    title="instance noise", summary=f"instance noise σ = {sigma:g}: converges",
                    setting=f", σ = {sigma:g}")


def _zero_sum(name: str, value: Loss, title: str, summary: str) -> Callable[[float], DiracGAN]:
    return lambda gamma: DiracGAN(name, gamma, value, lambda t, p: -value(t, p), title=title,
                                  summary=summary)


VARIANTS: dict[str, Callable[[float], DiracGAN]] = {
    "gan": _gan, "nsgan": _nsgan, "wgan": _wgan, "wgan-gp": _wgan_gp, "r1": _r1,
    "instance-noise": _instance_noise,
    "bilinear": _zero_sum("bilinear", lambda t, p: t * p, "bilinear θψ",
                          "L = θψ: simultaneous steps spiral out, alternating ones circle"),
    "non-nash": _zero_sum("non-nash", lambda t, p: 1.5 * t**2 + 2 * t * p + 0.5 * p**2,
                          "stable, not Nash",
                          "L = 3θ²/2 + 2θψ + ψ²/2: (0, 0) attracts, yet D there is at a minimum of "
                          "what it maximises"),
    "impossible": _zero_sum("impossible",
                            lambda t, p: t * p - t**2 / 2 + p**2 / 2 + t**4 / 4 - p**4 / 4,
                            "Letcher's game",
                            "L = θψ − θ²/2 + ψ²/2 + θ⁴/4 − ψ⁴/4 (Letcher 2021): every method "
                            "ends in a limit cycle"),
}
"""Name → factory(γ) of a game; γ ≤ 0 takes the variant's default (the paper's)."""

def schemes() -> tuple[str, ...]:
    """``continuous`` (the gradient flow, integrated with classical Runge–Kutta, RK4, at step h) and
    every method of ``toygan.methods.METHODS`` (a method registered there is played here too)."""
    return ("continuous", *METHODS)


def dirac_gan(name: str, gamma: float = 0.0) -> DiracGAN:
    """The Dirac-GAN variant (or small game) ``name`` with regulariser weight (or clip, or noise σ)
    ``gamma`` (0: the variant's default; at most 100)."""
    if name == "consensus":
        raise ToyganError("variant = 'consensus': consensus optimisation is a method now; play it "
                          "on the GAN as gan:consensus (γ from --consensus, 0.3 by default)")
    choice("variant", name, VARIANTS)
    # γ is a penalty weight, a clip or a noise σ: a negative one would reward what it should damp
    gan = VARIANTS[name](number("gamma", gamma, 0.0, 100.0, open_low=False))
    if gamma and not gan.setting:
        raise ToyganError(f"gamma = {gamma!r}: variant {name!r} has no γ (no penalty, clip or noise); "
                          "drop it")
    return gan


class DiracPlay:
    """A two-parameter game as a ``toygan.methods.Play``: plain gradient steps of size ``lr``
    (then ``project`` for D). With ``graph``, every step keeps its graph back to the start, so
    that the update can be differentiated."""

    members = 1
    trains_generator = True

    def __init__(self, gan: DiracGAN, theta: torch.Tensor, psi: torch.Tensor, lr: float,
                 settings: Settings, graph: bool = False) -> None:
        self.gan, self.eta, self.settings, self.graph = gan, lr, settings, graph
        self.memory: dict = {}
        self._params = [self._own(psi), self._own(theta)]  # D's ψ, G's θ
        self._seen = list(self._params)

    def _own(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(x, dtype=torch.float64).reshape(1)
        return x if self.graph else x.detach().requires_grad_()

    @property
    def theta(self) -> float:
        return float(self._params[G].detach())

    @property
    def psi(self) -> float:
        return float(self._params[D].detach())

    def params(self, player: int) -> list[torch.Tensor]:
        """The parameters the last losses were taken at: with ``graph``, fresh views of them, so
        that a player's gradient is a partial derivative (ψ after D's step is a function of θ,
        which G's gradient must hold fixed)."""
        return [self._seen[player]]

    def lr(self, player: int) -> float:
        return self.eta

    def per_member(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum().reshape(1)

    def spread(self, c: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return c * x

    def loss(self, player: int) -> torch.Tensor:
        return self.losses()[player]

    def losses(self) -> tuple[torch.Tensor, torch.Tensor]:
        self._seen = [p.view_as(p) for p in self._params] if self.graph else list(self._params)
        psi, theta = self._seen
        return self.gan.loss_d(theta, psi), self.gan.loss_g(theta, psi)

    def move(self, player: int, grads: list[torch.Tensor]) -> None:
        new = self._params[player] - self.eta * grads[0]
        if player == D:
            new = self.gan.project(self._params[G], new)
        self._params[player] = self._own(new)

    def point(self) -> list[torch.Tensor]:
        return [p.clone() if self.graph else p.detach().clone() for p in self._params]

    def restore(self, point: list[torch.Tensor]) -> None:
        psi, theta = point
        self._params = [self._own(self.gan.project(theta, psi)), self._own(theta)]


ESCAPE = 1e6
"""|θ| or |ψ| beyond which a path has diverged: it stops there (the field would overflow)."""


def _rk4(gan: DiracGAN, t: float, p: float, h: float) -> tuple[float, float]:
    def v(t, p):
        return tuple(float(x) for x in gan.field(t, p))

    k1 = v(t, p)
    k2 = v(t + h / 2 * k1[0], p + h / 2 * k1[1])
    k3 = v(t + h / 2 * k2[0], p + h / 2 * k2[1])
    k4 = v(t + h * k3[0], p + h * k3[1])
    t = t + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
    p = p + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
    return t, float(gan.project(torch.tensor(t, dtype=torch.float64), torch.tensor(p, dtype=torch.float64)))


def _settings(settings: Settings | None) -> Settings:
    if settings is None:
        return Settings()
    if not isinstance(settings, Settings):
        raise ToyganError(f"settings: {type(settings).__name__} is not a toygan.methods.Settings")
    return settings


def trajectory(gan: DiracGAN, theta0: float = 1.0, psi0: float = 1.0, *, steps: int = 200,
               lr: float = 0.1, scheme: str = "simultaneous", settings: Settings | None = None
               ) -> np.ndarray:
    """Iterate the game from (θ₀, ψ₀) with the method ``scheme`` (any of ``schemes()``) at step
    size ``lr``; returns the path, shape ``(steps + 1, 2)`` of (θ, ψ). ``settings`` carries the
    method's own parameters (k, consensus γ, SGA's λ, Lookahead).

    A path that leaves ``ESCAPE`` (|θ| or |ψ| beyond 10⁶: it has diverged, and the field would
    soon overflow) stays at its last point from there on.
    """
    choice("scheme", scheme, schemes())
    integer("steps", steps, 1, 1_000_000)
    h = number("lr", lr, 0.0, 10.0)
    settings = _settings(settings)
    if scheme == "continuous" and settings.lookahead_k:
        raise ToyganError(f"lookahead_k = {settings.lookahead_k}: Lookahead-minmax averages a "
                          "method's steps; the continuous flow has none (use 0 with it)")
    if scheme != "continuous":
        settings = settings_for(scheme, settings)
    t, p = (number(label, v, -ESCAPE, ESCAPE) for label, v in (("theta0", theta0), ("psi0", psi0)))
    path = np.empty((steps + 1, 2))
    path[0] = t, p
    play = DiracPlay(gan, torch.tensor(t), torch.tensor(p), h, settings)
    with np.errstate(over="ignore", invalid="ignore"):  # an escaping step is caught below
        for i in range(1, steps + 1):
            if scheme == "continuous":
                t, p = _rk4(gan, t, p, h)
            else:
                iterate(play, scheme)
                t, p = play.theta, play.psi
            if not (abs(t) <= ESCAPE and abs(p) <= ESCAPE):  # diverged (or NaN): stop there
                path[i:] = path[i - 1]
                break
            path[i] = t, p
    return path


def jacobian(gan: DiracGAN, at: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The 2 × 2 Jacobian of the field (θ, ψ) ↦ (dθ/dt, dψ/dt) at ``at``, by autograd.

    Raises:
        ToyganError: for a variant whose field is not differentiable at (0, 0) (WGAN-GP).
    """
    if not gan.smooth:
        raise ToyganError(f"{gan.name}: its vector field jumps at ψ = 0, so it has no Jacobian there")

    def v(x: torch.Tensor) -> torch.Tensor:
        t, p = x[0], x[1]
        (gt,) = torch.autograd.grad(gan.loss_g(t, p), t, create_graph=True)
        (gp,) = torch.autograd.grad(gan.loss_d(t, p), p, create_graph=True)
        return -torch.stack([gt, gp])

    x = torch.tensor(at, dtype=torch.float64)
    return torch.autograd.functional.jacobian(lambda y: v(y.clone()), x, create_graph=False).numpy()


def update_matrix(gan: DiracGAN, *, lr: float, scheme: str, settings: Settings | None = None,
                  at: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The Jacobian of one iteration of the method ``scheme`` at ``at``, by autograd through the
    iteration itself. Its state is (θ, ψ) and the method's memory (the optimistic method's last
    update: 4 × 4); with Lookahead-minmax, one period of k iterations and the averaging step."""
    choice("scheme", scheme, METHODS)
    if not gan.smooth:
        raise ToyganError(f"{gan.name}: its vector field jumps at ψ = 0, so it has no Jacobian there")
    h = number("lr", lr, 0.0, 10.0)
    settings = settings_for(scheme, _settings(settings))
    names = METHODS[scheme].memory
    period = settings.lookahead_k or 1

    def one(x: torch.Tensor) -> torch.Tensor:
        play = DiracPlay(gan, x[0], x[1], h, settings, graph=True)
        for i, name in enumerate(names):  # each memory holds one tensor per player (ψ's, θ's)
            play.memory[name] = [x[3 + 2 * i:4 + 2 * i], x[2 + 2 * i:3 + 2 * i]]
        for _ in range(period):
            iterate(play, scheme)
        psi, theta = play.point()
        extra = [t for name in names for t in reversed(play.memory[name])]
        return torch.cat([theta, psi, *extra])

    x = torch.zeros(2 + 2 * len(names), dtype=torch.float64)
    x[0], x[1] = at
    return torch.autograd.functional.jacobian(one, x).numpy()


def eigenvalues(gan: DiracGAN, *, lr: float | None = None, scheme: str = "continuous",
                settings: Settings | None = None) -> np.ndarray:
    """Eigenvalues at the equilibrium (0, 0): of the field's Jacobian for ``continuous``, of the
    one-step update matrix (``update_matrix``) for a method."""
    choice("scheme", scheme, schemes())
    if scheme == "continuous":
        return np.linalg.eigvals(jacobian(gan))
    if lr is None:
        raise ToyganError(f"lr: needed for the {scheme} update matrix")
    matrix = update_matrix(gan, lr=lr, scheme=scheme, settings=settings)
    if not np.isfinite(matrix).all():  # a long Lookahead period at a large step overflows: ρ = ∞
        return np.full(len(matrix), np.inf + 0j)
    return np.linalg.eigvals(matrix)


def spectral_radius(gan: DiracGAN, *, lr: float, scheme: str, settings: Settings | None = None) -> float:
    """The factor by which one iteration of ``scheme`` at step size ``lr`` shrinks (< 1) or grows
    (> 1) the distance to the equilibrium near it: the largest |λ| of ``update_matrix``. With
    Lookahead-minmax, a period's radius to the power 1/k, so that every method is read per step."""
    with np.errstate(all="ignore"):
        rho = float(np.abs(eigenvalues(gan, lr=lr, scheme=scheme, settings=settings)).max())
    k = settings_for(scheme, _settings(settings)).lookahead_k
    return rho ** (1 / k) if k else rho


STABLE_BELOW = 1 - 1e-9
"""A radius this close to 1 circles (up to rounding): not stable."""


def stable_range(gan: DiracGAN, *, scheme: str, settings: Settings | None = None,
                 steps: np.ndarray) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """The spectral radius at each step size of the increasing grid ``steps``, and the intervals
    of step sizes where it is below 1 (where the method converges near the equilibrium): each
    end inside the grid found to 10⁻⁶ (relative) by bisection, an end at the grid's edge left
    there."""
    def rho(h: float) -> float:
        return spectral_radius(gan, lr=h, scheme=scheme, settings=settings)

    def edge(low: float, high: float, stable_low: bool) -> float:
        """The step size between ``low`` and ``high`` where ρ crosses 1, by bisection in log h."""
        while high / low > 1 + 1e-6:
            mid = float(np.sqrt(low * high))
            if (rho(mid) < STABLE_BELOW) == stable_low:
                low = mid
            else:
                high = mid
        return float(np.sqrt(low * high))

    steps = np.asarray(steps, float)
    radii = np.array([rho(float(h)) for h in steps])
    inside = radii < STABLE_BELOW
    ranges, start = [], None
    for i, ok in enumerate(inside):
        if ok and start is None:
            start = steps[0] if i == 0 else edge(steps[i - 1], steps[i], False)
        if start is not None and (not ok or i == len(inside) - 1):
            end = steps[i] if ok else edge(steps[i - 1], steps[i], True)
            ranges.append((float(start), float(end)))
            start = None
    return radii, ranges
