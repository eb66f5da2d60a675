"""The Dirac-GAN (Mescheder, Geiger & Nowozin 2018, "Which training methods for GANs do actually
converge?", Sec. 2.2): the smallest GAN whose dynamics can be solved by hand.

Data p_data = δ₀, generator p_θ = δ_θ, linear discriminator D_ψ(x) = ψx, so the whole game lives in
the (θ, ψ) plane and the unique equilibrium is (0, 0). The objective is
L(θ, ψ) = f(ψθ) + f(0) with f(t) = −log(1 + e^{−t}) for the standard GAN and f(t) = t for the WGAN;
G descends L, D ascends it. ``VARIANTS`` maps a name to the gradient vector field
v(θ, ψ) = (−∂L/∂θ, ∂L/∂ψ) (with its regulariser), written from the paper's Sec. 2–4; the eigenvalues
of its Jacobian at (0, 0) decide convergence (Thm. 4.1 and Lemmas 2.2–2.4):

- continuous GAN dynamics: ±i f′(0), pure rotation; simultaneous gradient steps of size h multiply
  the distance to the equilibrium by |1 ± i h f′(0)| = √(1 + h² f′(0)²) > 1 each step (Lemma 2.3);
  f′(0) = ½ for the standard GAN, so √(1 + h²/4);
- alternating steps: an update matrix with determinant 1, so the iterates circle (Lemma 2.4);
- R1/R2 with γ > 0 (Sec. 4.1): −γ/2 ± √(γ²/4 − f′(0)²), real parts < 0, locally convergent;
- instance noise σ (Sec. 3.3): f″(0)σ² ± √(f″(0)²σ⁴ − f′(0)²), f″(0) = −¼: convergent;
- consensus optimisation (Sec. 3.4): J − γJᵀJ, eigenvalues −γ f′(0)² ± i f′(0): convergent;
- WGAN (with clipping) and WGAN-GP: no convergence to (0, 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from toygan.errors import ToyganError
from toygan.validate import choice, integer, number

__all__ = ["DiracGAN", "VARIANTS", "dirac_gan", "trajectory", "jacobian", "eigenvalues",
           "Scheme", "UPDATE_SCHEMES", "ESCAPE"]


def _fp(t):
    """f′(t) for f(t) = −log(1 + e^{−t}): σ(−t)."""
    return 0.5 * (1 - np.tanh(t / 2))  # σ(−t), without overflow for large |t|


def _fpp(t):
    """f″(t) = −σ(t)σ(−t)."""
    return -0.25 / np.cosh(t / 2) ** 2


# Gauss–Hermite nodes for E over ε ~ N(0, 1): deterministic instance-noise expectations
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


@dataclass(frozen=True)
class DiracGAN:
    """One Dirac-GAN variant: its name, regulariser weight ``gamma`` and the vector field.

    ``field(theta, psi)`` returns (dθ/dt, dψ/dt) for arrays of any (equal) shape. ``project`` maps
    parameters after each step (the WGAN's weight clipping); identity for the others.
    """

    name: str
    gamma: float
    field: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    project: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] = lambda t, p: (t, p)
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


def _gan(gamma: float) -> DiracGAN:
    return DiracGAN("gan", gamma, lambda t, p: (-p * _fp(p * t), t * _fp(p * t)),
                    title="GAN", summary="standard GAN: circles (continuous), spirals out (simultaneous)")


def _nsgan(gamma: float) -> DiracGAN:
    # G ascends f(−ψθ)... i.e. descends −log D: its θ-gradient uses f′(−ψθ)
    return DiracGAN("nsgan", gamma, lambda t, p: (-p * _fp(-p * t), t * _fp(p * t)),
                    title="non-saturating GAN",
                    summary="non-saturating G loss: same Jacobian at (0, 0), same circling")


def _wgan(gamma: float) -> DiracGAN:
    clip = gamma if gamma > 0 else 0.3
    return DiracGAN("wgan", clip, lambda t, p: (-p, t * np.ones_like(p)),
                    project=lambda t, p: (t, np.clip(p, -clip, clip)),
                    title="WGAN", summary=f"WGAN, ψ clipped to ±{clip:g}: never converges",
                    setting=f", clip |ψ| ≤ {clip:g}")


def _wgan_gp(gamma: float) -> DiracGAN:
    gamma = gamma if gamma > 0 else 1.0
    target = 0.3  # the gradient-norm target the penalty pulls |ψ| toward, as in the paper's Fig. 4
    return DiracGAN("wgan-gp", gamma,
                    lambda t, p: (-p, t - gamma * (np.abs(p) - target) * np.sign(p)),
                    title="WGAN-GP",
                    summary=f"WGAN-GP, γ = {gamma:g}, |ψ| pulled to {target}: never converges",
                    smooth=False, setting=f", γ = {gamma:g}")  # sign(ψ) jumps at ψ = 0


def _r1(gamma: float) -> DiracGAN:
    gamma = gamma if gamma > 0 else 0.3
    # R1 = γ/2 E_data[|∇ₓD|²] = γ/2 ψ² for D = ψx; R2 (on p_θ) is the same here
    return DiracGAN("r1", gamma, lambda t, p: (-p * _fp(p * t), t * _fp(p * t) - gamma * p),
                    title="R1", summary=f"R1 (= R2 here), γ = {gamma:g}: converges",
                    setting=f", γ = {gamma:g}")


def _instance_noise(gamma: float) -> DiracGAN:
    sigma = gamma if gamma > 0 else 0.7

    def field(t, p):
        t, p = np.asarray(t, float), np.asarray(p, float)
        eps = sigma * _GH_NODES.reshape((-1,) + (1,) * t.ndim)
        w = _GH_WEIGHTS.reshape((-1,) + (1,) * t.ndim)
        # L = E_ε[f(ψ(θ + ε))] + E_ε[f(ψε)], data and generator both blurred by N(0, σ²)
        dt = -(w * p * _fp(p * (t + eps))).sum(0)
        dp = (w * ((t + eps) * _fp(p * (t + eps)) + eps * _fp(p * eps))).sum(0)
        return dt, dp

    return DiracGAN("instance-noise", sigma, field, title="instance noise",
                    summary=f"instance noise σ = {sigma:g}: converges",
                    setting=f", σ = {sigma:g}")


def _consensus(gamma: float) -> DiracGAN:
    gamma = gamma if gamma > 0 else 0.3

    def field(t, p):
        ft, fpp = _fp(p * t), _fpp(p * t)
        v1, v2 = -p * ft, t * ft
        # gradient of ½‖v‖² = ½(θ² + ψ²) f′(ψθ)², subtracted from both players' fields
        s = t * t + p * p
        g1 = t * ft**2 + s * ft * fpp * p
        g2 = p * ft**2 + s * ft * fpp * t
        return v1 - gamma * g1, v2 - gamma * g2

    return DiracGAN("consensus", gamma, field, title="consensus",
                    summary=f"consensus optimisation, γ = {gamma:g}: converges",
                    setting=f", γ = {gamma:g}")


VARIANTS: dict[str, Callable[[float], DiracGAN]] = {
    "gan": _gan, "nsgan": _nsgan, "wgan": _wgan, "wgan-gp": _wgan_gp, "r1": _r1,
    "instance-noise": _instance_noise, "consensus": _consensus,
}
"""Name → factory(γ) of a Dirac-GAN variant; γ ≤ 0 takes the variant's default (the paper's)."""

def _simultaneous(gan: DiracGAN, t: float, p: float, h: float) -> tuple[float, float]:
    dt, dp = gan.field(t, p)
    return t + h * dt, p + h * dp


def _alternating(gan: DiracGAN, t: float, p: float, h: float) -> tuple[float, float]:
    p = p + h * gan.field(t, p)[1]
    t, p = gan.project(t, p)
    return t + h * gan.field(t, p)[0], p


def _rk4(gan: DiracGAN, t: float, p: float, h: float) -> tuple[float, float]:
    k1 = gan.field(t, p)
    k2 = gan.field(t + h / 2 * k1[0], p + h / 2 * k1[1])
    k3 = gan.field(t + h / 2 * k2[0], p + h / 2 * k2[1])
    k4 = gan.field(t + h * k3[0], p + h * k3[1])
    return (t + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]),
            p + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]))


def _alternating_matrix(j: np.ndarray, h: float) -> np.ndarray:
    d_step = np.array([[1.0, 0.0], [h * j[1, 0], 1 + h * j[1, 1]]])
    g_step = np.array([[1 + h * j[0, 0], h * j[0, 1]], [0.0, 1.0]])
    return g_step @ d_step


@dataclass(frozen=True)
class Scheme:
    """An update scheme: one step of size h from (θ, ψ), and the matrix whose eigenvalues say how
    it behaves near the equilibrium, from the field's Jacobian J there."""

    step: Callable[[DiracGAN, float, float, float], tuple[float, float]]
    matrix: Callable[[np.ndarray, float], np.ndarray]
    discrete: bool = True
    """A map applied once per step (its matrix needs h); False for the flow, whose matrix is J."""


