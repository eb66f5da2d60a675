"""MLP generator and discriminator with an ensemble axis.

Every network holds E independent members at once: a layer's weight has shape ``(E, in, out)`` and
its input ``(E, B, in)``, so E seeds train in one batched call (``torch.baddbmm``). E = 1 is one
ordinary GAN. Member ``i`` is initialised from its own ``torch.Generator``, so its starting weights do
not depend on how many other members there are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "PRIORS", "Prior", "EnsembleLinear", "EnsembleMLP", "Generator", "Discriminator",
           "sample_prior"]

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}
"""Name → hidden-layer activation."""


def _normal(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    return torch.randn(shape, generator=generator)


def _uniform(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    return torch.rand(shape, generator=generator) * 2 - 1


@dataclass(frozen=True)
class Prior:
    """A noise prior p_z: ``draw(shape, generator)``, and ``reach``, how far along each axis its
    bulk lies (the latent grid of the manifold panel spans ±reach)."""

    draw: Callable[[tuple[int, ...], torch.Generator], torch.Tensor]
    reach: float


PRIORS: dict[str, Prior] = {
    "normal": Prior(_normal, 2.0),  # ±2: 95 % of the mass per axis
    "uniform": Prior(_uniform, 1.0),
}
"""Name → noise prior p_z: standard normal, or uniform on [−1, 1]^d."""


def sample_prior(prior: str, n: int, dim: int, generators: Sequence[torch.Generator]) -> torch.Tensor:
    """Noise for every member, shape ``(E, n, dim)``; member ``i`` draws from ``generators[i]``."""
    draw = PRIORS[prior].draw
    return torch.stack([draw((n, dim), g) for g in generators])


class EnsembleLinear(nn.Module):
    """``y = x @ W + b`` for E members at once: x ``(E, B, in)`` → y ``(E, B, out)``."""

    def __init__(self, members: int, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(members, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(members, 1, out_features))

    @torch.no_grad()
    def reset_parameters(self, generators: Sequence[torch.Generator]) -> None:
        """PyTorch's ``nn.Linear`` default: U(−1/√in, 1/√in) for weight and bias, per member."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        for i, g in enumerate(generators):
            self.weight[i].uniform_(-bound, bound, generator=g)
            self.bias[i].uniform_(-bound, bound, generator=g)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)

    def extra_repr(self) -> str:
        e, i, o = self.weight.shape
        return f"members={e}, in_features={i}, out_features={o}"


class EnsembleMLP(nn.Module):
    """``in → width (× depth hidden layers) → out`` with an activation after each hidden layer."""

    def __init__(self, members: int, sizes: Sequence[int], activation: str = "relu") -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(EnsembleLinear(members, a, b))
            if i < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
        self.net = nn.Sequential(*layers)
        self.members = members

    def reset_parameters(self, generators: Sequence[torch.Generator]) -> None:
        """Initialise member ``i`` from ``generators[i]``, layer by layer."""
        if len(generators) != self.members:
            raise ValueError(f"need {self.members} generators, got {len(generators)}")
        for layer in self.net:
            if isinstance(layer, EnsembleLinear):
                layer.reset_parameters(generators)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[0] != self.members:
            raise ValueError(f"expected input (E={self.members}, B, features), got {tuple(x.shape)}")
        return self.net(x)


class Generator(EnsembleMLP):
    """G: noise ``(E, B, noise_dim)`` → points ``(E, B, out_dim)`` (2, or 1 for a 1D target)."""

    def __init__(self, members: int = 1, noise_dim: int = 2, width: int = 128, depth: int = 2,
                 activation: str = "relu", out_dim: int = 2) -> None:
        super().__init__(members, [noise_dim] + [width] * depth + [out_dim], activation)
        self.noise_dim = noise_dim


class Discriminator(EnsembleMLP):
    """D: points ``(E, B, in_dim)`` → raw outputs ``(E, B)``: a logit, a least-squares score or a
    critic's value, as the objective reads them (``Objective.reading``)."""

    def __init__(self, members: int = 1, width: int = 128, depth: int = 2,
                 activation: str = "relu", in_dim: int = 2) -> None:
        super().__init__(members, [in_dim] + [width] * depth + [1], activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).squeeze(-1)
