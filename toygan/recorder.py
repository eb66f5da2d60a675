"""The recorder: what a snapshot of the game holds, and the constants it is taken with.

A snapshot shows G on one fixed batch of noise (so points move smoothly from frame to frame), D on a
fixed batch of real points and on a grid over the window, the push −∂(G's loss)/∂x on the samples
and on a coarser field, G's manifold (its image of latent grid lines), D* and the JSD, and mode
coverage. The recorder owns those fixed batches and grids and the snapshots taken so far.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from toygan.errors import ToyganError
from toygan.factories import METRIC, metric_name, resolve_factory
from toygan.history import FIELD_SIZE, MANIFOLD_LINES, MANIFOLD_POINTS, SCALARS, History
from toygan.jacobian import EXACT_PARAMETERS, eigenvalues, field_of, joint_field
from toygan.methods import D, G
from toygan.metrics import GAP_POINTS, mode_coverage, own_metric
from toygan.models import PRIORS
from toygan.resources import check_eigenvalues
from toygan.theory import compared_densities, jsd_from_samples, min_bandwidth, optimal_discriminator

if TYPE_CHECKING:
    from toygan.game import Game

__all__ = ["Recorder", "Snapshots", "latent_grid", "grid_points", "ARRAYS", "EIGEN_ARRAYS", "GAP_POINTS"]

ARRAYS = ("samples", "d_grid", "push", "field", "manifold", "mode_counts")
"""The per-snapshot arrays a history records (its fields of the same names)."""
EIGEN_ARRAYS = ("eigenvalues", "eigen_field")
"""The per-snapshot arrays of ``record.eigenvalues`` (a history has them only then)."""
GRID_CHUNK = 512  # D on the grid in chunks: faster than one call (activations stay in cache)


def latent_grid(prior: str, noise_dim: int) -> torch.Tensor:
    """The latent grid lines G maps to its manifold, ``(2·LINES·POINTS, noise_dim)``: over ±2 (95 %
    of the mass per axis) for a normal prior, over [−1, 1] for a uniform one; other dims at 0. A
    one-dimensional latent has a single line, ``(POINTS, 1)``."""
    reach = PRIORS[prior].reach
    along = torch.linspace(-reach, reach, MANIFOLD_POINTS)
    if noise_dim == 1:  # one latent line: the z axis of Goodfellow et al.'s Figure 1
        return along[:, None]
    levels = torch.linspace(-reach, reach, MANIFOLD_LINES)
    fixed, moving = torch.meshgrid(levels, along, indexing="ij")  # (LINES, POINTS)
    z = torch.zeros(2, MANIFOLD_LINES, MANIFOLD_POINTS, noise_dim)
    z[0, ..., 0], z[0, ..., 1] = moving, fixed  # z1 varies along each line of the first family
    z[1, ..., 0], z[1, ..., 1] = fixed, moving
    return z.reshape(-1, noise_dim)


def grid_points(window: tuple[float, float, float, float], size: int, dim: int = 2) -> torch.Tensor:
    """``size`` points over the window's x range for ``dim`` 1, else a size × size grid, row-major
    in y: ``(size**dim, dim)``."""
    if dim == 1:
        return torch.from_numpy(np.linspace(window[0], window[1], size)[:, None]).float()
    xs, ys = np.linspace(window[0], window[1], size), np.linspace(window[2], window[3], size)
    xx, yy = np.meshgrid(xs, ys)  # xx[j, i] = xs[i], yy[j, i] = ys[j]
    return torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], axis=1)).float()  # (R*R, 2)


class Snapshots:
    """The snapshots taken so far: each part's arrays stacked in one buffer that grows by doubling,
    so that a ``History`` is made of views into it (saving a run copies nothing of the recording)
    while each snapshot still reads as a dict of its rows."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(int(capacity), 1)
        self._buffers: dict[str, np.ndarray] = {}
        self._n = 0

    def append(self, snap: dict[str, np.ndarray]) -> None:
        if not self._buffers:
            self._buffers = {k: np.empty((self._capacity, *np.shape(v)), np.asarray(v).dtype)
                             for k, v in snap.items()}
        elif self._n == self._capacity:
            self._capacity *= 2
            for k, old in self._buffers.items():
                self._buffers[k] = np.empty((self._capacity, *old.shape[1:]), old.dtype)
                self._buffers[k][:self._n] = old[:self._n]
        for k, buffer in self._buffers.items():
            buffer[self._n] = snap[k]
        self._n += 1

    def truncate(self, n: int) -> None:
        """Keep the first ``n`` snapshots."""
        self._n = min(self._n, n)

    @property
    def capacity(self) -> int:
        return self._capacity

    def stacked(self, key: str) -> np.ndarray:
        """Part ``key`` of every snapshot, ``(T, ...)``: a view, not a copy."""
        return self._buffers[key][:self._n]

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int | slice) -> dict[str, np.ndarray] | list[dict[str, np.ndarray]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        j = i + self._n if i < 0 else i
        if not 0 <= j < self._n:
            raise IndexError(f"snapshot {i} of {self._n}")
        return {k: buffer[j] for k, buffer in self._buffers.items()}


class Recorder:
    """Takes snapshots of a game and keeps them, with their steps, until made into a ``History``."""

    def __init__(self, game: Game) -> None:
        cfg, s = game.config, game.streams
        rec, dim, dev = cfg.record, game.dim, game.device
        self.window = tuple(rec.window) if rec.window else game.target.bounds()
        with np.errstate(all="ignore"):  # an overflow is what the check below says
            x0, x1, y0, y1 = np.float32(self.window)
        if not (np.isfinite([x0, x1, y0, y1]).all() and x1 > x0 and y1 > y0):
            raise ToyganError(f"data.params: the target's extent gives the window "
                              f"({', '.join(f'{v:.3g}' for v in self.window)}), which float32 cannot "
                              "resolve; set record.window, or give the target a scale nearer 1")
        self.fixed_noise = s.prior(cfg.model.prior, rec.n_samples, cfg.model.noise_dim,
                                   s.fixed_noise).to(dev)  # (E, N, nz)
        self.fixed_real = s.real(rec.n_samples, game.target, s.eval).to(dev)  # (E, N, d)
        self.fixed_fake = (s.real(rec.n_samples, game.fake_target, s.eval).to(dev)
                           if game.fake_target is not None else None)
        self.kernel_noise = np.stack([r.standard_normal((2 * GAP_POINTS, dim)) for r in s.kernel])
        self.grid = grid_points(self.window, rec.grid_size, dim).to(dev)
        self.grid_shape = (rec.grid_size,) * dim
        self.field_points = grid_points(self.window, FIELD_SIZE, dim).to(dev)
        self.manifold_z = latent_grid(cfg.model.prior, cfg.model.noise_dim).to(dev)
        self.min_bandwidth = min_bandwidth(self.window)  # a collapsed G still has a density
        self.eigen_parameters = 0
        if rec.eigenvalues:
            self.eigen_parameters = self.eigen_size(game)
            check_eigenvalues(cfg, self.eigen_parameters)
        self.own_metrics = {metric_name(m): resolve_factory(m, {}, "record.metrics", METRIC)
                            for m in rec.metrics}
        """Your own metrics (``record.metrics``): name → function of (samples, target)."""
        self.scalars = (*SCALARS, *self.own_metrics)
        self.snapshots = Snapshots(cfg.train.steps // rec.every + 2)
        self.steps: list[int] = []
        self.moves = -1

    def record(self, game: Game, loss_d: torch.Tensor, loss_g: torch.Tensor) -> bool:
        """Take a snapshot at ``game.iteration``; False (and nothing kept) if any of it is NaN or inf."""
        snap = self.snapshot(game, loss_d, loss_g)
        if snap is None:
            return False
        self.snapshots.append(snap)
        self.steps.append(game.iteration)
        self.moves = game.moves  # what the game had done when the last snapshot was taken
        return True

    @torch.no_grad()
    def snapshot(self, game: Game, loss_d: torch.Tensor, loss_g: torch.Tensor,
                 needs: frozenset[str] | None = None) -> dict | None:
        """The recorded state, or None if any of it is NaN or inf. ``needs`` limits the costlier
        parts (``push``, ``field``, ``manifold``, ``optimum``, ``modes``) to those named; ``None``
        takes everything (a recorded snapshot). G's samples, D on the grid and on the fixed batches,
        the value and the losses are always there."""
        t, e, dim = game.config.train, game.members, game.dim
        wants = (lambda part: True) if needs is None else needs.__contains__
        D, objective = game.D, game.objective
        fake = self.fixed_fake if self.fixed_fake is not None else game.G(self.fixed_noise)  # (E, N, d)
        n_use = fake.shape[1] // t.pack * t.pack  # whole packs only
        real_out, fake_out = D(game.play.pack(self.fixed_real[:, :n_use])), D(game.play.pack(fake[:, :n_use]))
        d_real, d_fake = objective.reading(real_out), objective.reading(fake_out)  # (E, N)
        snap = {
            "samples": fake, "d_grid": game.on_points(self.grid).reshape(e, *self.grid_shape),
            "d_real": d_real.mean(-1), "d_fake": d_fake.mean(-1),
            # the objective's own value; V(D, G) of Eq. 1 for the two standard GAN losses
            "value": -objective.discriminator_loss(real_out, fake_out),
            "loss_d": loss_d, "loss_g": loss_g,
        }
        if wants("push"):
            snap["push"] = self.push(game, fake)
        if wants("field"):
            field = self.push(game, self.field_points.repeat(1, t.pack).reshape(-1, dim).expand(e, -1, -1))
            snap["field"] = field[:, ::t.pack].reshape(e, *(FIELD_SIZE,) * dim, dim)
        if wants("manifold"):
            snap["manifold"] = (game.G(self.manifold_z.expand(e, -1, -1)) if self.fixed_fake is None
                                else torch.zeros(e, 0, dim, device=game.device))
        if not all(torch.isfinite(v).all() for v in snap.values()):
            return None
        snap = {k: v.cpu().numpy().astype(np.float32) for k, v in snap.items()}
        if wants("optimum"):
            snap.update(self.optimum(game, fake, d_real, d_fake))
        if wants("modes"):
            snap.update(self.modes(game, fake))
            for name, function in self.own_metrics.items():
                values = [own_metric(function, name, f, game.target) for f in fake.double().cpu().numpy()]
                with np.errstate(over="ignore"):  # beyond float32's range: kept as ±inf
                    snap[name] = np.array(values, np.float32)
        if (game.config.record.eigenvalues if needs is None else "eigenvalues" in needs):
            snap.update(self.eigenvalues(game))
        return snap

    @staticmethod
    def eigen_params(game: Game) -> list[torch.Tensor]:
        """The parameters whose field the eigenvalues are of: D's, and G's where G trains."""
        return game.play.params(D) + (game.play.params(G) if game.trains_generator else [])

    @classmethod
    def eigen_size(cls, game: Game) -> int:
        """How many of those parameters a member has: the Jacobian's side."""
        return sum(p.numel() for p in cls.eigen_params(game)) // game.members

    def eigenvalues(self, game: Game) -> dict[str, np.ndarray]:
        """The eigenvalues of the Jacobian of the field the method follows, on the fixed batches
        (``toygan.jacobian``), per member ``(E, K, 2)`` (real and imaginary parts, the largest
        |λ| first), and that field as its (a, b) ``(E, 2)``."""
        play, t = game.play, game.config.train
        field = field_of(t.updates, play.settings)
        trained = game.play.params(G) if game.trains_generator else []
        with torch.enable_grad():
            v = joint_field(lambda: play.evaluation_losses(self.fixed_real, self.fixed_fake,
                                                           self.fixed_noise),
                            play.params(D), trained, field)
            values, _ = eigenvalues(v, self.eigen_params(game), game.members, game.config.record.eigen_k)
        return {"eigenvalues": np.stack([values.real, values.imag], -1).astype(np.float32),
                "eigen_field": np.tile(np.float32([field.a, field.b]), (game.members, 1))}

    def push(self, game: Game, points: torch.Tensor) -> torch.Tensor:
        """−∂(G's loss)/∂x at points x taken as generated samples, per member ``(E, P, d)``: the
        direction the generator step moves each of its samples (before the chain rule through G)."""
        pack = game.config.train.pack
        with torch.enable_grad():
            x = points.detach().clone().requires_grad_(True)
            n_use = x.shape[1] // pack * pack
            # mean over the points gives each point its own gradient; × P undoes the 1/P
            loss = game.objective.generator_loss(game.D(game.play.pack(x[:, :n_use])))
            (grad,) = torch.autograd.grad(loss.sum(), x)
        return -grad * n_use / pack if n_use else torch.zeros_like(points)

    def optimum(self, game: Game, fake: torch.Tensor, d_real: torch.Tensor,
                d_fake: torch.Tensor) -> dict[str, np.ndarray]:
        """Per member: the JSD between data and generator, mean |D − ½| and mean |D − D*| on the
        samples, and the KDE's bandwidth. p_g is exact for a fake target, else a KDE of all the
        generator samples with p_data seen through the same kernel (``kde_pair``); the JSD is then
        between the two smoothed densities, estimated on samples of them (the points moved by the
        kernel's noise). Only GAP_POINTS of each: the KDE is the costliest part of a snapshot."""
        n, e = GAP_POINTS, game.members
        bandwidth = game.config.record.kde_bandwidth
        stars, jsds, hs = [], [], []
        for m in range(e):
            data_pts = self.fixed_real[m, :n].double().cpu().numpy()
            gen_pts = fake[m, :n].double().cpu().numpy()
            p_data, p_g, h = compared_densities(game.target, fake[m].double().cpu().numpy(),
                                                p_g=game.fake_target, bandwidth=bandwidth,
                                                min_bandwidth=self.min_bandwidth)
            stars.append(optimal_discriminator(p_data, p_g, np.concatenate([data_pts, gen_pts])))
            jitter = h * self.kernel_noise[m]  # (2n, d): samples of the smoothed densities
            jsds.append(jsd_from_samples(p_data, p_g, data_pts + jitter[:len(data_pts)],
                                         gen_pts + jitter[n:n + len(gen_pts)]))
            hs.append(h if game.fake_target is None else np.nan)
        out = {"jsd": np.array(jsds, np.float32), "kde_bandwidth": np.array(hs, np.float32)}
        nan = np.full(e, np.nan, np.float32)
        if not game.objective.probabilistic:  # a critic has no ½ and no D*
            return {**out, "d_half_gap": nan, "d_star_gap": nan}
        both = torch.cat([d_real, d_fake], dim=1)
        out["d_half_gap"] = (both - 0.5).abs().mean(-1).cpu().numpy().astype(np.float32)
        on_samples = torch.cat([d_real[:, :n], d_fake[:, :n]], dim=1).double().cpu().numpy()
        # a packing D's optimum is a ratio of products over the pack, not D* per point
        out["d_star_gap"] = nan if game.config.train.pack > 1 else np.array(
            [np.abs(on_samples[m] - stars[m]).mean() for m in range(e)], np.float32)
        return out

    @staticmethod
    def modes(game: Game, fake: torch.Tensor) -> dict[str, np.ndarray]:
        """Mode coverage of each member's samples; NaN (and no counts) without modes."""
        e = game.members
        if game.target.modes is None:
            nan = np.full(e, np.nan, np.float32)
            return {"modes_captured": nan, "high_quality_fraction": nan, "reverse_kl": nan,
                    "mode_counts": np.zeros((e, 0), np.int32)}
        coverage = [mode_coverage(f.double().cpu().numpy(), game.target) for f in fake]
        return {
            "modes_captured": np.array([c.modes_captured for c in coverage], np.float32),
            "high_quality_fraction": np.array([c.high_quality_fraction for c in coverage], np.float32),
            "reverse_kl": np.array([c.reverse_kl for c in coverage], np.float32),
            "mode_counts": np.stack([c.counts for c in coverage]).astype(np.int32),  # (E, K)
        }

    def history(self, config, *, status: str, message: str, events: list[dict],
                files: dict[str, bytes], evaluation: dict | None = None) -> History:
        """The snapshots so far as a ``History``."""
        eigen = {k: self.snapshots.stacked(k) for k in EIGEN_ARRAYS if self.eigen_parameters}
        return History(
            config=config, window=self.window, steps=np.array(self.steps, dtype=np.int64),
            **{k: self.snapshots.stacked(k) for k in ARRAYS}, **eigen,
            eigen_parameters=self.eigen_parameters,
            scalars={k: self.snapshots.stacked(k) for k in self.scalars},
            status=status, message=message, events=[dict(e) for e in events], files=dict(files),
            evaluation=evaluation,
        )

    def keep(self, first: int, steps: list[int], snapshots: list[dict], moves: int) -> None:
        """Hold another recorder's snapshots from index ``first`` on (those before it are the same
        already): a game that ``follow``s another draws its curves."""
        self.snapshots.truncate(first)
        del self.steps[first:]
        for snap in snapshots:
            self.snapshots.append(snap)
        self.steps.extend(int(s) for s in steps)
        self.moves = moves

    def restore(self, history: History) -> None:
        """Continue after ``history``'s snapshots (a resumed run)."""
        kept = (*ARRAYS, *self.scalars, *(EIGEN_ARRAYS if self.eigen_parameters else ()))
        if self.eigen_parameters and history.eigenvalues is not None:
            n = self.eigen_parameters
            k = n if n <= EXACT_PARAMETERS else history.config.record.eigen_k
            if history.eigenvalues.shape[2] != k or history.eigen_parameters != self.eigen_parameters:
                raise ValueError(f"the history's eigenvalues are {history.eigenvalues.shape[2]} of "
                                 f"{history.eigen_parameters} parameters; this game records {k} of "
                                 f"{self.eigen_parameters}")
        arrays = {**{k: getattr(history, k) for k in (*ARRAYS, *EIGEN_ARRAYS)}, **history.scalars}
        missing = [k for k in kept if arrays.get(k) is None]
        if missing:
            raise ValueError(f"the history lacks {', '.join(missing)}, which this toygan records")
        self.snapshots = Snapshots(max(self.snapshots.capacity, history.n_snapshots))
        for i in range(history.n_snapshots):
            self.snapshots.append({k: arrays[k][i] for k in kept})
        self.steps = [int(s) for s in history.steps]