UPDATE_SCHEMES: dict[str, Scheme] = {
    "continuous": Scheme(_rk4, lambda j, h: j, discrete=False),
    "simultaneous": Scheme(_simultaneous, lambda j, h: np.eye(2) + h * j),
    "alternating": Scheme(_alternating, _alternating_matrix),
}
"""Name → update scheme: the gradient flow (integrated with classical Runge–Kutta, RK4, at step
h; its matrix is J), both players stepping from the same point (I + hJ), or D first and then G
against the new D (Goodfellow et al. 2014, Algorithm 1)."""


def dirac_gan(name: str, gamma: float = 0.0) -> DiracGAN:
    """The Dirac-GAN variant ``name`` with regulariser weight (or clip, or noise σ) ``gamma``
    (0: the variant's default; at most 100)."""
    if name not in VARIANTS:
        raise ToyganError(f"variant = {name!r}: unknown; choose one of {sorted(VARIANTS)}")
    # γ is a penalty weight, a clip or a noise σ: a negative one would reward what it should damp
    gan = VARIANTS[name](number("gamma", gamma, 0.0, 100.0, open_low=False))
    if gamma and not gan.setting:
        raise ToyganError(f"gamma = {gamma!r}: variant {name!r} has no γ (no penalty, clip or noise); "
                          "drop it")
    return gan


