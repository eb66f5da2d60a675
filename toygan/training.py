"""The training loop: Goodfellow et al. (2014), Algorithm 1, for E ensemble members at once.

For each generator step: k discriminator steps, each on a fresh minibatch of m real points and m
noise vectors (D ascends V), then one generator step on a fresh noise minibatch (G descends its loss)
— or, with ``train.updates = "simultaneous"``, one step of both players from the same point;
with ``train.unroll = K`` G's loss looks K differentiable D steps ahead (Metz et al. 2016). D's
loss carries the chosen regulariser (R1, R2, gradient penalty), instance noise blurs what D sees,
and weight clipping follows each D step of a WGAN.
Snapshots go into a ``History``; a NaN or inf loss stops the run cleanly with what was recorded.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.func import functional_call
from tqdm.auto import tqdm

from toygan.config import Config
from toygan.data import make_target
from toygan.errors import ToyganError
from toygan.history import History
from toygan.metrics import mode_coverage
from toygan.models import Discriminator, Generator, sample_prior
from toygan.objectives import OBJECTIVES, gradient_penalty, r1_penalty
from toygan.theory import compared_densities, jsd_from_samples, optimal_discriminator

if TYPE_CHECKING:
    from toygan.checkpoint import Checkpoint

__all__ = ["train"]

SCALARS = ("d_real", "d_fake", "value", "d_half_gap", "d_star_gap", "jsd", "modes_captured",
           "high_quality_fraction", "reverse_kl", "loss_d", "loss_g")
"""Per-snapshot scalars a history records, each ``(T, E)``."""
_ARRAYS = ("samples", "d_grid", "push", "field", "manifold", "mode_counts")
"""The per-snapshot arrays a history records (its fields of the same names)."""
_GRID_CHUNK = 512  # D on the grid in chunks: faster than one call (activations stay in cache)
_GAP_POINTS = 128  # |D − D*| is averaged over this many data and as many generator samples
MANIFOLD_LINES, MANIFOLD_POINTS = 11, 41
"""The generator manifold is G on 2 × 11 latent grid lines (z1 varying at fixed z2, then z2 at
fixed z1) of 41 points each."""
FIELD_SIZE = 15
"""The push on generated points is also recorded on a 15 × 15 grid over the window."""


def latent_grid(prior: str, noise_dim: int) -> torch.Tensor:
    """The latent grid lines G maps to its manifold, ``(2·LINES·POINTS, noise_dim)``: over ±2 (95 %
    of the mass per axis) for a normal prior, over [−1, 1] for a uniform one; other dims at 0. A
    one-dimensional latent has a single line, ``(POINTS, 1)``."""
    reach = 2.0 if prior == "normal" else 1.0
    along = torch.linspace(-reach, reach, MANIFOLD_POINTS)
    if noise_dim == 1:  # one latent line: the z axis of Goodfellow et al.'s Figure 1
        return along[:, None]
    levels = torch.linspace(-reach, reach, MANIFOLD_LINES)
    fixed, moving = torch.meshgrid(levels, along, indexing="ij")  # (LINES, POINTS)
    z = torch.zeros(2, MANIFOLD_LINES, MANIFOLD_POINTS, noise_dim)
    z[0, ..., 0], z[0, ..., 1] = moving, fixed  # z1 varies along each line of the first family
    z[1, ..., 0], z[1, ..., 1] = fixed, moving
    return z.reshape(-1, noise_dim)


def _optimizer(cfg: Config, params, lr: float) -> torch.optim.Optimizer:
    t = cfg.train
    if t.optimizer == "adam":
        # fused Adam: one kernel for all parameters, 10–20 % faster at these sizes (MACHINE_FACTS)
        return torch.optim.Adam(params, lr=lr, betas=tuple(t.betas), fused=True)
    if t.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=t.momentum)
    return torch.optim.SGD(params, lr=lr, momentum=t.momentum)


def resolve_device(name: str) -> torch.device:
    """``cpu``, ``cuda`` or ``auto`` (cuda if there is one) as a torch device.

    Random draws stay on the CPU generators and move to the device, so a run starts from the
    same weights and sees the same data on every device; the arithmetic on a GPU may still round
    differently (bit-identical results are promised on the CPU only).
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ToyganError("train.device = 'cuda': torch sees no CUDA device here; use 'cpu' or "
                          "'auto'")
    return torch.device(name)


