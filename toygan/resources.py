"""What a run will need in memory, checked against what the machine has before any work starts.

The estimate is from the config alone (plus the parameter counts of a user's own networks): the
players' weights with their gradients and optimiser states, the activations of one step's
batches, the recording kept in memory, and the working set of one snapshot. It errs high (Adam's
two moments for every optimiser, every activation kept for the backward pass), so a refused run
would not have fitted, and one that fits has room to spare. A run that cannot fit is refused in
one line naming the fields that weigh most, instead of crashing or exhausting the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toygan.config import Config
from toygan.errors import ToyganError
from toygan.memory import gib_text, available_bytes, check_bytes

__all__ = ["Estimate", "estimate", "available_bytes", "check_bytes", "check_fits", "network_params"]

FLOAT = 4  # bytes of a float32


@dataclass(frozen=True)
class Estimate:
    """Bytes a run needs, by part."""

    networks: int
    """Weights, gradients and optimiser states of both players, over all members."""
    batches: int
    """Activations of one step (G's and D's forward and backward passes)."""
    recording: int
    """The history kept in memory, and the working set of one snapshot."""

    @property
    def total(self) -> int:
        return self.networks + self.batches + self.recording


_FIELDS = {  # the fields to lower for each part, in a message
    "networks": "model.g_width, model.g_depth, model.d_width, model.d_depth or {members}",
    "batches": "train.batch_size, train.pack, model.noise_dim, model widths or {members}",
    "recording": "record.grid_size, record.n_samples, {members}, or record less often "
                 "(raise record.every)",
}


def network_params(in_dim: int, width: int, depth: int, out_dim: int) -> int:
    """Parameters of toygan's MLP: ``depth`` hidden layers of ``width`` units, with biases."""
    if depth == 0:
        return (in_dim + 1) * out_dim
    return (in_dim + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * out_dim


def estimate(config: Config, *, own_params: tuple[int | None, int | None] = (None, None),
             dim: int | None = None) -> Estimate:
    """The memory ``config`` needs; ``own_params`` are the parameter counts of your own generator
    and discriminator (None for toygan's); ``dim`` the target's dimension if known."""
    m, t, e = config.model, config.train, config.train.members
    dim = config.target().dim if dim is None else dim
    g = own_params[0] if own_params[0] is not None else network_params(m.noise_dim, m.g_width, m.g_depth, dim)
    d = own_params[1] if own_params[1] is not None else network_params(dim * t.pack, m.d_width,
                                                                       m.d_depth, 1)
    # weights, gradients, two optimiser moments; each unrolled look-ahead keeps a copy of D
    networks = FLOAT * e * (4 * g + (4 + t.unroll) * d)
    rows = t.batch_size * t.pack  # points through G per step; D sees as many real and fake
    # each layer keeps its input and activation for the backward pass (×2), and again for the
    # gradient (×2): G from its noise to its points, D from its (packed) points to its output, on
    # real and fake batches and once more per look-ahead
    g_layers = m.noise_dim + m.g_width * m.g_depth + dim
    d_layers = dim + m.d_width * m.d_depth + 1
    batches = FLOAT * e * 4 * rows * (g_layers + (2 + t.unroll) * d_layers)
    snapshot = config.snapshot_bytes()
    # D on the grid and the optimum's KDE run in chunks; four snapshots' worth covers their work,
    # and G and D on the fixed samples keep every layer's output of every member
    forward = FLOAT * e * 2 * config.record.n_samples * (g_layers + 2 * d_layers)
    recording = config.recording_bytes() + 4 * snapshot + forward
    return Estimate(networks, batches, recording)


def check_fits(config: Config, *, own_params: tuple[int | None, int | None] = (None, None),
               dim: int | None = None, available: int | None = None, copies: int = 1,
               what: str = "the run", members: str = "train.members (--seeds)") -> Estimate:
    """Refuse a config whose estimate (times ``copies`` runs at once) exceeds ``available`` bytes
    (default: ``available_bytes()``); returns the estimate.

    Raises:
        ToyganError: naming the size, the part that weighs most and the fields that lower it.
    """
    need = estimate(config, own_params=own_params, dim=dim)
    have = available_bytes() if available is None else available
    if have is None or need.total * copies <= have:
        return need
    parts = {"networks": need.networks, "batches": need.batches, "recording": need.recording}
    worst = max(parts, key=parts.get)
    times = f" × {copies} at once" if copies > 1 else ""
    raise ToyganError(
        f"{what} would need about {gib_text(need.total)}{times} of memory and {gib_text(have)} is "
        f"available; most of it is {worst} ({gib_text(parts[worst])}): lower "
        f"{_FIELDS[worst].format(members=members)}")