ESCAPE = 1e6
"""|θ| or |ψ| beyond which a path has diverged: it stops there (the field would overflow)."""


def trajectory(gan: DiracGAN, theta0: float = 1.0, psi0: float = 1.0, *, steps: int = 200,
               lr: float = 0.1, scheme: str = "simultaneous") -> np.ndarray:
    """Iterate the game from (θ₀, ψ₀); returns the path, shape ``(steps + 1, 2)`` of (θ, ψ).

    ``simultaneous``: both players step from the same point, (θ, ψ) += h·v(θ, ψ).
    ``alternating``: D steps first, then G against the new D (Goodfellow et al. 2014, Algorithm 1).
    ``continuous``: the gradient flow, integrated with classical Runge–Kutta (RK4) at step h.

    A path that leaves ``ESCAPE`` (|θ| or |ψ| beyond 10⁶: it has diverged, and the field would
    soon overflow) stays at its last point from there on.
    """
    choice("scheme", scheme, UPDATE_SCHEMES)
    step = UPDATE_SCHEMES[scheme].step
    integer("steps", steps, 1, 1_000_000)
    h = number("lr", lr, 0.0, 10.0)
    t, p = (number(label, v, -ESCAPE, ESCAPE) for label, v in (("theta0", theta0), ("psi0", psi0)))
    path = np.empty((steps + 1, 2))
    path[0] = t, p
    with np.errstate(over="ignore", invalid="ignore"):  # an escaping step is caught below
        for i in range(1, steps + 1):
            t, p = gan.project(*step(gan, t, p, h))
            if not (abs(t) <= ESCAPE and abs(p) <= ESCAPE):  # diverged (or NaN): stop there
                path[i:] = path[i - 1]
                break
            path[i] = float(t), float(p)
    return path


def jacobian(gan: DiracGAN, at: tuple[float, float] = (0.0, 0.0), eps: float = 1e-6) -> np.ndarray:
    """The 2 × 2 Jacobian of the vector field at ``at``, by central differences.

    Raises:
        ToyganError: for a variant whose field is not differentiable at (0, 0) (WGAN-GP).
    """
    if not gan.smooth:
        raise ToyganError(f"{gan.name}: its vector field jumps at ψ = 0, so it has no Jacobian there")
    t, p = at
    cols = []
    for dt, dp in ((eps, 0.0), (0.0, eps)):
        plus, minus = gan.field(t + dt, p + dp), gan.field(t - dt, p - dp)
        cols.append([(plus[0] - minus[0]) / (2 * eps), (plus[1] - minus[1]) / (2 * eps)])
    return np.array(cols, dtype=float).T


def eigenvalues(gan: DiracGAN, *, lr: float | None = None, scheme: str = "continuous") -> np.ndarray:
    """Eigenvalues at the equilibrium (0, 0): of the Jacobian for ``continuous``, of the one-step
    update matrix for ``simultaneous`` (I + hJ) and ``alternating`` (D first, then G)."""
    choice("scheme", scheme, UPDATE_SCHEMES)
    chosen = UPDATE_SCHEMES[scheme]
    j = jacobian(gan)
    if not chosen.discrete:
        return np.linalg.eigvals(chosen.matrix(j, 0.0))
    if lr is None:
        raise ToyganError(f"lr: needed for the {scheme} update matrix")
    return np.linalg.eigvals(chosen.matrix(j, number("lr", lr, 0.0)))
