"""GAN objectives, computed from discriminator logits only.

With D(x) = σ(a(x)) for a logit a, the minimax value of Goodfellow et al. (2014, Eq. 1) is

    V(D, G) = E_data[log D(x)] + E_z[log(1 − D(G(z)))]
            = E_data[log σ(a(x))] + E_z[log σ(−a(G(z)))],

since 1 − σ(a) = σ(−a). Every log-probability goes through ``logsigmoid``, which stays finite when D
saturates, where ``log(sigmoid(a))`` would give −inf and NaN gradients.

Losses take logits of shape ``(E, B)`` and return one loss per ensemble member, ``(E,)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["Objective", "OBJECTIVES", "minibatch_value", "discriminator_loss",
           "saturating_generator_loss", "non_saturating_generator_loss"]


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


@dataclass(frozen=True)
class Objective:
    """A GAN objective: the discriminator's loss and the generator's loss, both minimised."""

    name: str
    discriminator_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    generator_loss: Callable[[torch.Tensor], torch.Tensor]
    summary: str


OBJECTIVES: dict[str, Objective] = {
    "saturating": Objective(
        "saturating", discriminator_loss, saturating_generator_loss,
        "the minimax game as written: G minimises E[log(1 − D(G(z)))]",
    ),
    "non-saturating": Objective(
        "non-saturating", discriminator_loss, non_saturating_generator_loss,
        "G maximises E[log D(G(z))] instead: strong gradients early on",
    ),
}
"""Name → objective, as ``train.loss`` in a config names it."""
