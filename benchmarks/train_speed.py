"""Training speed: toygan's loop (recording at its default cadence) against a plain PyTorch GAN loop.

Both train the same networks (2 → 128 → 128 → 2 and 2 → 128 → 128 → 1, ReLU), with the same batch,
Adam settings, non-saturating loss, k = 1 and real minibatches drawn the same way from the ring of 8,
on one thread, in this one process. The plain loop is what a user would write from the PyTorch
tutorials: ``nn.Sequential`` modules, ``G(z).detach()`` for the D step, ``loss.backward()`` through D
for the G step, non-fused Adam, no recording at all. Runs alternate, and the median of the repeats is
reported, because the machine is shared and noisy.

    python benchmarks/train_speed.py [--steps 2000] [--batch 256] [--repeats 3]

It also runs toygan with a callback that does nothing, to show what the hook costs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import toygan
from toygan.data import ring


def plain_loop(steps: int, batch: int, width: int, seed: int) -> float:
    """A textbook PyTorch GAN loop; returns generator iterations per second."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    target = ring()
    gen = nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                        nn.Linear(width, 2))
    disc = nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                         nn.Linear(width, 1))
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=1e-3, betas=(0.5, 0.999))
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
    start = time.perf_counter()
    for _ in range(steps):
        real = torch.from_numpy(target.sample(batch, rng)).float()
        fake = gen(torch.randn(batch, 2)).detach()
        loss_d = (F.binary_cross_entropy_with_logits(disc(real), ones)
                  + F.binary_cross_entropy_with_logits(disc(fake), zeros))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = F.binary_cross_entropy_with_logits(disc(gen(torch.randn(batch, 2))), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    return steps / (time.perf_counter() - start)


def toygan_loop(steps: int, batch: int, width: int, seed: int, callbacks=()) -> float:
    """``toygan.train`` with the default recording cadence (and ``callbacks``); returns generator
    iterations per second."""
    config = toygan.Config().replace(**{
        "train.steps": steps, "train.batch_size": batch, "train.seed": seed,
        "model.g_width": width, "model.d_width": width, "model.noise_dim": 2,
        "record.eval_samples": 0,  # training and recording only: the end-of-run evaluation is apart
    })
    start = time.perf_counter()
    history = toygan.train(config, callbacks=callbacks, progress=False)
    elapsed = time.perf_counter() - start
    assert history.status == "completed", history.message
    return steps / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    every = toygan.Config().record
    print(f"steps {args.steps}, batch {args.batch}, width {args.width}, 1 thread, torch "
          f"{torch.__version__}; toygan records every {every.every} steps "
          f"({every.n_samples} samples, D on a {every.grid_size}² grid)")
    # warm-up, both sides: allocator, kernels, and the one-time set-up of fused Adam (~0.7 s)
    plain_loop(100, args.batch, args.width, 0)
    toygan_loop(100, args.batch, args.width, 0)
    plain, ours, hooked = [], [], []
    for r in range(args.repeats):
        plain.append(plain_loop(args.steps, args.batch, args.width, r))
        ours.append(toygan_loop(args.steps, args.batch, args.width, r))
        hooked.append(toygan_loop(args.steps, args.batch, args.width, r, callbacks=[nothing]))
        print(f"  repeat {r}: plain {plain[-1]:7.1f} it/s   toygan {ours[-1]:7.1f} it/s   "
              f"toygan + a callback that does nothing {hooked[-1]:7.1f} it/s")
    p, t, h = statistics.median(plain), statistics.median(ours), statistics.median(hooked)
    print(f"median: plain PyTorch loop {p:.1f} it/s, toygan.train {t:.1f} it/s, ratio {t / p:.2f}×")
    print(f"a callback that does nothing: {h:.1f} it/s, costs {100 * (1 - h / t):.1f} % "
          "(negative: within the noise)")
    # the hook alone, without the noise of whole runs: what calling it adds to each step
    from toygan.validate import functions, go_on

    hooks, n = functions([nothing]), 200_000
    start = time.perf_counter()
    for _ in range(n):
        go_on(hooks, None, False)
    per_call = (time.perf_counter() - start) / n
    print(f"the hook itself: {per_call * 1e6:.2f} µs per step, {100 * per_call * t:.3f} % of a "
          f"toygan step at {t:.0f} it/s")


def nothing(game, recorded) -> None:
    """A callback that does nothing: what the hook itself costs."""


if __name__ == "__main__":
    main()
