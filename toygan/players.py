"""Your own networks as players, and any player as a plain one-member ``nn.Module``.

toygan's players carry an ensemble axis: G maps noise ``(E, B, noise_dim)`` to points ``(E, B, d)``
and D maps points ``(E, B, d·pack)`` to raw outputs ``(E, B)``. ``OwnGenerator`` and
``OwnDiscriminator`` give a user's ``nn.Module`` (on ``(n, ·)`` batches) that interface with E = 1,
and check it once, with a small probe batch, before any training: a network that does not fit says
why.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import torch
from torch import nn

from toygan.errors import ToyganError, first_line
from toygan.models import Discriminator, EnsembleLinear, Generator

__all__ = ["OwnGenerator", "OwnDiscriminator", "plain_networks", "make_players", "parameter_count"]

if TYPE_CHECKING:
    from toygan.config import Config
    from toygan.streams import Streams

_PROBE = 3  # points in the probe batch


def _dtype(module: nn.Module) -> torch.dtype:
    first = next(iter(module.parameters()), None)
    return torch.float32 if first is None else first.dtype


def _probe(module: nn.Module, x: torch.Tensor, name: str) -> torch.Tensor:
    """``module`` on the probe batch ``x`` and on one two points longer (in eval mode, so batch
    norm's statistics stay put): it must return one real tensor that carries gradients, for both;
    returns the output on ``x``."""
    if not isinstance(module, nn.Module):
        raise ToyganError(f"{name}: {type(module).__name__} is not a torch.nn.Module")
    params = [p for p in module.parameters() if p.requires_grad]
    if not params:
        raise ToyganError(f"{name}: {type(module).__name__} has no parameters to train")
    if not all(p.is_floating_point() for p in params):
        raise ToyganError(f"{name}: {type(module).__name__} has parameters that are not real "
                          "floating point")
    training = module.training
    outs = []
    try:
        module.eval()
        for batch in (x, torch.cat([x, x[:2]])):
            try:
                out = module(batch.to(_dtype(module)))
            except Exception as err:  # noqa: BLE001 — any failure on a plain batch: it does not fit
                first = first_line(err)
                raise ToyganError(f"{name}: {type(module).__name__} fails on a batch of shape "
                                  f"{tuple(batch.shape)} ({first})") from None
            if not isinstance(out, torch.Tensor):
                raise ToyganError(f"{name}: {type(module).__name__} returns a {type(out).__name__}; "
                                  "it must return one tensor")
            if not out.is_floating_point() or not out.requires_grad:
                raise ToyganError(f"{name}: {type(module).__name__}'s output ({out.dtype}) carries "
                                  "no gradient to its parameters; it must be a real floating-point "
                                  "function of them (no .detach(), .long(), comparisons)")
            outs.append(out.detach())
    finally:
        module.train(training)
    if outs[0].dim() == 0 or len(outs[1]) != len(outs[0]) + 2:
        raise ToyganError(f"{name}: {type(module).__name__} gives {len(outs[1])} rows for "
                          f"{len(x) + 2} inputs; it must give one row per input")
    return outs[0]


class OwnGenerator(nn.Module):
    """A user's generator ``(n, noise_dim) → (n, d)`` as a one-member player."""

    members = 1

    def __init__(self, module: nn.Module, noise_dim: int, dim: int) -> None:
        super().__init__()
        out = _probe(module, torch.zeros(_PROBE, noise_dim), "generator")
        if tuple(out.shape) != (_PROBE, dim):
            raise ToyganError(f"generator: maps noise ({_PROBE}, {noise_dim}) (model.noise_dim = "
                              f"{noise_dim}) to shape {tuple(out.shape)}; the target's points are "
                              f"({_PROBE}, {dim})")
        self.module, self.noise_dim, self.dim = module, noise_dim, dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (1, B, nz) → (1, B, d)
        out = self.module(z[0].to(_dtype(self.module)))
        _check_output(out, (z.shape[1], self.dim), "generator", self.module)
        return out.float()[None]


class OwnDiscriminator(nn.Module):
    """A user's discriminator ``(n, d·pack) → (n,)`` or ``(n, 1)`` as a one-member player."""

    members = 1

    def __init__(self, module: nn.Module, in_dim: int, pack: int = 1) -> None:
        super().__init__()
        out = _probe(module, torch.zeros(_PROBE, in_dim), "discriminator")
        if tuple(out.shape) not in ((_PROBE,), (_PROBE, 1)):
            packs = f" (packs of {pack} points: train.pack = {pack})" if pack > 1 else ""
            raise ToyganError(f"discriminator: maps points ({_PROBE}, {in_dim}){packs} to shape "
                              f"{tuple(out.shape)}; expected one logit per point, ({_PROBE},) or "
                              f"({_PROBE}, 1)")
        self.module, self.in_dim = module, in_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (1, B, in) → (1, B)
        out = self.module(x[0].to(_dtype(self.module)))
        if isinstance(out, torch.Tensor) and out.dim() == 2 and out.shape[1:] == (1,):
            out = out[:, 0]
        _check_output(out, (x.shape[1],), "discriminator", self.module)
        return out.float()[None]


def _check_output(out, shape: tuple[int, ...], name: str, module: nn.Module) -> None:
    """Every call, not only the probe: a network whose output changes with the batch or the mode
    is stopped with the reason, not deep inside training."""
    if not isinstance(out, torch.Tensor) or not out.is_floating_point() or tuple(out.shape) != shape:
        what = (f"shape {tuple(out.shape)} ({out.dtype})" if isinstance(out, torch.Tensor)
                else f"a {type(out).__name__}")
        raise ToyganError(f"{name}: {type(module).__name__} returned {what} for a batch of "
                          f"{shape[0]}; expected real numbers of shape {shape}")


def _plain_mlp(net: nn.Sequential, member: int, squeeze: bool) -> nn.Sequential:
    """One member of an ensemble MLP as ``nn.Linear`` layers with the same weights."""
    layers: list[nn.Module] = []
    for layer in net:
        if isinstance(layer, EnsembleLinear):
            w, b = layer.weight[member].detach(), layer.bias[member, 0].detach()  # (in, out), (out,)
            linear = nn.Linear(w.shape[0], w.shape[1])
            with torch.no_grad():
                linear.weight.copy_(w.T)
                linear.bias.copy_(b)
            layers.append(linear)
        else:
            layers.append(copy.deepcopy(layer))
    if squeeze:
        layers.append(nn.Flatten(0))  # (n, 1) → (n,): one logit per point
    return nn.Sequential(*layers).to(net[0].weight.device)


def plain_networks(G: nn.Module, D: nn.Module, member: int = 0) -> tuple[nn.Module, nn.Module]:
    """Plain copies of one member's G ``(n, noise_dim) → (n, d)`` and D ``(n, in) → (n,)``."""
    g = copy.deepcopy(G.module) if isinstance(G, OwnGenerator) else _plain_mlp(G.net, member, False)
    d = copy.deepcopy(D.module) if isinstance(D, OwnDiscriminator) else _plain_mlp(D.net, member, True)
    return g, d


def make_players(config: Config, streams: Streams, dim: int, generator: nn.Module | None = None,
                 discriminator: nn.Module | None = None) -> tuple[nn.Module, nn.Module]:
    """G and D of a game on the CPU: toygan's ensemble MLPs, initialised from the streams, or the
    user's networks as one-member players."""
    t, m = config.train, config.model
    if (generator is not None or discriminator is not None) and t.members != 1:
        raise ToyganError(f"train.members = {t.members}: your own networks make a one-member "
                          "game; train several seeds as several games")
    if generator is not None and not t.generator_mode.network:
        raise ToyganError(f"generator: given, but train.generator = {t.generator!r} draws the "
                          "fake samples from the [fake] target; drop one of them")
    if generator is None:
        G = Generator(t.members, m.noise_dim, m.g_width, m.g_depth, m.activation, out_dim=dim)
        G.reset_parameters(streams.g_init)  # on the CPU: every device starts alike
    else:
        G = OwnGenerator(generator, m.noise_dim, dim)
    if discriminator is None:
        D = Discriminator(t.members, m.d_width, m.d_depth, m.activation, in_dim=dim * t.pack)
        D.reset_parameters(streams.d_init)
    else:
        D = OwnDiscriminator(discriminator, dim * t.pack, pack=t.pack)
    return G, D


def parameter_count(net: object) -> int | None:
    """Parameters of a user's network (None for none given, or for something that is no module:
    the players' own checks say what is wrong with it)."""
    return sum(p.numel() for p in net.parameters()) if isinstance(net, nn.Module) else None