def _grid_points(window: tuple[float, float, float, float], size: int, dim: int = 2) -> torch.Tensor:
    """``size`` points over the window's x range for ``dim`` 1, else a size × size grid, row-major
    in y: ``(size**dim, dim)``."""
    if dim == 1:
        return torch.from_numpy(np.linspace(window[0], window[1], size)[:, None]).float()
    xs, ys = np.linspace(window[0], window[1], size), np.linspace(window[2], window[3], size)
    xx, yy = np.meshgrid(xs, ys)  # xx[j, i] = xs[i], yy[j, i] = ys[j]
    return torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], axis=1)).float()  # (R*R, 2)


@torch.no_grad()
def _d_on_points(disc: Discriminator, points: torch.Tensor, reading, pack: int = 1) -> torch.Tensor:
    """What D says (``reading`` of its output) at shared points ``(P, 2)``, per member → ``(E, P)``.
    A packing D (PacGAN) is shown on packs of ``pack`` copies of each point."""
    out = [disc(chunk.repeat(1, pack).expand(disc.members, -1, -1))
           for chunk in points.split(_GRID_CHUNK)]
    return reading(torch.cat(out, dim=1))


def _unrolled_parameters(params: dict[str, torch.Tensor], grads: list[torch.Tensor], state: dict,
                         cfg: Config) -> dict[str, torch.Tensor]:
    """One differentiable step of D's optimiser (Metz et al. 2016, Eq. 2–3): new tensors that keep
    the graph back to the old ones. Adam continues from ``state`` (copies of the optimiser's moment
    estimates, updated in place); √v̂ is taken as √(v̂ + ε²), smooth at v̂ = 0, so that
    differentiating through it cannot give inf · 0. SGD ignores momentum here."""
    t = cfg.train
    out = {}
    for (name, p), g in zip(params.items(), grads, strict=True):
        if t.optimizer == "sgd":
            out[name] = p - t.lr_d * g
            continue
        b1, b2 = t.betas
        s = state[name]
        s["step"] += 1
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1 ** s["step"])
        v_hat = s["v"] / (1 - b2 ** s["step"])
        out[name] = p - t.lr_d * m_hat / torch.sqrt(v_hat + 1e-16)
    return out


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


