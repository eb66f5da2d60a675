"""Writes docs/api.md from the package's public names and docstrings: ``python docs/api.py``.

tests/test_docs.py checks that the page is what this script writes, so it never goes stale.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

MODULES = [
    ("toygan", "the calls: Config, Game, train, History, render"),
    ("toygan.config", "configs: TOML and dataclasses, validated"),
    ("toygan.data", "targets"),
    ("toygan.models", "ensemble MLPs"),
    ("toygan.objectives", "losses and regularisers"),
    ("toygan.game", "the game as an object: step, steer, record, save"),
    ("toygan.training", "train(config): a loop over a Game"),
    ("toygan.methods", "the minimax methods, written once for every game"),
    ("toygan.neural", "the neural GAN as the methods see it"),
    ("toygan.unrolling", "D's optimiser step, differentiable, for unrolled GANs"),
    ("toygan.device", "where the game computes"),
    ("toygan.optimizers", "optimisers by name"),
    ("toygan.players", "your own networks as players"),
    ("toygan.own_ensemble", "your own networks batched over seeds"),
    ("toygan.factories", "functions named in a config: networks and metrics"),
    ("toygan.streams", "the seeded random streams"),
    ("toygan.recorder", "what a snapshot holds"),
    ("toygan.checkpoint", "a game on disk"),
    ("toygan.run_folder", "when a run may be written into a folder, and when a saved one may go on"),
    ("toygan.resources", "what a run needs in memory, checked before work"),
    ("toygan.signals", "the signals that stop a command, and holding them back"),
    ("toygan.history", "what a run records"),
    ("toygan.theory", "D*, V, JSD, KDE"),
    ("toygan.dirac", "the Dirac-GAN and small two-parameter games, in float64 torch"),
    ("toygan.jacobian", "the eigenvalues of a neural GAN's game: the Jacobian of the joint field"),
    ("toygan.metrics", "the metric registry, mode coverage, your own metrics"),
    ("toygan.evaluation", "the evaluation protocol at the end of a run"),
    ("toygan.stats", "statistics over seeds: intervals, paired comparisons, an exact test"),
    ("toygan.testing", "test your own discriminator: assertions calibrated on trained Ds, fit_discriminator"),
    ("toygan.claims", "the theory claims toygan check measures"),
    ("toygan.check", "toygan check: the theory claims and the recipes' checks as one suite"),
    ("toygan.sweep", "sweeps: configurations × seeds on joblib or Dask, with the statistics a claim needs"),
    ("toygan.presets", "named configs"),
    ("toygan.render", "animations, comparisons, players, still figures"),
    ("toygan.render.timing", "frame schedules: when each snapshot is shown"),
    ("toygan.render.captions", "captions: the story line under the title, step by step"),
    ("toygan.render.dynamics", "toygan dirac's views: methods side by side, their spectrum, the radius"),
    ("toygan.live", "the classroom server: play and steer a Game in the browser"),
    ("toygan.recipes", "the recipe library"),
]

# constants carry their description in an attribute docstring, which Python does not keep
CONSTANTS = {
    "TIMINGS": "name → frame schedule: even, log (the early steps slowed down), changes (time where "
               "the picture changes)",
    "MAX_SLOWDOWN": "a schedule shows no snapshot longer than this many times its even share",
    "MAX_CHARS": "the longest caption (160 characters: about two lines on a slide)",
    "Captions": "step → caption text",
    "GALLERY": "the folder of toygan's own recipes, inside the package",
    "HISTORIES": "the folder in a build's output where each recipe's histories are kept (histories)",
    "JSD_METHODS": "name → how jsd integrates: grid, monte-carlo (auto: the grid where it holds)",
    "VALUE_METHODS": "name → how value integrates: grid, monte-carlo",
    "MC_SAMPLES": "draws from each density for Monte Carlo (2**20)",
    "ACTIONS": "live page action → what the session does: play, pause, step, d_step, g_step, reset, save",
    "LIVE_KEYS": "the live page's own settings: live.speed (iterations per frame at most), live.panels, "
                 "live.width",
    "RESTART_KEYS": "settings the live page changes by starting a new game: data.name, train.seed, and "
                    "the networks' widths, depths, latent dimension and prior (model.*)",
    "OPTIMIZERS": "name → optimiser factory (parameters, lr, train config)",
    "METHODS": "name → minimax method: alternating, simultaneous, consensus, extragradient, "
               "optimistic, sga, cgd, hamiltonian",
    "D": "the discriminator's index among the players (0: it moves first)",
    "G": "the generator's index among the players (1)",
    "CONSENSUS_DEFAULT": "γ of the consensus method when none is given (0.3)",
    "SGA_EPSILON": "ε of SGA's alignment rule (0.1)",
    "CG_ITERATIONS": "the most conjugate-gradient iterations of a CGD step (32)",
    "UNROLLED_STEPS": "optimiser name → one differentiable look-ahead step of D (adam, sgd)",
    "MUTABLE": "the settings Game.update may change mid-run",
    "Callback": "callback(game, recorded) → False to stop",
    "Regularizer": "penalty(disc, real, fake, gamma, draw_eps) → (E,)",
    "SCALARS": "the per-snapshot scalars a history records",
    "ARRAYS": "the per-snapshot arrays a history records",
    "EIGEN_ARRAYS": "the per-snapshot arrays of record.eigenvalues: eigenvalues, eigen_field",
    "EXACT_PARAMETERS": "every eigenvalue, from the whole Jacobian, up to this many parameters a member (1,500)",
    "ARNOLDI_PRODUCTS": "Arnoldi stops after about this many products per eigenvalue sought (40)",
    "VIEWS": "what toygan dirac draws: trajectories, spectrum, radius",
    "RADIUS_STEPS": "the step sizes of the radius view: 10⁻³ to 10, 60 a decade",
    "EIGEN_SECONDS": "the longest a run's eigenvalues may be estimated to take (1,200 s)",
    "MANIFOLD_LINES": "latent grid lines of the generator manifold, per family",
    "MANIFOLD_POINTS": "points per latent grid line",
    "FIELD_SIZE": "the push field's grid size per axis",
    "GAP_POINTS": "data and generator samples |D − D*| and the JSD are estimated on",
    "MIN_BANDWIDTH": "the least KDE bandwidth with a rule, as a fraction of the window's width",
    "CHECKPOINT_VERSION": "the checkpoint format this toygan writes",
    "MAX_DATA_FILE_BYTES": "the largest point file or image a target reads (64 MiB): a run keeps a copy",
    "MAX_IMAGE_PIXELS": "the most pixels an image target may have (2**25)",
    "STOP_SIGNALS": "SIGINT, SIGTERM and SIGHUP: Ctrl-C, kill and a closed terminal",
    "CONFIG_FILE": "config.toml",
    "HISTORY_FILE": "history.npz",
    "CHECKPOINT_FILE": "checkpoint.pt",
    "TARGETS": "name → factory of every target a config can name",
    "ACTIVATIONS": "name → activation module",
    "PRIORS": "name → noise prior",
    "OBJECTIVES": "name → objective",
    "OUTPUTS": "what D's output means: logit, probability or critic",
    "REGULARIZERS": "name → penalty on D (None for none)",
    "FORMAT_VERSION": "the history file format this toygan writes",
    "STATUSES": "how a run can end: completed, diverged, interrupted",
    "BANDWIDTH_RULES": "KDE bandwidth rules by name",
    "VARIANTS": "Dirac-GAN variants by name",
    "ESCAPE": "|θ| or |ψ| beyond which a Dirac-GAN path has diverged and stops (10⁶)",
    "UPDATE_SCHEMES": "name → Dirac-GAN update scheme: continuous, simultaneous, alternating",
    "PRESETS": "name → preset",
    "FORMATS": "name (the output's suffix) → output format: gif, mp4, png, html",
    "RECIPE_KINDS": "name → kind of recipe: run, compare, dirac",
    "PANELS": "name → panel class",
    "Density": "anything with log_prob(x) → (n,)",
    "MEAN_TOL": "default bound on the mean |D − D*| under ½(p_data + p_g) (0.1, calibrated)",
    "QUANTILE_TOL": "default bound on the 95th percentile of |D − D*| (0.4, calibrated)",
    "RELATIVE_TOL": "default bound on mean |D − D*| as a share of mean |½ − D*| (0.5, calibrated)",
    "RELATIVE_FLOOR": "a mean |D − D*| below this (0.01) passes the relative bound on any pair",
    "HALF_MEAN_TOL": "default bound on the mean |D − ½| at equilibrium (0.05, calibrated)",
    "HALF_QUANTILE_TOL": "default bound on the 95th percentile of |D − ½| (0.15, calibrated)",
    "QUANTILE": "the quantile of |D − target| the assertions bound besides the mean (0.95)",
    "OUTPUT_KINDS": "what a D under test returns: probability, logit or score (least squares)",
    "FIT_OBJECTIVES": "losses fit_discriminator trains with (their optimum is D*)",
    "CLAIMS": "name → theory claim",
    "RECIPE_PREFIX": "a recipe's claim is recipe:NAME",
    "BACKENDS": "name → where a sweep's tasks run: joblib (local processes), dask (a Dask cluster)",
    "KINDS": "how a sweep's configuration came from its spec: grid, grid × cross, listed",
    "METRICS": "the per-seed metrics a sweep reports: modes_captured, high_quality_fraction, "
               "reverse_kl, d_half_gap, d_star_gap, jsd",
    "__version__": "the installed version",
}


def first_paragraph(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split()).replace("|", "\\|")


def page() -> str:
    lines = ["# Python API", "",
             "Every public name, by module, with the first paragraph of its docstring (`help(name)` "
             "has the rest: arguments, returns, errors). Written by `python docs/api.py`; a test "
             "checks that it is up to date.", ""]
    for name, what in MODULES:
        module = importlib.import_module(name)
        lines += [f"## `{name}`: {what}", "", "| name | what it is |", "|---|---|"]
        for public in module.__all__:
            obj = getattr(module, public)
            described = public in CONSTANTS or not (inspect.isclass(obj) or inspect.isfunction(obj)
                                                    or inspect.ismodule(obj))
            text = CONSTANTS.get(public, "").replace("|", "\\|") if described else first_paragraph(obj)
            lines.append(f"| `{public}` | {text} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    target = Path(__file__).with_name("api.md")
    target.write_text(page(), encoding="utf-8")
    print(f"wrote {target}")
