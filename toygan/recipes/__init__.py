"""Animation recipes: one TOML file per teaching animation, with the claim it shows and the check
that measures the claim over seeds.

A recipe file is a config (its ``[data]``, ``[model]``, ``[train]``, ... sections) plus a
``[recipe]`` table::

    [recipe]
    title = "A vanilla GAN collapses on the ring"
    claim = "..."              # the statement the animation teaches
    look_for = "..."           # what a student should watch
    source = "..."             # paper and, where the numbers come from code, the file
    kind = "run"               # run | compare | dirac
    panels = ["samples", "discriminator", "modes"]
    seeds = 10                 # ensemble members trained; the claim is measured over them
    member = 0                 # optional: the seed index shown (default: chosen, see shown_seed)
    quick = true               # cheap enough for `toygan check --quick` (default false)
    timing = "changes"         # kind = "run": when each snapshot is shown (default even)
    fps = 8                    # default: the frames play in about 10 s (4 to 12 fps)
    overlay = true             # kind = "compare": the curves drawn once for all runs (default false)
    d_range = [0.3, 0.7]       # the values of D the colour map spans, for a D near ½ (default [0, 1])

    [recipe.captions]          # optional: step = the line under the title from that step on
    0 = "D tilts toward the data"

    [[recipe.variants]]        # kind = "compare": one column per variant
    label = "R1"
    set = { "train.regularizer" = "r1", "train.gamma" = 1.0 }

    [[recipe.checks]]
    metric = "modes_captured"  # a recorded scalar, or "push" (mean length of the push on G's samples)
    when = "final"             # final | last-quarter (mean) | step:N (the last snapshot ≤ N) |
                               # evaluation (the end-of-run evaluation on record.eval_samples)
    test = "<= 3"              # op and a number, or op and another variant's label (paired by seed)
    at_least = 7               # seeds for which the test must hold
    variant = "GAN"            # kind = "compare": whose metric

A Dirac-GAN recipe (``kind = "dirac"``) has ``runs``, ``steps``, ``lr``, ``view`` (``toygan dirac
--view``) and ``starts`` (starting points evenly round the circle of radius √2 from (1, 1); its
claims are measured from each, as a run's are over seeds) in ``[recipe]``, and its checks use the
metrics of ``DIRAC_METRICS`` (``distance_ratio``: the distance from the equilibrium at the end over
that at the start, below 1 converges; ``stable_up_to``; ``spectral_radius``) per run label
``variant:scheme[:gamma]``.

``build`` trains each recipe once as a batched ensemble of ``seeds`` members, measures every check
on all members, and renders the member nearest the median of the checks among those where every
check holds: the animation and the numbers come from the same run. It keeps the histories, so a
later build at another size or format draws them without training. toygan's own recipes ship in
``GALLERY`` (``toygan/gallery``).

The package, by idea: ``reading`` (recipe files), ``checks`` (a check and its result),
``measuring`` (training or integrating, and reading each check's metric), ``kinds`` (the registry
of recipe kinds), ``building`` (the seed shown, kept histories, the worker pool) and ``gallery``
(``results.json`` and the gallery page).
"""

from toygan.recipes.building import (
    HISTORIES,
    Built,
    build,
    build_all,
    evaluate,
    kept_histories,
    shown_seed,
    training_work,
)
from toygan.recipes.checks import Check, CheckResult
from toygan.recipes.gallery import check_build_folder, read_results, record_results, write_gallery
from toygan.recipes.kinds import RECIPE_KINDS, Kind
from toygan.recipes.measuring import measure
from toygan.recipes.reading import (
    DEFAULT_SIZE,
    GALLERY,
    PLAY_SECONDS,
    Recipe,
    load_recipe,
    recipe_paths,
    with_seeds,
)

__all__ = ["Recipe", "Check", "CheckResult", "Kind", "RECIPE_KINDS", "load_recipe", "recipe_paths",
           "measure", "evaluate", "with_seeds", "build", "build_all", "Built", "shown_seed", "kept_histories",
           "write_gallery", "record_results", "read_results", "training_work", "check_build_folder",
           "GALLERY", "HISTORIES", "DEFAULT_SIZE", "PLAY_SECONDS"]
