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

from toygan.config import MANIFOLD_LINES, MANIFOLD_POINTS, Config
from toygan.errors import ToyganError
from toygan.jacobian import EXACT_PARAMETERS, field_of, products_per_snapshot
from toygan.memory import available_bytes, check_bytes, gib_text
from toygan.methods import Settings

__all__ = ["Estimate", "estimate", "available_bytes", "check_bytes", "check_fits", "network_params",
           "check_eigenvalues", "eigen_seconds", "EIGEN_SECONDS"]

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


_OWN = {"networks": "train.unroll", "batches": "train.batch_size, train.pack",
        "recording": "record.n_samples, record.grid_size, record less often (raise record.every)"}
"""With your own networks, what to lower beside their sizes (toygan's widths do not size them)."""


def network_params(in_dim: int, width: int, depth: int, out_dim: int) -> int:
    """Parameters of toygan's MLP: ``depth`` hidden layers of ``width`` units, with biases."""
    if depth == 0:
        return (in_dim + 1) * out_dim
    return (in_dim + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * out_dim


Own = tuple[tuple[int, int, int] | None, tuple[int, int, int] | None]
"""Your own generator's and discriminator's sizes (``players.parameter_count``: parameters, layer
units, widest layer), None for toygan's MLP."""


def estimate(config: Config, *, own_params: Own = (None, None), dim: int | None = None) -> Estimate:
    """The memory ``config`` needs; ``own_params`` are the sizes of your own generator and
    discriminator (parameters, layer units; None for toygan's); ``dim`` the target's dimension if
    known."""
    m, t, e = config.model, config.train, config.train.members
    dim = config.target().dim if dim is None else dim
    own_g, own_d = own_params
    g = own_g[0] if own_g else network_params(m.noise_dim, m.g_width, m.g_depth, dim)
    d = own_d[0] if own_d else network_params(dim * t.pack, m.d_width, m.d_depth, 1)
    # weights, gradients, two optimiser moments; each unrolled look-ahead keeps a copy of D
    networks = FLOAT * e * (4 * g + (4 + t.unroll) * d)
    rows = t.batch_size * t.pack  # points through G per step; D sees as many real and fake
    # each layer keeps its input and activation for the backward pass (×2), and again for the
    # gradient (×2): G from its noise to its points, D from its (packed) points to its output, on
    # real and fake batches and once more per look-ahead
    g_layers = m.noise_dim + (own_g[1] if own_g else m.g_width * m.g_depth + dim)
    d_layers = dim + (own_d[1] if own_d else m.d_width * m.d_depth + 1)
    batches = FLOAT * e * 4 * rows * (g_layers + (2 + t.unroll) * d_layers)
    snapshot = config.snapshot_bytes()
    # D on the grid and the optimum's KDE run in chunks; four snapshots' worth covers their work,
    # and G and D on the fixed samples keep every layer's output of every member
    forward = FLOAT * e * 2 * config.record.n_samples * (g_layers + 2 * d_layers)
    # G alone, without gradients, on its manifold's latent lines and on the final evaluation's
    # samples, all members at once: two layers' outputs alive at a time, at most the widest's
    widest = own_g[2] if own_g else max(m.noise_dim, m.g_width if m.g_depth else 0, dim)
    rows_g = max(config.record.eval_samples, 2 * MANIFOLD_LINES * MANIFOLD_POINTS)
    generated = FLOAT * e * rows_g * 2 * widest
    recording = config.recording_bytes() + 4 * snapshot + forward + generated
    return Estimate(networks, batches, recording)


def check_fits(config: Config, *, own_params: Own = (None, None), dim: int | None = None,
               available: int | None = None, copies: int = 1,
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
    times = f" ({gib_text(need.total)} × {copies} at once)" if copies > 1 else ""
    lower = _FIELDS[worst].format(members=members)
    if any(own_params):  # toygan's widths do not size your networks
        lower = f"your networks' sizes, {_OWN[worst]} or {members}"
    raise ToyganError(
        f"{what} would need about {gib_text(need.total * copies)} of memory{times} and {gib_text(have)} is "
        f"available; most of it is {worst} ({gib_text(parts[worst])}): lower {lower}")


EIGEN_SECONDS = 1_200
"""The most time a run's eigenvalues (``record.eigenvalues``) may be estimated to take: 20 minutes."""
PRODUCT_OVERHEAD = 4e-4
PRODUCT_UNIT = 3e-10
"""Seconds a vector-Jacobian product of the joint field costs a member: ``PRODUCT_OVERHEAD`` plus
``PRODUCT_UNIT`` × batch points × parameters. Measured on the 2-core reference machine (0.48 ms a
product at 691 parameters and 512 points, 5 ms at 34,179), rounded up: the estimate errs high."""


EIG_UNIT = 2.5e-10
"""Seconds per N³ of a dense eigenvalue solve (0.7 s at N = 1,419 on the reference machine)."""
FOLLOWED_FIELD_COST = 2.0
"""A product of consensus's or the Hamiltonian method's field differentiates once more: twice the
time (3.98 s against 1.95 s a snapshot at 1,267 parameters, measured as above)."""


def eigen_seconds(config: Config, parameters: int) -> float:
    """The estimated time of a whole run's eigenvalues, for ``parameters`` a member (both
    players, as they train)."""
    t = config.train
    products = products_per_snapshot(parameters, config.record.eigen_k)
    each = PRODUCT_OVERHEAD + PRODUCT_UNIT * config.record.n_samples * parameters
    settings = Settings(consensus=t.consensus)
    followed = FOLLOWED_FIELD_COST if field_of(t.updates, settings).b else 1.0
    # the exact path also solves an N × N eigenproblem: 0.7 s at N = 1,419 (numpy.linalg.eigvals)
    solve = EIG_UNIT * parameters**3 if parameters <= EXACT_PARAMETERS else 0.0
    return config.snapshot_count() * t.members * (products * each * followed + solve)


def check_eigenvalues(config: Config, parameters: int) -> None:
    """Refuse, before training, eigenvalues that would not fit in memory (the whole Jacobian of
    each member, and every snapshot's eigenvalues) or would take longer than ``EIGEN_SECONDS``.

    Raises:
        ToyganError: naming the estimate and the fields that lower it.
    """
    e, n = config.train.members, parameters
    exact = n <= EXACT_PARAMETERS
    kept = n if exact else config.record.eigen_k
    need = 8 * config.snapshot_count() * e * kept + (16 * e * n * n if exact else 8 * 64 * n)
    check_bytes(need, f"record.eigenvalues for {n:,} parameters a member", "how often it records "
                "(raise record.every), the networks' sizes or train.members")
    seconds = eigen_seconds(config, n)
    if seconds > EIGEN_SECONDS:
        which = "all eigenvalues" if exact else f"the {config.record.eigen_k} largest eigenvalues"
        raise ToyganError(
            f"record.eigenvalues = true: {which} of a {n:,}-parameter game at "
            f"{config.snapshot_count():,} snapshots × {e} member(s) would take about "
            f"{seconds / 60:,.0f} minutes (limit {EIGEN_SECONDS // 60}); record less often "
            "(raise record.every), or lower record.eigen_k, record.n_samples, the networks' sizes "
            "or train.members")
