"""The seeded random streams of a run, in one object with their state.

Every random draw of ensemble member i comes from streams seeded by ``seed + i`` alone, so member i
of an ensemble replays the single run with seed ``seed + i``. Draws are made on the CPU and moved to
the run's device, so a run starts from the same weights and sees the same data on every device.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from toygan.models import sample_prior

__all__ = ["Streams"]

_WORDS = 11  # 32-bit seeds drawn from each member's SeedSequence, one per stream below


class Streams:
    """Per-member random streams: initial weights of G and D, training noise and data, the fixed
    recording batches, a fixed p_g's samples, regularisers' draws (ε, instance noise), the kernel
    noise of the recorded JSD, and samples asked for by the user (``Game.sample``).

    ``state`` holds those that advance after the game starts: ``data``, ``fake``, ``noise``,
    ``reg``, ``user`` and ``modules``.
    """

    def __init__(self, seed: int, members: int) -> None:
        words = [np.random.SeedSequence(seed + i).generate_state(_WORDS) for i in range(members)]

        def torch_streams(j: int) -> list[torch.Generator]:
            return [torch.Generator().manual_seed(int(w[j])) for w in words]

        def numpy_streams(j: int) -> list[np.random.Generator]:
            return [np.random.default_rng(int(w[j])) for w in words]

        self.g_init, self.d_init = torch_streams(0), torch_streams(1)
        self.noise, self.fixed_noise = torch_streams(2), torch_streams(3)
        self.data, self.eval, self.fake = numpy_streams(4), numpy_streams(5), numpy_streams(6)
        self.reg = torch_streams(7)  # ε of the gradient penalty, instance noise
        self.kernel = numpy_streams(8)  # fixed N(0, I) draws for the recorded JSD
        self.user = torch_streams(9)  # Game.sample without a seed: never disturbs training
        # torch's global stream while your own networks train (dropout draws from it): seeded
        # here and carried in the state, so their runs replay and resume exactly too
        self.modules = torch_streams(10)

    def real(self, n: int, target, rngs: Sequence[np.random.Generator] | None = None) -> torch.Tensor:
        """``n`` points of ``target`` per member, ``(E, n, d)`` float32, from ``rngs`` (default: the
        training data stream)."""
        rngs = self.data if rngs is None else rngs
        return torch.from_numpy(np.stack([target.sample(n, r) for r in rngs])).float()

    def prior(self, prior: str, n: int, dim: int, gens: Sequence[torch.Generator] | None = None
              ) -> torch.Tensor:
        """Noise z ~ p_z per member, ``(E, n, dim)``, from ``gens`` (default: the training noise)."""
        return sample_prior(prior, n, dim, self.noise if gens is None else gens)

    def normal(self, shape: tuple[int, ...]) -> torch.Tensor:
        """N(0, 1) draws of ``shape`` per member from the regulariser stream, ``(E, *shape)``."""
        return torch.stack([torch.randn(shape, generator=g) for g in self.reg])

    def uniform(self, shape: tuple[int, ...]) -> torch.Tensor:
        """U[0, 1) draws of ``shape`` per member from the regulariser stream, ``(E, *shape)``."""
        return torch.stack([torch.rand(shape, generator=g) for g in self.reg])

    def state(self) -> dict:
        """The state of the streams that training advances (for a checkpoint)."""
        return {"numpy": {"data": [r.bit_generator.state for r in self.data],
                          "fake": [r.bit_generator.state for r in self.fake]},
                "torch": {"noise": [g.get_state() for g in self.noise],
                          "reg": [g.get_state() for g in self.reg],
                          "user": [g.get_state() for g in self.user],
                          "modules": [g.get_state() for g in self.modules]}}

    def load_state(self, state: dict) -> None:
        """Continue from ``state()``'s output."""
        for key, saved in state["numpy"].items():
            for stream, s in zip(getattr(self, key), saved, strict=True):
                if not _plain(s):  # numpy would take a tensor here, with a warning, and fail later
                    raise ValueError(f"the {key} stream's state is not a NumPy generator state")
                stream.bit_generator.state = s
        for key, saved in state["torch"].items():
            for stream, s in zip(getattr(self, key), saved, strict=True):
                stream.set_state(s)


def _plain(value: object) -> bool:
    """Whether ``value`` is what a NumPy generator's state is made of: tables of names, numbers and
    strings."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return isinstance(value, int | str)