def train(config: Config | None = None, *, progress: bool = True,
          stop: Callable[[int], bool] | None = None, resume: Checkpoint | None = None) -> History:
    """Train a GAN (or an ensemble of ``config.train.members`` GANs) and record its history.

    Args:
        config: the run; ``None`` for the defaults (non-saturating GAN on the ring of 8), or the
            checkpoint's config when resuming.
        progress: show a progress bar on stderr.
        stop: called after every whole step with the step number; True stops the run there, as
            Ctrl-C does (a time budget, a test).
        resume: a ``toygan.checkpoint.Checkpoint`` to continue from; the finished history equals,
            bit for bit on the CPU, that of the run done without the interruption.

    Returns:
        The ``History``. Its ``status`` is ``"completed"``, ``"diverged"`` (a loss or a recorded
        value became NaN or inf: training stopped there and the history ends at the last finite
        snapshot; ``message`` says at which step) or ``"interrupted"`` (Ctrl-C, or ``stop``). An
        interrupted history carries ``resume_state`` for ``Checkpoint.of(history)``: Ctrl-C is
        caught and acted on at the end of the current step, so the state is whole (a second
        Ctrl-C stops at once, without it).
    """
    if resume is not None:
        if config is not None and config != resume.history.config:
            raise ToyganError("resume: the checkpoint was taken for another config; pass "
                              "config=None to continue with the checkpoint's own")
        config = resume.history.config
    cfg = config or Config()
    t, m, rec = cfg.train, cfg.model, cfg.record
    target = make_target(cfg.data.name, cfg.data.params)
    fake_target = make_target(cfg.fake.name, cfg.fake.params) if t.generator == "target" else None
    dim = target.dim  # 2, or 1 for a 1D target
    if fake_target is not None and fake_target.dim != dim:
        raise ToyganError(f"fake.name = {cfg.fake.name!r} has {fake_target.dim} dimension(s) but "
                          f"data.name = {cfg.data.name!r} has {dim}; they must match")
    train_g = t.generator == "trained"
    window = tuple(rec.window) if rec.window else target.bounds()
    objective = OBJECTIVES[t.loss]
    n_members = t.members
    device = resolve_device(t.device)

    # --- seeding: every random draw of member i comes from streams seeded by seed + i alone,
    # so member i of an ensemble replays the single run with seed + i ---
    states = [np.random.SeedSequence(t.seed + i).generate_state(9) for i in range(n_members)]
    torch_gen = [[torch.Generator().manual_seed(int(s[j])) for s in states] for j in range(4)]
    g_init, d_init, noise_gen, fixed_noise_gen = torch_gen
    data_rng = [np.random.default_rng(int(s[4])) for s in states]
    eval_rng = [np.random.default_rng(int(s[5])) for s in states]
    fake_rng = [np.random.default_rng(int(s[6])) for s in states]
    reg_gen = [torch.Generator().manual_seed(int(s[7])) for s in states]  # ε of GP, instance noise
    kernel_noise = np.stack([np.random.default_rng(int(s[8])).standard_normal((2 * _GAP_POINTS, dim))
                             for s in states])  # fixed N(0, I) draws for the recorded JSD

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(t.threads)
    try:
        gen = Generator(n_members, m.noise_dim, m.g_width, m.g_depth, m.activation, out_dim=dim)
        disc = Discriminator(n_members, m.d_width, m.d_depth, m.activation, in_dim=dim * t.pack)
        gen.reset_parameters(g_init)  # on the CPU, so every device starts from the same weights
        disc.reset_parameters(d_init)
        gen.to(device)
        disc.to(device)
        g_params, d_params = list(gen.parameters()), list(disc.parameters())
        opt_g = _optimizer(cfg, g_params, t.lr_g)
        opt_d = _optimizer(cfg, d_params, t.lr_d)

        def clear_grads(params: list[torch.Tensor]) -> None:
            for p in params:  # what zero_grad(set_to_none=True) does, without its per-call overhead
                p.grad = None

        def set_trainable(params: list[torch.Tensor], flag: bool) -> None:
            for p in params:
                p.requires_grad_(flag)

        def real_batch(n: int, rngs: list[np.random.Generator], source=target) -> torch.Tensor:
            return torch.from_numpy(np.stack([source.sample(n, r) for r in rngs])).float().to(device)

        def noise_batch(n: int, gens: list[torch.Generator]) -> torch.Tensor:
            return sample_prior(m.prior, n, m.noise_dim, gens).to(device)

        fixed_noise = noise_batch(rec.n_samples, fixed_noise_gen)  # (E, N, nz)
        fixed_real = real_batch(rec.n_samples, eval_rng)  # (E, N, 2)
        fixed_fake = real_batch(rec.n_samples, eval_rng, fake_target) if fake_target else None

        n_batch = t.batch_size * t.pack  # samples per minibatch: batch_size packs of t.pack

        def pack(x: torch.Tensor) -> torch.Tensor:
            """(E, B·m, d) → (E, B, d·m): D sees m samples at once (PacGAN, Lin et al. 2018)."""
            return x if t.pack == 1 else x.reshape(x.shape[0], -1, dim * t.pack)

        def blur(x: torch.Tensor) -> torch.Tensor:
            """Instance noise: every point D sees gets N(0, σ²) added (Sønderby et al. 2017)."""
            if t.instance_noise == 0:
                return x
            noise = torch.stack([torch.randn(x.shape[1:], generator=g) for g in reg_gen]).to(device)
            return x + t.instance_noise * noise

        def d_loss_terms(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
            """D's loss on one minibatch, with its regulariser, per member ``(E,)``."""
            real, fake = blur(real), blur(fake)
            loss = objective.discriminator_loss(disc(real), disc(fake))
            if t.regularizer == "r1":
                loss = loss + r1_penalty(disc, real, t.gamma)
            elif t.regularizer == "r2":
                loss = loss + r1_penalty(disc, fake, t.gamma)
            elif t.regularizer == "gradient-penalty":
                eps = torch.stack([torch.rand(real.shape[1], 1, generator=g) for g in reg_gen]).to(device)
                loss = loss + gradient_penalty(disc, real, fake, t.gamma, eps)
            return loss

        def unrolled_generator_loss(fake: torch.Tensor) -> torch.Tensor:
            """G's loss on ``fake`` against D after t.unroll look-ahead steps, each on fresh
            minibatches, with G's samples in the graph so that G sees how D would react."""
            params = dict(disc.named_parameters())
            state = {}
            if t.optimizer == "adam":
                for name, p in params.items():
                    st = opt_d.state.get(p, {})
                    state[name] = {
                        "step": float(st["step"]) if "step" in st else 0.0,
                        "m": st["exp_avg"].detach().clone() if "exp_avg" in st else torch.zeros_like(p),
                        "v": st["exp_avg_sq"].detach().clone() if "exp_avg_sq" in st else torch.zeros_like(p),
                    }
            for _ in range(t.unroll):
                real = blur(pack(real_batch(n_batch, data_rng)))
                ahead = blur(pack(gen(noise_batch(n_batch, noise_gen))))
                loss = objective.discriminator_loss(functional_call(disc, params, (real,)),
                                                    functional_call(disc, params, (ahead,)))
                grads = torch.autograd.grad(loss.sum(), list(params.values()), create_graph=True)
                params = _unrolled_parameters(params, list(grads), state, cfg)
            return objective.generator_loss(functional_call(disc, params, (blur(pack(fake)),)))

        @torch.no_grad()
        def clip_d() -> None:
            if t.clip > 0:  # WGAN: keep the critic Lipschitz by clamping its weights
                for p in d_params:
                    p.clamp_(-t.clip, t.clip)

        @torch.no_grad()
        def fake_batch(n: int) -> torch.Tensor:
            if fake_target is not None:
                return real_batch(n, fake_rng, fake_target)
            return gen(noise_batch(n, noise_gen))  # (E, n, 2)

        def optimum(real: torch.Tensor, fake: torch.Tensor) -> tuple[list[np.ndarray], np.ndarray]:
            """Per member: D* at the first _GAP_POINTS data and generator samples, and the JSD
            between data and generator. p_g is exact for a fake target, else a KDE of all the
            generator samples with p_data seen through the same kernel (``kde_pair``); the JSD
            is then between the two smoothed densities, estimated on samples of them (the points
            moved by the kernel's noise). Only _GAP_POINTS of each: the KDE is the costliest part
            of a snapshot."""
            n = _GAP_POINTS
            stars, jsds = [], []
            for e in range(n_members):
                data_pts, gen_pts = real[e, :n].double().cpu().numpy(), fake[e, :n].double().cpu().numpy()
                p_data, p_g, h = compared_densities(target, fake[e].double().cpu().numpy(), p_g=fake_target,
                                                    bandwidth=rec.kde_bandwidth)
                stars.append(optimal_discriminator(p_data, p_g, np.concatenate([data_pts, gen_pts])))
                jitter = h * kernel_noise[e]  # (2n, 2): samples of the smoothed densities
                jsds.append(jsd_from_samples(p_data, p_g, data_pts + jitter[:len(data_pts)],
                                             gen_pts + jitter[n:n + len(gen_pts)]))
            return stars, np.array(jsds)

        grid = _grid_points(window, rec.grid_size, dim).to(device)
        grid_shape = (rec.grid_size,) * dim
        field_points = _grid_points(window, FIELD_SIZE, dim).to(device)
        manifold_z = latent_grid(m.prior, m.noise_dim).to(device).expand(n_members, -1, -1)

        def push(points: torch.Tensor) -> torch.Tensor:
            """−∂(G's loss)/∂x at points x taken as generated samples, per member ``(E, P, 2)``: the
            direction the generator step moves each of its samples (before the chain rule through G)."""
            with torch.enable_grad():
                x = points.detach().clone().requires_grad_(True)
                n_use = x.shape[1] // t.pack * t.pack
                # mean over the points gives each point its own gradient; × P undoes the 1/P
                loss = objective.generator_loss(disc(pack(x[:, :n_use])))
                (grad,) = torch.autograd.grad(loss.sum(), x)
            return -grad * n_use / t.pack if n_use else torch.zeros_like(points)

        @torch.no_grad()
        def snapshot(loss_d: torch.Tensor, loss_g: torch.Tensor) -> dict[str, np.ndarray] | None:
            """The recorded state, or None if any of it is NaN or inf."""
            fake = fixed_fake if fixed_fake is not None else gen(fixed_noise)  # (E, N, 2)
            n_use = fake.shape[1] // t.pack * t.pack  # whole packs only
            real_out, fake_out = disc(pack(fixed_real[:, :n_use])), disc(pack(fake[:, :n_use]))
            d_grid = _d_on_points(disc, grid, objective.reading, t.pack)
            d_real, d_fake = objective.reading(real_out), objective.reading(fake_out)  # (E, N)
            snap = {
                "samples": fake, "d_grid": d_grid.reshape(n_members, *grid_shape),
                "d_real": d_real.mean(-1), "d_fake": d_fake.mean(-1),
                # the objective's own value; V(D, G) of Eq. 1 for the two standard GAN losses
                "value": -objective.discriminator_loss(real_out, fake_out),
                "loss_d": loss_d, "loss_g": loss_g,
                "push": push(fake),
                "field": push(field_points.repeat(1, t.pack).reshape(-1, dim).expand(n_members, -1, -1)
                              )[:, ::t.pack].reshape(n_members, *(FIELD_SIZE,) * dim, dim),
                "manifold": (gen(manifold_z) if fake_target is None
                             else torch.zeros(n_members, 0, dim, device=device)),
            }
            if not all(torch.isfinite(v).all() for v in snap.values()):
                return None
            snap = {k: v.cpu().numpy().astype(np.float32) for k, v in snap.items()}
            nan = np.full(n_members, np.nan, np.float32)
            stars, jsds = optimum(fixed_real, fake)
            snap["jsd"] = jsds.astype(np.float32)
            if objective.probabilistic:
                both = torch.cat([d_real, d_fake], dim=1)
                snap["d_half_gap"] = (both - 0.5).abs().mean(-1).cpu().numpy().astype(np.float32)
                n = _GAP_POINTS
                # a packing D's optimum is a ratio of products over the pack, not D* per point
                on_samples = torch.cat([d_real[:, :n], d_fake[:, :n]], dim=1).double().cpu().numpy()
                snap["d_star_gap"] = nan if t.pack > 1 else np.array(
                    [np.abs(on_samples[e] - stars[e]).mean() for e in range(n_members)], np.float32)
            else:  # a critic has no ½ and no D*
                snap["d_half_gap"] = snap["d_star_gap"] = nan
            snap.update(mode_scalars(fake))
            return snap

        def mode_scalars(fake: torch.Tensor) -> dict[str, np.ndarray]:
            """Mode coverage of each member's samples; NaN (and no counts) without modes."""
            if target.modes is None:
                nan = np.full(n_members, np.nan, np.float32)
                return {"modes_captured": nan, "high_quality_fraction": nan, "reverse_kl": nan,
                        "mode_counts": np.zeros((n_members, 0), np.int32)}
            coverage = [mode_coverage(f.double().cpu().numpy(), target) for f in fake]
            return {
                "modes_captured": np.array([c.modes_captured for c in coverage], np.float32),
                "high_quality_fraction": np.array([c.high_quality_fraction for c in coverage],
                                                  np.float32),
                "reverse_kl": np.array([c.reverse_kl for c in coverage], np.float32),
                "mode_counts": np.stack([c.counts for c in coverage]).astype(np.int32),  # (E, K)
            }

        numpy_streams = {"data": data_rng, "fake": fake_rng}
        torch_streams = {"noise": noise_gen, "reg": reg_gen}

        def state_at(step: int) -> dict:
            """Everything the loop carries from one step to the next (see toygan.checkpoint)."""
            return {
                "step": step, "since": since, "sum_d": sum_d.clone(), "sum_g": sum_g.clone(),
                "gen": gen.state_dict(), "disc": disc.state_dict(),
                "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
                "numpy": {k: [r.bit_generator.state for r in v] for k, v in numpy_streams.items()},
                "torch": {k: [g.get_state() for g in v] for k, v in torch_streams.items()},
            }

        status, message = "completed", ""
        if resume is None:
            snaps = [snapshot(torch.zeros(n_members, device=device), torch.zeros(n_members, device=device))]
            snaps[0]["loss_d"][:] = snaps[0]["loss_g"][:] = np.nan  # no training loss before step 0
            steps = [0]
            sum_d = torch.zeros(n_members, device=device)
            sum_g = torch.zeros(n_members, device=device)
            since = 0  # generator steps since the last snapshot
            start = 0
        else:
            snaps, steps = _snapshots_of(resume.history), [int(s) for s in resume.history.steps]
            r = resume.state
            gen.load_state_dict(r["gen"])
            disc.load_state_dict(r["disc"])
            opt_g.load_state_dict(r["opt_g"])
            opt_d.load_state_dict(r["opt_d"])
            for key, streams in numpy_streams.items():
                for stream, saved in zip(streams, r["numpy"][key], strict=True):
                    stream.bit_generator.state = saved
            for key, streams in torch_streams.items():
                for stream, saved in zip(streams, r["torch"][key], strict=True):
                    stream.set_state(saved)
            sum_d, sum_g = r["sum_d"].to(device).clone(), r["sum_g"].to(device).clone()
            since, start = r["since"], r["step"]
        bar = tqdm(total=t.steps, initial=start, disable=not progress, unit="step", desc="training",
                   dynamic_ncols=True, mininterval=0.5)
        step = start
        resume_state = None
        ctrl_c = _CtrlC()  # Ctrl-C from here on stops the loop at the end of the current step
        try:
            for step in range(start + 1, t.steps + 1):
                if t.updates == "simultaneous" and train_g:
                    # --- both players step from the same point: gradients first, then steps ---
                    real = real_batch(n_batch, data_rng)  # (E, m, 2)
                    fake = gen(noise_batch(n_batch, noise_gen))  # (E, m, 2), in G's graph
                    loss_d = d_loss_terms(pack(real), pack(fake.detach()))
                    loss_g = objective.generator_loss(disc(blur(pack(fake))))
                    grads = consensus_gradients([loss_d.sum(), loss_g.sum()], [d_params, g_params],
                                                t.consensus)
                    for p, g in zip(d_params + g_params, grads, strict=True):
                        p.grad = g
                    opt_d.step()
                    opt_g.step()
                    clip_d()
                    sum_d += loss_d.detach()
                else:
                    # --- k discriminator steps on fresh minibatches: D ascends its objective ---
                    for _ in range(t.d_steps):
                        real = real_batch(n_batch, data_rng)  # (E, m, 2)
                        fake = fake_batch(n_batch)  # (E, m, 2)
                        loss_d = d_loss_terms(pack(real), pack(fake))  # (E,)
                        clear_grads(d_params)
                        # members are independent, so the sum gives each one its own gradient
                        loss_d.sum().backward()
                        opt_d.step()
                        clip_d()
                        sum_d += loss_d.detach() / t.d_steps

                    # --- one generator step against the updated D; D's weights need no gradient ---
                    if train_g and t.unroll:
                        fake = gen(noise_batch(n_batch, noise_gen))
                        loss_g = unrolled_generator_loss(fake)
                        g_grads = torch.autograd.grad(loss_g.sum(), g_params)
                        for p, g in zip(g_params, g_grads, strict=True):
                            p.grad = g
                        opt_g.step()
                    elif train_g:
                        set_trainable(d_params, False)
                        fake = gen(noise_batch(n_batch, noise_gen))
                        loss_g = objective.generator_loss(disc(blur(pack(fake))))
                        clear_grads(g_params)
                        loss_g.sum().backward()
                        opt_g.step()
                        set_trainable(d_params, True)
                    else:  # a fixed p_g: G's loss is still recorded, on the fake batch D just saw
                        with torch.no_grad():
                            loss_g = objective.generator_loss(disc(pack(fake)))
                sum_g += loss_g.detach()
                since += 1

                # --- divergence guard: stop at the first non-finite loss ---
                if not (torch.isfinite(loss_d).all() and torch.isfinite(loss_g).all()):
                    bad = int(torch.nonzero(~(torch.isfinite(loss_d) & torch.isfinite(loss_g)))[0])
                    status = "diverged"
                    message = (f"training diverged at step {step}: member {bad} has loss_d = "
                               f"{loss_d[bad].item()}, loss_g = {loss_g[bad].item()}")
                    break

                if step % rec.every == 0 or step == t.steps:
                    snap = snapshot(sum_d / since, sum_g / since)
                    if snap is None:
                        status = "diverged"
                        message = f"training diverged at step {step}: a recorded value is NaN or inf"
                        break
                    snaps.append(snap)
                    steps.append(step)
                    sum_d.zero_()
                    sum_g.zero_()
                    bar.update(since)
                    since = 0
                    bar.set_postfix(D_real=f"{snap['d_real'][0]:.2f}",
                                    D_fake=f"{snap['d_fake'][0]:.2f}", refresh=False)

                # --- a stop between two steps keeps a whole state to resume from ---
                if (ctrl_c.pressed or (stop is not None and stop(step))) and step < t.steps:
                    status, message = "interrupted", f"training interrupted at step {step}"
                    resume_state = state_at(step)
                    break
        except KeyboardInterrupt:  # a second Ctrl-C, or one where no handler could be installed
            status, message = "interrupted", f"training interrupted during step {step}"
        finally:
            ctrl_c.restore()
        bar.close()
        if status != "completed":
            message += f"; kept {len(steps)} snapshots, up to step {steps[-1]}"
    finally:
        torch.set_num_threads(previous_threads)

    return History(
        config=cfg, window=window, steps=np.array(steps, dtype=np.int64),
        **{k: np.stack([s[k] for s in snaps], axis=0) for k in _ARRAYS},
        scalars={k: np.stack([s[k] for s in snaps], axis=0) for k in SCALARS},
        status=status, message=message, resume_state=resume_state,
    )


def _snapshots_of(history: History) -> list[dict[str, np.ndarray]]:
    """A history's snapshots as the per-snapshot dicts the loop appends to (for resuming)."""
    arrays = {**{k: getattr(history, k) for k in _ARRAYS}, **history.scalars}
    if any(a is None for a in arrays.values()):
        raise ToyganError("resume: the checkpoint's history lacks recordings this toygan makes")
    return [{k: v[i] for k, v in arrays.items()} for i in range(history.n_snapshots)]


class _CtrlC:
    """While alive, the first SIGINT only sets ``pressed`` (the loop stops at the end of the step,
    with a whole state); a second one raises KeyboardInterrupt at once. Outside the main thread,
    where Python allows no handler, SIGINT keeps its default (KeyboardInterrupt)."""

    def __init__(self) -> None:
        self.pressed = False
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def restore(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
