"""Your own networks, one per ensemble member, trained as one batched player.

A factory (a callable returning a fresh ``nn.Module``) is called once per member, each time with
torch's random state seeded from that member's stream, so member i starts from the weights a
one-member game with seed + i gets. The members' parameters are stacked along a leading axis E
(as toygan's own MLPs hold theirs) and the module runs on all of them at once with
``torch.func.vmap`` over ``functional_call``. A module that vmap cannot run (spectral norm's power
iteration, dropout and any other random draw, data-dependent Python branches) runs member by
member on the same stacked parameters instead, each member drawing from its own random stream;
the player says so once, with the reason.

The commonest network, an ``nn.Sequential`` of ``nn.Linear`` layers and elementwise activations,
runs as batched matrix products directly (``torch.baddbmm``, as toygan's own MLPs do): the same
arithmetic as vmap without its per-call cost in Python, which at these sizes is most of the time
(``benchmarks/own_ensemble_speed.py``).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.func import functional_call, vmap
from torch.nn.utils import parametrize

from toygan.errors import ToyganError, ToyganNotice, a_type, first_line, notify

__all__ = ["OwnEnsemble", "BatchingNotice", "build_members", "ELEMENTWISE"]

ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.ELU, nn.CELU, nn.SELU, nn.GELU,
               nn.SiLU, nn.Mish, nn.Softplus, nn.Hardtanh, nn.ReLU6, nn.Identity, nn.Softsign,
               nn.Tanhshrink, nn.Hardswish, nn.Hardsigmoid, nn.LogSigmoid)
"""Parameter-free modules acting on each number alone: an ensemble axis in front changes nothing."""


class BatchingNotice(ToyganNotice):
    """Your networks could not be batched with vmap: their members run one after another."""


def build_members(factory: Callable[[], nn.Module], seeds: Sequence[int], name: str) -> list[nn.Module]:
    """``factory()`` once per member, with torch's random state seeded by that member's seed
    (and restored after: building networks disturbs no one's stream)."""
    modules = []
    for seed in seeds:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            try:
                module = factory()
            except (Exception, SystemExit) as err:  # noqa: BLE001 — the user's code: what it raised, one line
                raise ToyganError(f"{name}: the factory {_named(factory)} raised "
                                  f"{type(err).__name__} ({first_line(err)})") from None
        if not isinstance(module, nn.Module):
            raise ToyganError(f"{name}: the factory {_named(factory)} returned "
                              f"{a_type(module)}; it must return a fresh torch.nn.Module")
        if any(isinstance(m, torch.jit.ScriptModule) for m in module.modules()) and len(seeds) > 1:
            # its parameters live in TorchScript: they cannot be stacked into one ensemble
            raise ToyganError(f"{name}: the factory {_named(factory)} returned a TorchScript module "
                              f"or one holding one ({type(module).__name__}; torch.jit.script or "
                              f"trace); with train.members = {len(seeds)} return plain torch.nn.Modules, "
                              "or train one member at a time")
        if any(module is m for m in modules):
            raise ToyganError(f"{name}: the factory {_named(factory)} returned the same module "
                              "twice; it must build a fresh one on every call")
        modules.append(module)
    return modules


def _named(factory: Callable) -> str:
    """A factory as the user wrote it: ``make_g``, or ``make_g(width=64)`` with bound arguments."""
    if isinstance(factory, functools.partial):
        bound = ", ".join([*map(repr, factory.args), *(f"{k}={v!r}" for k, v in factory.keywords.items())])
        return f"{_named(factory.func)}({bound})"
    return getattr(factory, "__qualname__", None) or type(factory).__name__


class OwnEnsemble(nn.Module):
    """E copies of one ``nn.Module`` class on ``(n, in)`` batches as a player on ``(E, B, in)``:
    the parameters and buffers of the members stacked, shape ``(E, *shape)``.

    Args:
        modules: the members (fresh instances of one architecture).
        streams: one torch generator per member, each member's random draws (dropout) when the
            members run one after another.
        name: "generator" or "discriminator", for messages.
    """

    def __init__(self, modules: Sequence[nn.Module], streams: Sequence[torch.Generator], name: str
                 ) -> None:
        super().__init__()
        first = modules[0]
        self.members, self.name = len(modules), name
        self.param_names = [k for k, _ in first.named_parameters()]
        self.buffer_names = [k for k, _ in first.named_buffers()]
        for m in modules[1:]:  # one architecture: the same layers, parameters and buffers
            if _architecture(m) != _architecture(first):
                raise ToyganError(f"{name}: the factory built members of different architectures "
                                  f"({type(first).__name__} differs between seeds); every call must "
                                  "build the same one, only its weights drawn anew")
        with torch.no_grad():
            firsts = dict(first.named_parameters())
            # a frozen parameter (requires_grad False) stays frozen in every member
            self.stacked = nn.ParameterList(
                [nn.Parameter(torch.stack([dict(m.named_parameters())[k].detach() for m in modules]).clone(),
                              requires_grad=firsts[k].requires_grad)
                 for k in self.param_names])
            for j, k in enumerate(self.buffer_names):
                stacked = torch.stack([dict(m.named_buffers())[k] for m in modules])
                self.register_buffer(f"buffer{j}", stacked.clone())
        # the architecture, without weights of its own (on the meta device): functional_call
        # runs it on each member's slice; a real copy on the CPU builds plain members
        object.__setattr__(self, "_template", copy.deepcopy(first))
        object.__setattr__(self, "_skeleton", copy.deepcopy(first).to("meta"))
        object.__setattr__(self, "_streams", list(streams))
        self.batched = True
        self.why_not_batched = ""
        self.plan = _linear_plan(first, self.param_names, self.buffer_names)
        """For a Sequential of Linear layers and elementwise activations: per layer, the indices
        of its weight and bias in ``stacked`` (None for an activation); else None (vmap)."""

    def _buffers_now(self) -> list[torch.Tensor]:
        return [getattr(self, f"buffer{j}") for j in range(len(self.buffer_names))]

    def _one(self, params: Sequence[torch.Tensor], buffers: Sequence[torch.Tensor],
             x: torch.Tensor) -> torch.Tensor:
        self._skeleton.train(self.training)
        return functional_call(self._skeleton, (dict(zip(self.param_names, params, strict=True)),
                                                dict(zip(self.buffer_names, buffers, strict=True))), (x,))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (E, B, in) → (E, B, ...)
        params, buffers = list(self.stacked), self._buffers_now()
        if self.plan is not None:
            return self._matrix_products(x, params)
        if self.batched:
            try:
                return vmap(self._one, randomness="error")(params, buffers, x)
            except RuntimeError as err:
                if not _vmap_limit(err):
                    raise  # the network's own error, not batching's
                self.run_one_by_one(first_line(err))  # a branch the probe did not take
        outs = []
        for i, stream in enumerate(self._streams):
            # each member draws from its own stream, as in its one-member game
            outside = torch.get_rng_state()
            torch.set_rng_state(stream.get_state())
            try:
                outs.append(self._one([p[i] for p in params], [b[i] for b in buffers], x[i]))
            finally:
                stream.set_state(torch.get_rng_state())
                torch.set_rng_state(outside)
        return torch.stack(outs)

    def _matrix_products(self, x: torch.Tensor, params: list[torch.Tensor]) -> torch.Tensor:
        for layer, where in zip(self._template, self.plan, strict=True):
            if where is None:
                x = layer(x)  # elementwise: the member axis changes nothing
                continue
            w = params[where[0]].transpose(1, 2)  # (E, out, in) → (E, in, out)
            x = torch.bmm(x, w) if where[1] is None else torch.baddbmm(params[where[1]][:, None], x, w)
        return x

    def run_one_by_one(self, why: str) -> None:
        """Give up batching (said once, with ``why``, or the module that is the likely cause)."""
        self.batched, self.why_not_batched = False, _cause(self._template) or why
        notify(f"{self.name}: {type(self._template).__name__} cannot be batched with torch.func.vmap "
               f"({self.why_not_batched}); its {self.members} members train one after another",
               BatchingNotice)

    def probe(self, x: torch.Tensor) -> None:
        """Try vmap on ``x`` ``(E, n, in)`` in training and in eval mode, on copies of the buffers
        (nothing changes); fall back to one member at a time if it fails."""
        if self.plan is not None:
            return  # batched matrix products need no vmap
        training = self.training
        try:
            for mode in (True, False):
                self.train(mode)
                params = [p.detach().requires_grad_() for p in self.stacked]
                out = vmap(self._one, randomness="error")(params, [b.clone() for b in self._buffers_now()], x)
                torch.autograd.grad(out.float().sum(), params, allow_unused=True)
        except Exception as err:  # noqa: BLE001 — whatever vmap cannot do, the loop can
            self.run_one_by_one(first_line(err))
        finally:
            self.train(training)

    def member(self, i: int) -> nn.Module:
        """A plain copy of member ``i``: the user's module with that member's weights."""
        module = copy.deepcopy(self._template)
        with torch.no_grad():
            named = dict(module.named_parameters())
            for k, p in zip(self.param_names, self.stacked, strict=True):
                named[k].data = p[i].detach().clone()
            held = dict(module.named_buffers())
            for k, b in zip(self.buffer_names, self._buffers_now(), strict=True):
                held[k].data = b[i].detach().clone()
        return module

    def extra_repr(self) -> str:
        how = ("batched (matrix products)" if self.plan is not None else
               "batched (vmap)" if self.batched else "one member after another")
        return f"{type(self._template).__name__} × {self.members} members, {how}"


def _vmap_limit(err: Exception) -> bool:
    """Whether ``err`` is vmap saying what it cannot do (not the network's own failure)."""
    text = str(err).lower()
    return any(word in text for word in ("vmap", "batching rule", "randomness", "batched tensor",
                                          "data-dependent", ".item()"))


def _architecture(module: nn.Module) -> list:
    """Layers (name and class), parameters and buffers (name, shape and whether trained)."""
    return ([(k, type(m).__name__) for k, m in module.named_modules()]
            + [(k, tuple(p.shape), p.requires_grad) for k, p in module.named_parameters()]
            + [(k, tuple(b.shape)) for k, b in module.named_buffers()])


def _cause(module: nn.Module) -> str:
    """What in ``module`` vmap cannot run, where it is a known kind of layer."""
    for part in module.modules():
        if parametrize.is_parametrized(part) or hasattr(part, "weight_u"):
            return ("spectral normalisation: its power iteration updates vectors in place "
                    f"({type(part).__name__})")
        if isinstance(part, nn.modules.dropout._DropoutNd):
            return f"{type(part).__name__} draws random numbers"
    return ""


def _linear_plan(module: nn.Module, params: list[str], buffers: list[str]) -> list | None:
    """Where each layer of a Sequential of ``nn.Linear`` and ``ELEMENTWISE`` modules finds its
    weight and bias among the stacked parameters; None for any other module."""
    if type(module) is not nn.Sequential or buffers or not len(module):
        return None
    plan: list[tuple[int, int | None] | None] = []
    for name, layer in module.named_children():
        if type(layer) is nn.Linear:
            bias = f"{name}.bias" if layer.bias is not None else None
            plan.append((params.index(f"{name}.weight"), None if bias is None else params.index(bias)))
        elif isinstance(layer, ELEMENTWISE) and not any(True for _ in layer.parameters()):
            plan.append(None)
        else:
            return None
    return plan
