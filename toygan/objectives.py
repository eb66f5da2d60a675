"""GAN objectives, computed from discriminator logits only.

With D(x) = σ(a(x)) for a logit a, the minimax value of Goodfellow et al. (2014, Eq. 1) is

    V(D, G) = E_data[log D(x)] + E_z[log(1 − D(G(z)))]
            = E_data[log σ(a(x))] + E_z[log σ(−a(G(z)))],

since 1 − σ(a) = σ(−a). Every log-probability goes through ``logsigmoid``, which stays finite when D
saturates, where ``log(sigmoid(a))`` would give −inf and NaN gradients.

Losses take logits of shape ``(E, B)`` and return one loss per ensemble member, ``(E,)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

__all__ = ["Objective", "OBJECTIVES", "OUTPUTS", "run_traits", "REGULARIZERS", "Regularizer",
           "minibatch_value",
           "discriminator_loss", "saturating_generator_loss", "non_saturating_generator_loss",
           "least_squares_discriminator_loss", "least_squares_generator_loss",
           "wasserstein_critic_loss", "wasserstein_generator_loss", "hinge_discriminator_loss",
           "gradient_norms", "r1_penalty", "gradient_penalty"]


def minibatch_value(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The minibatch estimate of V(D, G) (Goodfellow et al. 2014, Eq. 1), shape ``(E,)``."""
    return F.logsigmoid(real_logits).mean(-1) + F.logsigmoid(-fake_logits).mean(-1)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """−V(D, G): D ascends V (Algorithm 1), so it descends this; the binary cross-entropy of
    real-vs-generated with labels 1 and 0."""
    return -minibatch_value(real_logits, fake_logits)


def saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """E_z[log(1 − D(G(z)))], which G minimises (Goodfellow et al. 2014, Eq. 1 and Algorithm 1).

    Its gradient with respect to the logit is −D: it vanishes where D rejects the samples confidently
    (D → 0), which is early in training.
    """
    return F.logsigmoid(-fake_logits).mean(-1)


def non_saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """−E_z[log D(G(z))] (Goodfellow et al. 2014, Sec. 3: "train G to maximize log D(G(z))").

    Same fixed point as the saturating loss; its gradient with respect to the logit is −(1 − D),
    strong exactly where the saturating one vanishes.
    """
    return -F.logsigmoid(fake_logits).mean(-1)


def least_squares_discriminator_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    """½E[(D(x) − 1)²] + ½E[D(G(z))²]: LSGAN with the 0–1 coding (Mao et al. 2017, Eq. 2 with
    a = 0, b = 1); D is the raw output, and its optimum is again p_data / (p_data + p_g) (Prop. 1
    there, with b = 1, a = 0)."""
    return 0.5 * ((real_out - 1) ** 2).mean(-1) + 0.5 * (fake_out**2).mean(-1)


def least_squares_generator_loss(fake_out: torch.Tensor) -> torch.Tensor:
    """½E[(D(G(z)) − 1)²] (Mao et al. 2017, Eq. 2 with c = 1)."""
    return 0.5 * ((fake_out - 1) ** 2).mean(-1)


def wasserstein_critic_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    """E[f(G(z))] − E[f(x)]: the critic maximises E[f(x)] − E[f(G(z))] (Arjovsky et al. 2017,
    Eq. 3); f must be kept Lipschitz, by weight clipping or a gradient penalty."""
    return fake_out.mean(-1) - real_out.mean(-1)


def wasserstein_generator_loss(fake_out: torch.Tensor) -> torch.Tensor:
    """−E[f(G(z))] (Arjovsky et al. 2017, Algorithm 1)."""
    return -fake_out.mean(-1)


def hinge_discriminator_loss(real_out: torch.Tensor, fake_out: torch.Tensor) -> torch.Tensor:
    """E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))] (Lim & Ye 2017; Miyato et al. 2018, Eq. 16)."""
    return F.relu(1 - real_out).mean(-1) + F.relu(1 + fake_out).mean(-1)


OUTPUTS = ("logit", "probability", "critic")
"""What D's raw output means: a logit (D = σ(output)), a probability-like score (D = output; the
least-squares GAN) or a critic value with no probabilistic reading (Wasserstein, hinge)."""


@dataclass(frozen=True)
class Objective:
    """A GAN objective: the discriminator's loss and the generator's loss, both minimised."""

    name: str
    discriminator_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    generator_loss: Callable[[torch.Tensor], torch.Tensor]
    summary: str
    output: str = "logit"
    """How to read D's raw output; one of ``OUTPUTS``."""
    minimax_value: bool = False
    """Whether D's loss is −V(D, G) of Goodfellow et al. (2014, Eq. 1): then the recorded value is
    V, and V(D*, G) = −log 4 + 2·JSD bounds it from above."""
    weight_clipping: bool = False
    """Whether WGAN weight clipping (``train.clip``) fits: it keeps a Wasserstein critic Lipschitz."""
    optimum_is_d_star: bool = False
    """Whether D's loss is least at D* = p_data / (p_data + p_g) (Goodfellow et al. 2014, Prop. 1;
    least squares too, Mao et al. 2017, Prop. 1): ``toygan.testing.fit_discriminator`` trains with it."""
    critic_gap: str = ""
    """What the gap of the mean critic values on real and generated samples estimates, if anything
    (a Wasserstein critic's: W₁); the convergence panel says so."""

    @property
    def probabilistic(self) -> bool:
        """Does D read as a probability of "real", so that D* = p_data/(p_data + p_g) and ½ apply?"""
        return self.output != "critic"

    def reading(self, out: torch.Tensor) -> torch.Tensor:
        """What D says about points, from its raw output: σ(logit), the LSGAN score, or the
        critic value."""
        return torch.sigmoid(out) if self.output == "logit" else out

    def traits(self) -> dict[str, Any]:
        """What a history records of the objective, so that render reads what D's outputs mean
        from the history, never from the objective's name: ``output`` and ``minimax_value``."""
        return {"output": self.output, "minimax_value": self.minimax_value}


