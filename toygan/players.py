"""Your own networks as players, and any player as a plain one-member ``nn.Module``.

toygan's players carry an ensemble axis: G maps noise ``(E, B, noise_dim)`` to points ``(E, B, d)``
and D maps points ``(E, B, d·pack)`` to raw outputs ``(E, B)``. ``OwnGenerator`` and
``OwnDiscriminator`` give a user's ``nn.Module`` (on ``(n, ·)`` batches) that interface with E = 1,
and check it once, with a small probe batch, before any training: a network that does not fit says
why.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn.utils.parametrize import ParametrizationList

from toygan.errors import ToyganError, a_type, first_line
from toygan.factories import resolve_factory
from toygan.models import Discriminator, EnsembleLinear, Generator
from toygan.own_ensemble import OwnEnsemble, build_members

__all__ = ["OwnGenerator", "OwnDiscriminator", "OwnGenerators", "OwnDiscriminators", "plain_networks",
           "make_players", "parameter_count", "given_networks", "is_factory", "Network", "own_code_raised"]

if TYPE_CHECKING:
    from toygan.config import Config
    from toygan.streams import Streams

_PROBE = 3  # points in the probe batch

Network = nn.Module | Callable[[], nn.Module]
"""A user's network: a module (a one-member game), or a factory building a fresh one per member."""


def _dtype(module: nn.Module) -> torch.dtype:
    first = next(iter(module.parameters()), None)
    return torch.float32 if first is None else first.dtype


def _probe(module: nn.Module, x: torch.Tensor, name: str, hint: str = "") -> torch.Tensor:
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
            except (Exception, SystemExit) as err:  # noqa: BLE001 — any failure on a plain batch
                first = first_line(err) if isinstance(err, Exception) else f"SystemExit {first_line(err)}"
                raise ToyganError(f"{name}: {type(module).__name__} fails on a batch of shape "
                                  f"{tuple(batch.shape)}{hint} ({first})") from None
            if not isinstance(out, torch.Tensor):
                raise ToyganError(f"{name}: {type(module).__name__} returns {a_type(out)}; "
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
        out = _probe(module, torch.zeros(_PROBE, noise_dim), "generator",
                     f", noise of model.noise_dim = {noise_dim}")
        if tuple(out.shape) != (_PROBE, dim):
            raise ToyganError(f"generator: maps noise ({_PROBE}, {noise_dim}) (model.noise_dim = "
                              f"{noise_dim}) to shape {tuple(out.shape)}; the target's points are "
                              f"({_PROBE}, {dim})")
        self.module, self.noise_dim, self.dim = module, noise_dim, dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # (1, B, nz) → (1, B, d)
        out = self.module(z[0].to(_dtype(self.module)))
        _check_output(out, (z.shape[1], self.dim), "generator", self.module)
        return out.float()[None]


class OwnGenerators(nn.Module):
    """E members of a user's generator (one ``OwnEnsemble``) as a player ``(E, B, nz) → (E, B, d)``."""

    def __init__(self, members: OwnEnsemble, noise_dim: int, dim: int) -> None:
        super().__init__()
        self.module, self.noise_dim, self.dim, self.members = members, noise_dim, dim, members.members

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = self.module(z.to(_dtype(self.module)))
        _check_output(out, (self.members, z.shape[1], self.dim), "generator", self.module._template)
        return out.float()


class OwnDiscriminators(nn.Module):
    """E members of a user's discriminator as a player ``(E, B, in) → (E, B)``."""

    def __init__(self, members: OwnEnsemble, in_dim: int) -> None:
        super().__init__()
        self.module, self.in_dim, self.members = members, in_dim, members.members

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.module(x.to(_dtype(self.module)))
        if isinstance(out, torch.Tensor) and out.dim() == 3 and out.shape[2:] == (1,):
            out = out[..., 0]
        _check_output(out, (self.members, x.shape[1]), "discriminator", self.module._template)
        return out.float()


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
                else a_type(out))
        raise ToyganError(f"{name}: {type(module).__name__} returned {what} for a batch of "
                          f"{shape[-2] if name == 'generator' else shape[-1]}; "
                          f"expected real numbers of shape {shape}")


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
    return _plain(G, member, False), _plain(D, member, True)


def _plain(player: nn.Module, member: int, squeeze: bool) -> nn.Module:
    if isinstance(player, (OwnGenerator, OwnDiscriminator)):
        return copy.deepcopy(player.module)
    if isinstance(player, (OwnGenerators, OwnDiscriminators)):
        return player.module.member(member)
    return _plain_mlp(player.net, member, squeeze)


def is_factory(net: object) -> bool:
    """A callable that builds networks (not a network itself)."""
    return callable(net) and not isinstance(net, nn.Module)


def given_networks(config: Config, generator: object = None, discriminator: object = None
                   ) -> tuple[object, object]:
    """The user's generator and discriminator: as passed (a module or a factory), else the
    factories ``model.generator`` and ``model.discriminator`` name, else None (toygan's MLP)."""
    m, out = config.model, []
    for name, given in (("generator", generator), ("discriminator", discriminator)):
        named = getattr(m, name)
        if given is not None and named:
            raise ToyganError(f"{name}: given, and model.{name} = {named!r} names one too; "
                              "drop one of them")
        if given is not None and not (isinstance(given, nn.Module) or callable(given)):
            raise ToyganError(f"{name}: {a_type(given)}; give a torch.nn.Module, a factory "
                              f"(a function returning a fresh one), or name one in model.{name}")
        out.append(resolve_factory(named, getattr(m, f"{name}_args"), f"model.{name}")
                   if named else given)
    return out[0], out[1]


