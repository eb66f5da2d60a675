"""Animation recipes: every file loads, checks measure what they say, the cheap claims hold."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_config

from toygan.cli import main
from toygan.config import Config
from toygan.errors import ToyganError
from toygan.history import History
from toygan.recipes import Check, build, load_recipe, measure, recipe_paths, write_gallery

ROOT = Path(__file__).resolve().parent.parent
RECIPES = recipe_paths(ROOT / "animations")


def test_there_are_at_least_ten_recipes():
    assert len(RECIPES) >= 10, [p.name for p in RECIPES]


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_every_recipe_loads_and_states_a_measured_claim(path):
    recipe = load_recipe(path)
    assert recipe.checks, "a recipe's claim must be measured by at least one check"
    if recipe.kind == "run":
        assert Config.load(path) == recipe.config  # train --config takes a recipe file too
    assert (ROOT / "animations" / f"{recipe.name}.gif").is_file(), "run toygan animations build"
    assert (ROOT / "animations" / f"{recipe.name}.gif").stat().st_size <= 2e6


def _history(values: np.ndarray, steps=None) -> History:
    """A hand-made history whose scalar 'x' is ``values`` (T, E)."""
    t, e = values.shape
    return History(config=tiny_config(), window=(-1, 1, -1, 1),
                   steps=np.arange(t) * 10 if steps is None else np.asarray(steps),
                   samples=np.zeros((t, e, 4, 2)), d_grid=np.zeros((t, e, 2, 2)),
                   scalars={"x": values.astype(float)},
                   push=np.ones((t, e, 4, 2)) * np.arange(t)[:, None, None, None])


def test_checks_measure_at_the_step_they_name():
    h = _history(np.array([[9.0, 9.0, 9.0], [4.0, 2.0, 8.0], [1.0, 2.0, 3.0], [3.0, 2.0, 5.0]]))
    result = measure(Check("x", "<= 3", at_least=2), {"": h})
    assert result.values == [3.0, 2.0, 5.0] and result.passed_seeds == 2 and result.holds
    result = measure(Check("x", "< 3", at_least=1, when="step:15"), {"": h})  # snapshot at 10
    assert result.values == [4.0, 2.0, 8.0] and result.passed_seeds == 1
    result = measure(Check("x", "> 2", at_least=3, when="last-quarter"), {"": h})
    assert result.values == [3.0, 2.0, 5.0] and not result.holds  # the last 1 of 4 snapshots
    assert "DOES NOT HOLD" in result.statement() and "2 > 2" not in result.statement()
    np.testing.assert_allclose(measure(Check("push", "> 0", 1, when="step:20"), {"": h}).values,
                               [np.sqrt(2) * 2] * 3)


def test_a_check_can_compare_two_variants_seed_by_seed():
    a = _history(np.array([[1.0, 5.0, 2.0]]))
    b = _history(np.array([[2.0, 4.0, 3.0]]))
    result = measure(Check("x", "< B", at_least=2, variant="A"), {"A": a, "B": b})
    assert result.passed_seeds == 2 and result.holds


RECIPE = """[recipe]
title = "t"
claim = "c"
look_for = "l"
source = "s"
seeds = 2
{extra}
[train]
steps = 20
"""


@pytest.mark.parametrize("extra, match", [
    ("kind = 'movie'", "recipe.kind = 'movie'"),
    ("colour = 'red'", "unknown \\[recipe\\] key"),
    ("[[recipe.checks]]\nmetric = 'x'\ntest = 'about 3'\nat_least = 1", "test = 'about 3'"),
    ("[[recipe.checks]]\nmetric = 'x'\ntest = '< 3'\nat_least = 5", "asks for 5 seeds"),
    ("[[recipe.checks]]\nmetric = 'x'\ntest = '< 3'\nat_least = 1\nwhen = 'soon'", "when = 'soon'"),
    ("kind = 'compare'\n[[recipe.variants]]\nlabel = 'a'", "at least two"),
    ("kind = 'compare'\n[[recipe.variants]]\nlabel = 'a'\n[[recipe.variants]]\nlabel = 'b'\n"
     "[[recipe.checks]]\nmetric = 'x'\ntest = '< c'\nat_least = 1\nvariant = 'a'", "'c' is neither"),
    ("kind = 'compare'\n[[recipe.variants]]\nlabel = 'a'\nset = {'train.loss' = 'nope'}\n"
     "[[recipe.variants]]\nlabel = 'b'", "nope"),
    ("width = 'abc'", "recipe.width = 'abc'"),
    ("width = true", "recipe.width = True"),
    ("fps = 0", "recipe.fps = 0"),
    ("frames = 1.5", "recipe.frames = 1.5"),
    ("member = -1", "recipe.member = -1"),
])
def test_bad_recipes_are_refused_with_the_reason(tmp_path, extra, match):
    path = tmp_path / "r.toml"
    path.write_text(RECIPE.format(extra=extra))
    with pytest.raises(ToyganError, match=match):
        load_recipe(path)
    (tmp_path / "plain.toml").write_text("[train]\nsteps = 3\n")
    with pytest.raises(ToyganError, match="no \\[recipe\\] table"):
        load_recipe(tmp_path / "plain.toml")


@pytest.mark.parametrize("name", ["dirac-gan", "d-converges-to-d-star", "d-half-at-equilibrium"])
def test_cheap_claims_hold_on_a_small_budget(tmp_path, name):
    """The recipe's own claim, measured on 3 seeds instead of 10 (each well under 10 s)."""
    recipe = load_recipe(ROOT / "animations" / f"{name}.toml")
    if recipe.kind != "dirac":
        recipe = dataclasses.replace(recipe, seeds=3, checks=[
            dataclasses.replace(c, at_least=min(c.at_least, 3)) for c in recipe.checks])
    path, results = build(recipe, tmp_path, say=lambda _: None)
    assert path.stat().st_size > 0
    assert all(r.holds for r in results), [r.statement() for r in results]


def test_build_command_renders_measures_and_writes_the_gallery(tmp_path, capsys):
    folder = tmp_path / "anims"
    folder.mkdir()
    (folder / "tiny.toml").write_text(RECIPE.format(extra=(
        "panels = ['samples', 'convergence']\nwidth = 480\n"
        "[[recipe.checks]]\nmetric = 'd_real'\ntest = '> 0'\nat_least = 2")))
    docs = tmp_path / "docs" / "gallery.md"
    docs.parent.mkdir()
    assert main(["animations", "build", "--dir", str(folder), "--gallery", str(docs)]) == 0
    assert (folder / "tiny.gif").stat().st_size > 0
    measured = json.loads((folder / "results.json").read_text())
    assert measured["tiny"]["holds"] and "in 2 of 2 seeds" in measured["tiny"]["statements"][0]
    readme, page = (folder / "README.md").read_text(), docs.read_text()
    assert "![t](tiny.gif)" in readme and "![t](../anims/tiny.gif)" in page
    assert "in 2 of 2 seeds" in readme
    assert main(["animations", "build", "--dir", str(folder), "--only", "nope"]) == 2
    assert "no recipe named ['nope']" in capsys.readouterr().err
    (folder / "tiny.toml").write_text(RECIPE.format(extra=(
        "width = 480\n[[recipe.checks]]\nmetric = 'd_real'\ntest = '> 2'\nat_least = 1")))
    assert main(["animations", "build", "--dir", str(folder), "--gallery", ""]) == 1
    assert "did not hold" in capsys.readouterr().err
    write_gallery([load_recipe(folder / "tiny.toml")], folder, None)
    assert "DOES NOT HOLD" in (folder / "README.md").read_text()