def run_traits(objectives: Sequence[Objective]) -> dict[str, Any]:
    """The traits of a run whose objective changed mid-run (``Game.update``): what holds for its
    whole record. Outputs that were ever a critic's are read as a critic's (a probability map
    would clip them); the value is V(D, G) only if it was under every objective."""
    outputs = {o.output for o in objectives}
    output = "critic" if "critic" in outputs else outputs.pop() if len(outputs) == 1 else "probability"
    return {"output": output, "minimax_value": all(o.minimax_value for o in objectives)}


OBJECTIVES: dict[str, Objective] = {
    "saturating": Objective(
        "saturating", discriminator_loss, saturating_generator_loss,
        "the minimax game as written: G minimises E[log(1 − D(G(z)))]", minimax_value=True,
        optimum_is_d_star=True,
    ),
    "non-saturating": Objective(
        "non-saturating", discriminator_loss, non_saturating_generator_loss,
        "G maximises E[log D(G(z))] instead: strong gradients early on", minimax_value=True,
        optimum_is_d_star=True,
    ),
    "least-squares": Objective(
        "least-squares", least_squares_discriminator_loss, least_squares_generator_loss,
        "LSGAN: squared errors to the labels 1 (real) and 0 (fake)", output="probability",
        optimum_is_d_star=True,
    ),
    "wasserstein": Objective(
        "wasserstein", wasserstein_critic_loss, wasserstein_generator_loss,
        "WGAN: a critic estimates the Wasserstein-1 distance; needs clip or gradient-penalty",
        output="critic", weight_clipping=True, critic_gap="the critic's W₁ estimate",
    ),
    "hinge": Objective(
        "hinge", hinge_discriminator_loss, wasserstein_generator_loss,
        "hinge loss for D, −E[D(G(z))] for G", output="critic",
    ),
}
"""Name → objective, as ``train.loss`` in a config names it."""


# --- regularisers: penalties added to the discriminator's loss, one value per member (E,) ---


def gradient_norms(disc: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """‖∇ₓ D(x)‖² for points ``x`` ``(E, B, 2)`` → ``(E, B)``, kept in the graph (for a penalty)."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(disc(x).sum(), x, create_graph=True)  # members don't mix
    return (grad**2).sum(-1)


def r1_penalty(disc: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
               gamma: float) -> torch.Tensor:
    """γ/2 · E‖∇ₓ D(x)‖² on D's raw output: R1 on real points, R2 on generated ones (Mescheder et
    al. 2018, Eq. 9 and 10)."""
    return 0.5 * gamma * gradient_norms(disc, x).mean(-1)


def gradient_penalty(disc: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, gamma: float, eps: torch.Tensor) -> torch.Tensor:
    """λ · E(‖∇ f(x̂)‖ − 1)² at x̂ = εx + (1 − ε)x̃, ε ~ U[0, 1] per pair (Gulrajani et al. 2017,
    Eq. 3). ``eps`` has shape ``(E, B, 1)``: one ε per point, broadcast over the 2 coordinates."""
    if eps.shape != real.shape[:-1] + (1,):
        raise ValueError(f"eps must be (E, B, 1), got {tuple(eps.shape)} for points {tuple(real.shape)}")
    mixed = eps * real + (1 - eps) * fake
    return gamma * ((gradient_norms(disc, mixed) + 1e-12).sqrt() - 1).pow(2).mean(-1)


Regularizer = Callable[[Callable, torch.Tensor, torch.Tensor, float, Callable[[], torch.Tensor]],
                       torch.Tensor]
"""A penalty on D: ``(disc, real, fake, gamma, draw_eps) → (E,)``, where ``draw_eps()`` gives the
ε ``(E, B, 1)`` of an interpolating penalty from the run's seeded stream (drawn only if used)."""


def _r1(disc, real, fake, gamma, draw_eps) -> torch.Tensor:
    return r1_penalty(disc, real, gamma)


def _r2(disc, real, fake, gamma, draw_eps) -> torch.Tensor:
    return r1_penalty(disc, fake, gamma)


def _gradient_penalty(disc, real, fake, gamma, draw_eps) -> torch.Tensor:
    return gradient_penalty(disc, real, fake, gamma, draw_eps())


REGULARIZERS: dict[str, Regularizer | None] = {
    "none": None,
    "r1": _r1,
    "r2": _r2,
    "gradient-penalty": _gradient_penalty,
}
"""Name → penalty added to D's loss, as ``train.regularizer`` names it; its weight is
``train.gamma``. R1 is on real points, R2 on generated ones, the gradient penalty on interpolates."""
