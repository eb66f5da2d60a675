"""Reference histories recorded with toygan 0.2.0's training loop, before the loop became
``toygan.Game``: each case's arrays as SHA-256 digests, so that the test can require the new code
to reproduce them bit for bit (tests/test_game.py). Run this file to record them again (only when a
change of results is intended, and say so in the commit).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
REFERENCE_FILE = HERE / "reference_histories.json"
REFERENCE_FILES = {"AuthenticAMD": REFERENCE_FILE, "GenuineIntel": HERE / "reference_histories.GenuineIntel.json"}
"""CPU vendor → its digests. Intel's MKL takes another SGEMM (and vector sqrt) path on an AMD CPU
than on an Intel one, so the same build gives other bits on each; no MKL setting makes them agree.
The AMD file was recorded with 0.2.0's closed loop; the Intel one with the code of 0ce0eb3, whose
Game reproduced the AMD file bit for bit in CI. simultaneous-consensus changed on purpose when
consensus optimisation's field took D's gradient as a function of G too (toygan.methods): it is
recorded on Intel only, until an AMD machine records it."""


def cpu_vendor() -> str:
    """``vendor_id`` of /proc/cpuinfo (``AuthenticAMD``, ``GenuineIntel``), or "" where unknown."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("vendor_id"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""

_TINY = {"train.steps": 40, "train.batch_size": 32, "model.g_width": 16, "model.d_width": 16,
         "record.every": 10, "record.n_samples": 64, "record.grid_size": 16}

CASES: dict[str, tuple[str, dict]] = {
    # the three presets the issue names, on short budgets and their own recording settings
    "ring": ("ring", {"train.steps": 60, "record.every": 20}),
    "grid": ("grid", {"train.steps": 60, "record.every": 20}),
    "ring-r1": ("ring-r1", {"train.steps": 60, "record.every": 20}),
    # every update scheme and option the loop branches on, tiny
    "k3-saturating": ("ring", {**_TINY, "train.d_steps": 3, "train.loss": "saturating"}),
    "simultaneous-consensus": ("ring", {**_TINY, "train.updates": "simultaneous",
                                        "train.consensus": 0.5}),
    "unrolled": ("ring", {**_TINY, "train.unroll": 2, "train.steps": 20}),
    "wgan-gp-noise": ("ring", {**_TINY, "train.loss": "wasserstein",
                               "train.regularizer": "gradient-penalty", "train.gamma": 1.0,
                               "train.instance_noise": 0.05}),
    "wgan-clip-rmsprop": ("ring", {**_TINY, "train.loss": "wasserstein", "train.clip": 0.05,
                                   "train.optimizer": "rmsprop"}),
    "pack3-r2-sgd": ("grid", {**_TINY, "train.pack": 3, "train.regularizer": "r2",
                              "train.gamma": 0.1, "train.optimizer": "sgd", "train.momentum": 0.9}),
    "fixed-target": ("ring", {**_TINY, "train.generator": "target", "fake.name": "ring",
                              "fake.params": {"radius": 1.0}}),
    "frozen-members": ("moons", {**_TINY, "train.generator": "frozen", "train.members": 2}),
    "members-1d": ("ring", {**_TINY, "data.name": "mixture1d", "data.params": {},
                            "model.noise_dim": 1, "train.members": 2, "train.loss": "least-squares"}),
}
"""Case → (preset, overrides)."""

FIELDS = ("steps", "samples", "d_grid", "push", "field", "manifold", "mode_counts")


def config_of(case: str):
    from toygan.presets import preset_config

    preset, overrides = CASES[case]
    return preset_config(preset).replace(**overrides)


def digests(history) -> dict[str, str]:
    """SHA-256 of every recorded array (the scalars by name)."""
    arrays = {name: getattr(history, name) for name in FIELDS}
    arrays.update({f"scalar_{k}": v for k, v in history.scalars.items()})
    return {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest() for k, v in arrays.items()}


if __name__ == "__main__":
    import sys

    from toygan import train

    # python reference_histories.py [CASE ...]: record those cases only (all without names); the
    # other vendors' files then lack them, and the test skips them there until recorded
    target = REFERENCE_FILES.get(cpu_vendor(), REFERENCE_FILE)
    names = sys.argv[1:] or list(CASES)
    out = json.loads(target.read_text()) if sys.argv[1:] and target.exists() else {}
    out.update({case: digests(train(config_of(case), progress=False)) for case in names})
    target.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    for other in set(REFERENCE_FILES.values()) - {target}:
        kept = {k: v for k, v in json.loads(other.read_text()).items() if k not in names}
        other.write_text(json.dumps(kept, indent=1, sort_keys=True) + "\n")
    print(f"wrote {target} ({len(names)} cases)")