def make_players(config: Config, streams: Streams, dim: int, generator: Network | None = None,
                 discriminator: Network | None = None) -> tuple[nn.Module, nn.Module]:
    """G and D of a game on the CPU: toygan's ensemble MLPs, initialised from the streams, or the
    user's networks as one-member players."""
    t, m = config.train, config.model
    for name, net in (("generator", generator), ("discriminator", discriminator)):
        if isinstance(net, nn.Module) and t.members != 1:
            raise ToyganError(f"train.members = {t.members}: one {name} module makes a one-member "
                              f"game; give a factory (a function returning a fresh {name}) to "
                              "train the members as one batched ensemble")
    if generator is not None and not t.generator_mode.network:
        raise ToyganError(f"generator: given, but train.generator = {t.generator!r} draws the "
                          "fake samples from the [fake] target; drop one of them")
    if generator is None:
        G = Generator(t.members, m.noise_dim, m.g_width, m.g_depth, m.activation, out_dim=dim)
        G.reset_parameters(streams.g_init)  # on the CPU: every device starts alike
    else:
        modules = _members(generator, streams.g_init, "generator")
        G = OwnGenerator(modules[0], m.noise_dim, dim)  # probes the first: shapes, gradients
        if len(modules) > 1:
            G = OwnGenerators(_batched(modules, streams, "generator", (m.noise_dim,)), m.noise_dim, dim)
    if discriminator is None:
        D = Discriminator(t.members, m.d_width, m.d_depth, m.activation, in_dim=dim * t.pack)
        D.reset_parameters(streams.d_init)
    else:
        modules = _members(discriminator, streams.d_init, "discriminator")
        D = OwnDiscriminator(modules[0], dim * t.pack, pack=t.pack)
        if len(modules) > 1:
            D = OwnDiscriminators(_batched(modules, streams, "discriminator", (dim * t.pack,)), dim * t.pack)
    return G, D


def _members(net: object, seeds: list[torch.Generator], name: str) -> list[nn.Module]:
    """The given module, or one fresh module per member from a factory, each built with torch's
    random state seeded from the member's stream (member i starts as a one-member game with
    seed + i does)."""
    if isinstance(net, nn.Module):
        return [net]
    return build_members(net, [g.initial_seed() for g in seeds], name)


def _batched(modules: list[nn.Module], streams: Streams, name: str, shape: tuple[int, ...]) -> OwnEnsemble:
    ensemble = OwnEnsemble(modules, streams.modules, name)
    ensemble.probe(torch.zeros(len(modules), _PROBE, *shape, dtype=_dtype(modules[0])))
    return ensemble


def parameter_count(net: object, name: str = "network") -> tuple[int, int, int] | None:
    """Size of a user's network, or of one network its factory builds, for the memory estimate:
    its parameters, its layer units (the output widths of its layers summed: what one row keeps for
    the backward pass, as toygan's MLP's widths × depth) and its widest layer's; None for none
    given, or for something that is no module (the players' own checks say what is wrong with it)."""
    if is_factory(net):
        net = build_members(net, [0], name)[0]
    if not isinstance(net, nn.Module):
        return None
    try:
        params = sum(p.numel() for p in net.parameters())
    except (RuntimeError, ValueError):  # lazy modules' parameters have no size yet
        raise ToyganError(f"{name}: {type(net).__name__}'s parameters have no shape yet (a lazy "
                          "layer such as LazyLinear); give its sizes, or call it once on a batch "
                          "in your factory") from None
    widths = list(_widths(net))
    return params, sum(widths), max(widths, default=0)


def _widths(net: nn.Module) -> Iterator[int]:
    """The output width of each layer of ``net``: a Linear's or convolution's from its weight's
    shape; for any other module with parameters of its own, the largest dimension of each (errs
    high: the estimate's rule)."""
    for m in net.modules():
        if isinstance(m, nn.Linear | nn.Bilinear):
            yield int(m.weight.shape[0])
        elif isinstance(m, nn.modules.conv._ConvNd):
            yield int(m.out_channels)
        elif not isinstance(m, ParametrizationList):  # (a parametrized Linear's weight: counted above)
            yield from (max(p.shape) for p in m.parameters(recurse=False) if p.ndim >= 2)


def _modules(net: nn.Module) -> Iterator[nn.Module]:
    """``net``'s modules, and those of the architecture an ensemble keeps aside."""
    for module in net.modules():
        yield module
        template = module.__dict__.get("_template")  # (an OwnEnsemble's, not a registered child)
        if isinstance(template, nn.Module):
            yield from template.modules()


def _own_code(net: nn.Module) -> Iterator[Any]:
    """The functions of ``net`` that are yours: its classes' methods (not torch's or toygan's) and
    the hooks registered on its modules."""
    for cls in {c for m in _modules(net) for c in type(m).__mro__}:
        if cls.__module__.partition(".")[0] not in ("torch", "toygan", "builtins"):
            yield from vars(cls).values()
    for m in _modules(net):
        for hooks in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks"):
            yield from getattr(m, hooks, {}).values()


def own_code_raised(err: BaseException, networks: Mapping[str, nn.Module]) -> str | None:
    """Which of your ``networks`` (``{"generator": G, "discriminator": D}``, yours only) was
    running its own code when ``err`` was raised: its name, ``"networks"`` where both come from
    one file, or None where neither's code is on the traceback (then the error is toygan's or a
    library's, and goes on as it is)."""
    files: dict[str, set[str]] = {}
    for name, net in networks.items():
        for value in _own_code(net):
            code = getattr(getattr(value, "__func__", value), "__code__", None)
            if code is not None:
                files.setdefault(code.co_filename, set()).add(name)
    for frame, _ in traceback.walk_tb(err.__traceback__):
        names = files.get(frame.f_code.co_filename)
        if names:
            return next(iter(names)) if len(names) == 1 else "networks"
    return None
