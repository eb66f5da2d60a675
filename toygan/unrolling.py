"""Unrolled GANs (Metz et al. 2016): D's optimiser step written as a differentiable function, so
that G's loss can be taken against D looked K steps ahead (``train.unroll``), with gradients
through the look-ahead. ``UNROLLED_STEPS`` names the optimisers it can follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from toygan.config import TrainConfig

__all__ = ["UNROLLED_STEPS", "AheadStep", "unrolled_parameters", "adam_moments"]


def _sgd_ahead(p: torch.Tensor, g: torch.Tensor, s: dict, t: TrainConfig) -> torch.Tensor:
    return p - t.lr_d * g  # momentum is ignored in the look-ahead


def _adam_ahead(p: torch.Tensor, g: torch.Tensor, s: dict, t: TrainConfig) -> torch.Tensor:
    b1, b2 = t.betas
    s["step"] += 1
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    m_hat = s["m"] / (1 - b1 ** s["step"])
    v_hat = s["v"] / (1 - b2 ** s["step"])
    return p - t.lr_d * m_hat / torch.sqrt(v_hat + 1e-16)


def unrolled_parameters(params: dict[str, torch.Tensor], grads: list[torch.Tensor], state: dict,
                        t: TrainConfig) -> dict[str, torch.Tensor]:
    """One differentiable step of D's optimiser (Metz et al. 2016, Eq. 2–3): new tensors that keep
    the graph back to the old ones. Adam continues from ``state`` (copies of the optimiser's moment
    estimates, updated in place); √v̂ is taken as √(v̂ + ε²), smooth at v̂ = 0, so that
    differentiating through it cannot give inf · 0. SGD ignores momentum here."""
    ahead = UNROLLED_STEPS[t.optimizer].step
    return {name: ahead(p, g, state.get(name), t)
            for (name, p), g in zip(params.items(), grads, strict=True)}


def adam_moments(optimizer: torch.optim.Optimizer, params: dict[str, torch.Tensor]) -> dict:
    """Copies of Adam's step count and moment estimates per named parameter (zeros before the
    first step), for ``unrolled_parameters`` to continue from."""
    state = {}
    for name, p in params.items():
        st = optimizer.state.get(p, {})
        state[name] = {
            "step": float(st["step"]) if "step" in st else 0.0,
            "m": st["exp_avg"].detach().clone() if "exp_avg" in st else torch.zeros_like(p),
            "v": st["exp_avg_sq"].detach().clone() if "exp_avg_sq" in st else torch.zeros_like(p),
        }
    return state


@dataclass(frozen=True)
class AheadStep:
    """An optimiser's step, differentiable, for unrolling: ``step(parameter, gradient, state,
    config) → new parameter``, from the ``state`` that ``state(optimizer, params)`` copies out."""

    step: Callable[[torch.Tensor, torch.Tensor, dict, TrainConfig], torch.Tensor]
    state: Callable[[torch.optim.Optimizer, dict[str, torch.Tensor]], dict]


def _stateless(optimizer: torch.optim.Optimizer, params: dict[str, torch.Tensor]) -> dict:
    return {}


UNROLLED_STEPS: dict[str, AheadStep] = {"sgd": AheadStep(_sgd_ahead, _stateless),
                                        "adam": AheadStep(_adam_ahead, adam_moments)}
"""Optimiser name → its look-ahead step; the optimisers ``train.unroll`` accepts."""
