"""Update schemes: what one iteration of the game does, by name (``train.updates``).

Each scheme takes the ``Game`` and returns D's losses of the iteration (one per D step, each
``(E,)``) and G's loss ``(E,)``. The steps themselves (``Game.d_step``, ``Game.g_step``) carry the
regulariser, instance noise, packing, weight clipping and unrolling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from toygan.config import TrainConfig
    from toygan.game import Game

__all__ = ["UPDATES", "UpdateScheme", "UNROLLED_STEPS", "Lookahead", "alternating", "simultaneous",
           "consensus_gradients", "unrolled_parameters", "adam_moments"]

Update = Callable[["Game"], tuple[list[torch.Tensor], torch.Tensor]]


def alternating(game: Game) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Goodfellow et al. (2014), Algorithm 1: k D steps, each on fresh minibatches of data and
    noise, then one G step against the updated D. With a fixed p_g (a frozen G or a fake target)
    only D trains, and G's loss is recorded on the fake batch D saw last."""
    losses_d = [game.d_step() for _ in range(game.config.train.d_steps)]
    loss_g = game.g_step() if game.trains_generator else game.generator_loss_on_last_fake()
    return losses_d, loss_g


def simultaneous(game: Game) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Both players step from the same point: both gradients first, then both steps (with
    ``train.consensus`` = γ > 0, consensus optimisation, Mescheder et al. 2017). Only D trains
    against a fixed p_g, as in ``alternating``."""
    if not game.trains_generator:
        return alternating(game)
    t, n = game.config.train, game.batch_points
    real = game.streams.real(n, game.target).to(game.device)  # (E, m, d)
    fake = game.G(game.streams.prior(game.config.model.prior, n, game.noise_dim).to(game.device))
    loss_d = game.discriminator_loss(game.pack(real), game.pack(fake.detach()))
    loss_g = game.objective.generator_loss(game.D(game.blur(game.pack(fake))))
    d_params = [p for p in game.D.parameters() if p.requires_grad]
    g_params = [p for p in game.G.parameters() if p.requires_grad]
    grads = consensus_gradients([loss_d.sum(), loss_g.sum()], [d_params, g_params], t.consensus)
    for p, g in zip(d_params + g_params, grads, strict=True):
        p.grad = g
    game.opt_d.step()
    game.opt_g.step()
    game.clip()
    return [loss_d.detach()], loss_g


@dataclass(frozen=True)
class UpdateScheme:
    """An update scheme: ``run(game)`` does one iteration; ``together`` says whether both players
    step from the same point (then there is one D step per G step, consensus optimisation applies,
    and unrolling, which follows D's own steps ahead of G's, does not)."""

    run: Update
    together: bool = False


UPDATES: dict[str, UpdateScheme] = {"alternating": UpdateScheme(alternating),
                                    "simultaneous": UpdateScheme(simultaneous, together=True)}
"""Name → update scheme, as ``train.updates`` names it."""


def consensus_gradients(losses: list[torch.Tensor], params: list[list[torch.Tensor]],
                        gamma: float) -> list[torch.Tensor]:
    """Each player's gradient of its own loss plus γ∇(½‖v‖²), v the vector of all players'
    gradients (consensus optimisation, Mescheder et al. 2017, Algorithm 2); with γ = 0 the plain
    simultaneous gradients. Returns one gradient per parameter, players in order."""
    grads = [g for loss, ps in zip(losses, params, strict=True)
             for g in torch.autograd.grad(loss, ps, create_graph=gamma > 0, retain_graph=True)]
    if gamma == 0:
        return grads
    flat = [p for ps in params for p in ps]
    half_norm = 0.5 * sum((g * g).sum() for g in grads)
    extra = torch.autograd.grad(half_norm, flat)
    return [g.detach() + gamma * e for g, e in zip(grads, extra, strict=True)]


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
class Lookahead:
    """An optimiser's step, differentiable, for unrolling: ``step(parameter, gradient, state,
    config) → new parameter``, from the ``state`` that ``state(optimizer, params)`` copies out."""

    step: Callable[[torch.Tensor, torch.Tensor, dict, TrainConfig], torch.Tensor]
    state: Callable[[torch.optim.Optimizer, dict[str, torch.Tensor]], dict]


def _stateless(optimizer: torch.optim.Optimizer, params: dict[str, torch.Tensor]) -> dict:
    return {}


UNROLLED_STEPS: dict[str, Lookahead] = {"sgd": Lookahead(_sgd_ahead, _stateless),
                                        "adam": Lookahead(_adam_ahead, adam_moments)}
"""Optimiser name → its look-ahead step; the optimisers ``train.unroll`` accepts."""
