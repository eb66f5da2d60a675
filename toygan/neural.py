"""The neural GAN as a ``toygan.methods.Play``: its players' losses on minibatches drawn from the
game's seeded streams (with the regulariser, instance noise, packing and unrolling), and each
player's step by its optimiser (then WGAN's weight clipping).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from toygan.errors import ToyganError
from toygan.memory import check_bytes
from toygan.methods import D, G, Settings
from toygan.objectives import REGULARIZERS
from toygan.recorder import GRID_CHUNK
from toygan.unrolling import UNROLLED_STEPS, unrolled_parameters
from toygan.validate import integer

if TYPE_CHECKING:
    from toygan.game import Game

__all__ = ["NeuralPlay", "trainable", "user_batch"]


def trainable(module: nn.Module) -> list[torch.Tensor]:
    """The parameters that train (a user may have frozen some)."""
    return [p for p in module.parameters() if p.requires_grad]


class NeuralPlay:
    """The game's networks, optimisers and streams, as the methods see them."""

    graph = False

    def __init__(self, game: Game) -> None:
        self.game = game
        self.memory: dict = {}
        self.last_fake: torch.Tensor | None = None
        """The fake batch D saw last (G's loss is recorded on it when p_g is fixed)."""

    @property
    def members(self) -> int:
        return self.game.members

    @property
    def trains_generator(self) -> bool:
        return self.game.trains_generator

    @property
    def settings(self) -> Settings:
        t = self.game.config.train
        return Settings(d_steps=t.d_steps, consensus=t.consensus, sga_lambda=t.sga_lambda,
                        lookahead_k=t.lookahead_k, lookahead_alpha=t.lookahead_alpha)

    def params(self, player: int) -> list[torch.Tensor]:
        return trainable(self.game.D if player == D else self.game.G)

    def lr(self, player: int) -> float:
        t = self.game.config.train
        return t.lr_d if player == D else t.lr_g

    def per_member(self, x: torch.Tensor) -> torch.Tensor:
        # toygan's parameters lead with the member axis; a user's networks make one member
        return x.reshape(self.members, -1).sum(1)

    def spread(self, c: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return c.reshape((-1,) + (1,) * (x.dim() - 1)) * x if x.dim() else c.reshape(()) * x

    def user_members(self, x: Any, width: int, name: str) -> torch.Tensor:
        """A user's batch ``(n, width)`` or ``(E, n, width)`` as ``(E, n, width)`` on the device."""
        g = self.game
        x = user_batch(x, name)
        given = tuple(x.shape)
        if x.dim() == 2:
            x = x.expand(g.members, -1, -1)
        if x.dim() != 3 or x.shape[0] != g.members or x.shape[2] != width or x.shape[1] < 1:
            raise ToyganError(f"{name}: shape {given}; expected (n, {width}) or "
                              f"({g.members}, n, {width}), n ≥ 1")
        pack = g.config.train.pack
        if x.shape[1] % pack:
            raise ToyganError(f"{name}: {x.shape[1]} points do not make whole packs of "
                              f"train.pack = {pack}")
        return x.to(g.device)

    # --- the minibatch ---

    def pack(self, x: torch.Tensor) -> torch.Tensor:
        """(E, B·m, d) → (E, B, d·m): D sees m samples at once (PacGAN, Lin et al. 2018)."""
        m = self.game.config.train.pack
        return x if m == 1 else x.reshape(x.shape[0], -1, self.game.dim * m)

    def blur(self, x: torch.Tensor) -> torch.Tensor:
        """Instance noise: every point D sees gets N(0, σ²) added (Sønderby et al. 2017)."""
        sigma = self.game.config.train.instance_noise
        g = self.game
        return x if sigma == 0 else x + sigma * g.streams.normal(x.shape[1:]).to(g.device)

    def discriminator_loss(self, real: torch.Tensor, fake: torch.Tensor, D=None) -> torch.Tensor:
        """D's loss on one minibatch of (packed) points, with its regulariser, per member ``(E,)``."""
        g = self.game
        D = g.D if D is None else D
        t = g.config.train
        real, fake = self.blur(real), self.blur(fake)
        loss = g.objective.discriminator_loss(D(real), D(fake))
        penalty = REGULARIZERS[t.regularizer]
        if penalty is not None:
            eps = lambda: g.streams.uniform((real.shape[1], 1)).to(g.device)  # noqa: E731
            loss = loss + penalty(D, real, fake, t.gamma, eps)
        return loss

    def _noise(self, n: int) -> torch.Tensor:
        g = self.game
        return g.streams.prior(g.config.model.prior, n, g.noise_dim).to(g.device)

    def loss(self, player: int, real: torch.Tensor | None = None,
             noise: torch.Tensor | None = None) -> torch.Tensor:
        """D's loss on ``real`` points and G's samples of ``noise`` (each drawn fresh when not
        given; against a fixed p_g, its samples), G detached; or G's loss on its samples of
        ``noise`` against D (unrolled ``train.unroll`` steps ahead; against a fixed p_g, D's
        verdict on the fake batch it saw last)."""
        g = self.game
        if player == D:
            n = g.batch_points if real is None else real.shape[1]
            real = (g.streams.real(n, g.target) if real is None else real).to(g.device)
            with torch.no_grad():
                if g.fake_target is not None:
                    fake = g.streams.real(n, g.fake_target, g.streams.fake).to(g.device)
                else:
                    fake = g.G((self._noise(n) if noise is None else noise).to(g.device))
            self.last_fake = fake
            return self.discriminator_loss(self.pack(real), self.pack(fake))
        if not g.trains_generator:
            return self.generator_loss_on_last_fake()
        fake = g.G((self._noise(g.batch_points) if noise is None else noise).to(g.device))
        if g.config.train.unroll:
            return self._unrolled_generator_loss(fake)
        return g.objective.generator_loss(g.D(self.blur(self.pack(fake))))

    def losses(self) -> tuple[torch.Tensor, torch.Tensor]:
        g = self.game
        n = g.batch_points
        real = g.streams.real(n, g.target).to(g.device)  # (E, m, d)
        fake = g.G(self._noise(n))
        loss_d = self.discriminator_loss(self.pack(real), self.pack(fake))
        loss_g = g.objective.generator_loss(g.D(self.blur(self.pack(fake))))
        return loss_d, loss_g

    def evaluation_losses(self, real: torch.Tensor, fake: torch.Tensor | None,
                          noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Both players' losses on fixed batches (``real``; the fixed p_g's ``fake``, or G's
        samples of ``noise``, in the graph), per member: the game whose field the eigenvalues are
        of. No instance noise and no unrolling (the game itself, not its smoothing or look-ahead);
        WGAN-GP's ε fixed. Nothing is drawn from the training streams."""
        g = self.game
        t = g.config.train
        fake = g.G(noise) if fake is None else fake
        n = min(real.shape[1], fake.shape[1]) // t.pack * t.pack
        real, fake = self.pack(real[:, :n]), self.pack(fake[:, :n])
        loss_d = g.objective.discriminator_loss(g.D(real), g.D(fake))
        penalty = REGULARIZERS[t.regularizer]
        if penalty is not None:
            eps = torch.linspace(0, 1, real.shape[1], device=g.device)  # ε evenly over [0, 1]
            eps = eps[None, :, None].expand(real.shape[0], -1, 1)  # (E, B, 1)
            loss_d = loss_d + penalty(g.D, real, fake, t.gamma, lambda: eps)
        return loss_d, g.objective.generator_loss(g.D(fake))

    def _unrolled_generator_loss(self, fake: torch.Tensor) -> torch.Tensor:
        """G's loss on ``fake`` against D after ``train.unroll`` look-ahead steps, each on fresh
        minibatches, with G's samples in the graph so that G sees how D would react (Metz et al.
        2016)."""
        g = self.game
        t, n = g.config.train, g.batch_points
        params = {k: p for k, p in g.D.named_parameters() if p.requires_grad}
        state = UNROLLED_STEPS[t.optimizer].state(g.opt_d, params)
        ahead = lambda x: functional_call(g.D, params, (x,))  # noqa: E731
        for _ in range(t.unroll):
            real = self.blur(self.pack(g.streams.real(n, g.target).to(g.device)))
            fake_ahead = self.blur(self.pack(g.G(self._noise(n))))
            loss = g.objective.discriminator_loss(ahead(real), ahead(fake_ahead))
            grads = torch.autograd.grad(loss.sum(), list(params.values()), create_graph=True)
            params = unrolled_parameters(params, list(grads), state, t)
        return g.objective.generator_loss(ahead(self.blur(self.pack(fake))))

    @torch.no_grad()
    def generator_loss_on_last_fake(self) -> torch.Tensor:
        """G's loss on the fake batch D saw last (recorded when p_g is fixed), ``(E,)``."""
        g = self.game
        if self.last_fake is None:
            return torch.full((g.members,), float("nan"), device=g.device)
        with g.evaluating():
            return g.objective.generator_loss(g.D(self.pack(self.last_fake)))

    # --- what the players say ---

    @torch.no_grad()
    def on_points(self, points: torch.Tensor) -> torch.Tensor:
        """What D says (``objective.reading``) at shared points ``(P, d)``, per member → ``(E, P)``;
        a packing D sees packs of copies of each point."""
        g = self.game
        m, out, start = g.config.train.pack, None, 0
        for chunk in points.split(GRID_CHUNK):  # into one tensor: a list of pieces fragments the heap
            said = g.D(chunk.repeat(1, m).expand(g.members, -1, -1))
            if out is None:
                out = said.new_empty((said.shape[0], len(points), *said.shape[2:]))
            out[:, start:start + len(chunk)] = said
            start += len(chunk)
        return g.objective.reading(out)

    @torch.no_grad()
    def sample(self, n: int, member: int, seed: int | None) -> np.ndarray:
        """``n`` samples of one member's G (or of the fixed p_g), from noise seeded by ``seed`` or
        from the game's own sampling stream."""
        g = self.game
        n = integer("n", n, 1, 10_000_000)
        m = g.config.model
        # G's activations on n points at once (each layer's output, kept twice over, erring high)
        check_bytes(8 * n * (m.noise_dim + m.g_width * m.g_depth + g.dim), f"n = {n:,} samples", "n")
        if seed is not None:
            seed = integer("seed", seed, 0, 2**63 - 1)
        gen = (g.streams.user[member] if seed is None
               else torch.Generator().manual_seed(int(seed)))
        if g.fake_target is not None:
            rng = np.random.default_rng(int(torch.randint(2**62, (1,), generator=gen)))
            return g.fake_target.sample(n, rng).astype(np.float32)
        z = g.streams.prior(g.config.model.prior, n, g.noise_dim, [gen])
        z = z.expand(g.members, -1, -1).to(g.device)
        with g.evaluating():
            return g.G(z)[member].cpu().numpy()

    # --- the moves ---

    def move(self, player: int, grads: list[torch.Tensor]) -> None:
        g = self.game
        for p, grad in zip(self.params(player), grads, strict=True):
            p.grad = grad
        (g.opt_d if player == D else g.opt_g).step()
        g.moves += 1
        if player == D:
            self.clip()

    @torch.no_grad()
    def clip(self) -> None:
        """WGAN: keep the critic Lipschitz by clamping its weights to ±``train.clip``."""
        c = self.game.config.train.clip
        if c > 0:
            for p in self.game.D.parameters():
                p.clamp_(-c, c)

    def point(self) -> list[torch.Tensor]:
        return [p.detach().clone() for p in self.params(D) + self.params(G)]

    @torch.no_grad()
    def restore(self, point: list[torch.Tensor]) -> None:
        for p, value in zip(self.params(D) + self.params(G), point, strict=True):
            p.copy_(value)
        self.game.moves += 1
        self.clip()


def user_batch(x: Any, name: str) -> torch.Tensor:
    """A user's batch as a dense float32 CPU tensor of finite numbers, else one clear error."""
    try:
        if torch.is_tensor(x):
            if x.is_complex():
                raise TypeError
            x = x.detach().to_dense() if x.layout != torch.strided else x.detach()
            out = x.to("cpu", torch.float32)
        else:
            if np.iscomplexobj(x):
                raise TypeError
            with np.errstate(over="ignore"):  # beyond float32 becomes inf, refused just below
                out = torch.from_numpy(np.asarray(x, dtype=np.float32).copy())
        if out.is_nested:
            raise TypeError
    except (TypeError, ValueError, RuntimeError, OverflowError, NotImplementedError):
        raise ToyganError(f"{name}: {type(x).__name__} is not an array of real numbers") from None
    if not torch.isfinite(out).all():
        raise ToyganError(f"{name}: holds NaN or inf (or numbers beyond float32's range)")
    return out
