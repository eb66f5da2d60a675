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
from toygan.recipes import (
    DEFAULT_SIZE,
    GALLERY,
    PLAY_SECONDS,
    Built,
    Check,
    CheckResult,
    build,
    build_all,
    load_recipe,
    measure,
    recipe_paths,
    shown_seed,
    training_work,
    write_gallery,
)
from toygan.render.figure import frame_size

ROOT = Path(__file__).resolve().parent.parent
RECIPES = recipe_paths(GALLERY)


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


def test_a_recipe_is_drawn_16_by_9_unless_it_names_a_size_or_a_width(tmp_path):
    path = tmp_path / "r.toml"
    for extra, size in [("", DEFAULT_SIZE), ("size = '1080p'", "1080p"), ("width = 640", None)]:
        path.write_text(RECIPE.format(extra=extra))
        assert load_recipe(path).size == size
    width, height = frame_size(DEFAULT_SIZE)
    assert width * 9 == height * 16
    assert all(load_recipe(p).size == DEFAULT_SIZE for p in recipe_paths(GALLERY))


def test_a_recipe_plays_its_frames_in_about_ten_seconds_unless_it_names_an_fps(tmp_path):
    """Its frames over PLAY_SECONDS, between 4 and 12 fps: 12 fps played a 40-frame recipe in 3.3 s."""
    path = tmp_path / "r.toml"
    for extra, fps in [("frames = 40", 4.0), ("frames = 60", 6.0), ("", 10.0), ("frames = 300", 12.0),
                       ("frames = 10", 4.0), ("frames = 40\nfps = 12", 12.0)]:
        path.write_text(RECIPE.format(extra=extra))
        assert load_recipe(path).fps == fps, extra
        assert fps in (4.0, 12.0) or fps * PLAY_SECONDS == load_recipe(path).frames


@pytest.mark.parametrize("overlay, match", [
    ("'yes'", "recipe.overlay = 'yes': must be true or false"),
    ("true", "only a compare recipe"),
])
def test_overlay_is_refused_where_it_cannot_apply(tmp_path, overlay, match):
    path = tmp_path / "r.toml"
    path.write_text(RECIPE.format(extra=f"overlay = {overlay}"))
    with pytest.raises(ToyganError, match=match):
        load_recipe(path)


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
    ("size = '1080x'", "recipe.size = '1080x'"),
    ("size = 1080", "recipe.size = 1080"),
    ("size = '720p'\nwidth = 800", "recipe.size and recipe.width: give one"),
    ("d_range = [0.2, 0.9]", "recipe.d_range = \\[0.2, 0.9\\]: give two numbers centred on 1/2"),
    ("kind = 'compare'\noverlay = true\npanels = ['samples', 'modes']\n[[recipe.variants]]\nlabel = 'a'\n"
     "[[recipe.variants]]\nlabel = 'b'", "recipe.overlay with panels \\['samples', 'modes'\\]"),
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
    recipe = load_recipe(GALLERY / f"{name}.toml")
    if recipe.kind != "dirac":
        recipe = dataclasses.replace(recipe, seeds=3, checks=[
            dataclasses.replace(c, at_least=min(c.at_least, 3)) for c in recipe.checks])
    built = build(recipe, tmp_path, say=lambda _: None)
    assert built.path.stat().st_size > 0
    assert built.holds, [r.statement() for r in built.results]


def _result(values, passed, against=None) -> CheckResult:
    return CheckResult(Check("x", "< 1", 1), sum(passed), len(values), values, against, passed)


def test_the_shown_seed_satisfies_every_check_and_is_nearest_the_median():
    recipe = load_recipe(GALLERY / "ring.toml")
    # seed 2 fails the second check; of the rest, seed 3 is nearest both medians
    first = _result([0.1, 0.9, 0.45, 0.5, 0.2], [True, True, True, True, True])
    second = _result([1.0, 5.0, 3.0, 3.0, 9.0], [True, True, False, True, True])
    assert shown_seed(recipe, [first, second]) == 3
    # a check against another variant counts the seed's margin over it
    margin = _result([5.0, 6.0, 9.0], [True, True, True], against=[4.0, 0.0, 8.0])
    assert shown_seed(recipe, [margin]) in (0, 2)  # margins 1, 6, 1: the median is 1
    assert shown_seed(recipe, [_result([1.0, 2.0], [False, False])]) is None
    assert shown_seed(dataclasses.replace(recipe, member=1), [first, second]) == 1
    assert shown_seed(dataclasses.replace(recipe, member=2), [first, second]) is None


def test_a_build_shows_a_seed_where_every_check_holds_and_says_which(tmp_path):
    recipe = load_recipe(GALLERY / "d-converges-to-d-star.toml")
    recipe = dataclasses.replace(recipe, seeds=4, checks=[
        Check("d_star_gap", "< 1", 4), Check("d_star_gap", "< 0.5", 1)])
    built = build(recipe, tmp_path, say=lambda _: None)
    gaps = built.results[0].values
    assert built.member == int(np.argmin(np.abs(np.asarray(gaps) - np.median(gaps))))
    assert all(r.passed[built.member] for r in built.results)
    assert built.shown() == f"seed {built.member} of 4 shown; every check holds in 4 of 4"
    # no seed passes both halves of a claim that contradicts itself: nothing is drawn, it fails
    recipe = dataclasses.replace(recipe, checks=[Check("d_star_gap", "< 1", 1),
                                                 Check("d_star_gap", "> 1", 1)])
    built = build(recipe, tmp_path / "none", say=lambda _: None)
    assert built.member is None and built.path is None and not built.holds
    assert "no seed of 4 shows the claim" in built.shown()


def test_a_second_build_draws_the_kept_histories_without_training(tmp_path, monkeypatch):
    recipe = load_recipe(GALLERY / "d-half-at-equilibrium.toml")
    recipe = dataclasses.replace(recipe, seeds=2, config=recipe.config.replace(**{"train.steps": 60}),
                                 checks=[Check("d_half_gap", "< 0.5", 2)], frames=4)
    first = build(recipe, tmp_path, say=lambda _: None)
    assert first.trained and (tmp_path / "histories/d-half-at-equilibrium/variant-0.npz").is_file()
    import toygan.recipes.measuring

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(toygan.recipes.measuring, "train", no_training)
    again = build(recipe, tmp_path, size="720p", format="mp4", say=lambda _: None)
    assert not again.trained and again.path.suffix == ".mp4"
    assert [r.values for r in again.results] == [r.values for r in first.results]
    import imageio

    reader = imageio.get_reader(again.path, format="FFMPEG")
    assert reader.get_meta_data()["size"] == (1280, 720)
    reader.close()
    changed = dataclasses.replace(recipe, config=recipe.config.replace(**{"train.steps": 40}))
    with pytest.raises(AssertionError, match="trained again"):  # another config: trains
        build(changed, tmp_path, say=lambda _: None)


def test_build_command_renders_measures_and_writes_the_gallery(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "recipes"
    folder.mkdir()
    (folder / "tiny.toml").write_text(RECIPE.format(extra=(
        "panels = ['samples', 'convergence']\nwidth = 480\n"
        "captions = { 0 = 'the start', 10 = 'half way' }\n"
        "[[recipe.checks]]\nmetric = 'd_real'\ntest = '> 0'\nat_least = 2")))
    docs = tmp_path / "docs" / "gallery.md"
    docs.parent.mkdir()
    out = tmp_path / "anims"
    assert main(["animations", "build", "--recipes", str(folder), "--out", str(out), "--jobs", "1",
                 "--gallery", str(docs)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anims", "docs", "recipes"]  # nothing else
    assert (out / "tiny.gif").stat().st_size > 0
    measured = json.loads((out / "results.json").read_text())
    assert measured["tiny"]["holds"] and "in 2 of 2 seeds" in measured["tiny"]["statements"][0]
    assert measured["tiny"]["seed_index"] in (0, 1) and measured["tiny"]["all_hold_in"] == 2
    readme, page = (out / "README.md").read_text(), docs.read_text()
    assert "![t](tiny.gif)" in readme and "![t](../anims/tiny.gif)" in page
    assert "in 2 of 2 seeds" in readme and "every check holds in 2 of 2" in readme
    assert "[tiny.toml](../recipes/tiny.toml)" in readme
    assert main(["animations", "build", "nope", "--recipes", str(folder)]) == 2
    assert "recipe 'nope': there is no such recipe" in capsys.readouterr().err
    (folder / "tiny.toml").write_text(RECIPE.format(extra=(
        "width = 480\n[[recipe.checks]]\nmetric = 'd_real'\ntest = '> 2'\nat_least = 1")))
    assert main(["animations", "build", "--recipes", str(folder), "--out", str(out)]) == 1
    assert "did not hold" in capsys.readouterr().err
    write_gallery([load_recipe(folder / "tiny.toml")], out, None)
    readme = (out / "README.md").read_text()
    assert "DOES NOT HOLD" in readme
    # no seed shows the claim, so nothing was drawn: the page does not show the earlier GIF
    assert "No animation: the last build found no seed" in readme and "tiny.gif" not in readme


def test_show_prints_a_packaged_recipe_to_copy(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["animations", "show", "ring"]) == 0
    assert capsys.readouterr().out == (GALLERY / "ring.toml").read_text()
    assert main(["animations", "show"]) == 2
    assert "name the recipe to print" in capsys.readouterr().err
    assert main(["animations", "list", "ring", "dirac-gan"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == ["dirac-gan", "ring"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["list", "--size", "720p"], ["show", "ring", "--out", "x"],
                                  ["list", "--format", "mp4"], ["show", "ring", "--retrain"],
                                  ["list", "--jobs", "2"], ["list", "--gallery", "g.md"],
                                  ["list", "--jobs", "0"]])
def test_list_and_show_refuse_the_options_of_build(args, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["animations", *args]) == 2
    err = capsys.readouterr().err
    option = next(a for a in args if a.startswith("--"))
    assert f"{option}: only 'animations build' takes it" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_recipes_build_side_by_side_in_processes(tmp_path, capsys):
    folder = tmp_path / "recipes"
    folder.mkdir()
    (folder / "dirac.toml").write_text((GALLERY / "dirac-gan.toml").read_text())
    (folder / "tiny.toml").write_text(RECIPE.format(extra=(
        "panels = ['samples']\nwidth = 320\nframes = 3\n"
        "[[recipe.checks]]\nmetric = 'd_real'\ntest = '> 0'\nat_least = 2")))
    out = tmp_path / "out"
    assert main(["animations", "build", "--recipes", str(folder), "--out", str(out), "--jobs", "2"]) == 0
    printed = capsys.readouterr().out
    assert "built 2 recipe(s)" in printed and "on 2 process(es)" in printed
    assert sorted(json.loads((out / "results.json").read_text())) == ["dirac", "tiny"]
    assert (out / "dirac.gif").stat().st_size > 0 and (out / "tiny.gif").stat().st_size > 0


def test_a_dirac_recipe_says_it_has_no_seeds_nor_captions_and_names_its_metric(tmp_path):
    text = (GALLERY / "dirac-gan.toml").read_text()
    (tmp_path / "d.toml").write_text(text.replace("[recipe]\n", "[recipe]\ncaptions = { 0 = 'a' }\n", 1))
    with pytest.raises(ToyganError, match="a dirac recipe draws no captions"):
        load_recipe(tmp_path / "d.toml")
    (tmp_path / "d.toml").write_text(text.replace('"distance_ratio"', '"distance"', 1))
    with pytest.raises(ToyganError, match="metric = 'distance': a dirac recipe measures 'distance_ratio'"):
        load_recipe(tmp_path / "d.toml")
    recipe = load_recipe(GALLERY / "dirac-gan.toml")
    assert Built(recipe, [], 0).shown() == "one integration (no seeds)"
    assert Built(recipe, [], None).shown() == "no starting point shows the claim"


def _tiny_recipes(tmp_path) -> Path:
    folder = tmp_path / "recipes"
    folder.mkdir()
    (folder / "tiny.toml").write_text(RECIPE.format(extra=(
        "panels = ['samples']\nwidth = 320\nframes = 3\n"
        "[[recipe.checks]]\nmetric = 'd_real'\ntest = '> 0'\nat_least = 2")))
    return folder


@pytest.mark.parametrize("spoil, needle", [
    (lambda out: (out / "results.json").write_text("{not json"), "not a results file toygan wrote"),
    (lambda out: (out / "results.json").write_text("[1, 2]"), "must map recipe names to tables"),
    (lambda out: (out / "results.json").write_text('{"tiny": 5}'), "must map recipe names to tables"),
    (lambda out: (out / "results.json").write_text('{"tiny": {"seconds": "x"}}'), "tiny.seconds = 'x'"),
    (lambda out: (out / "results.json").write_text('{"tiny": {"shown": 5}}'), "tiny.shown = 5"),
    (lambda out: (out / "results.json").write_text('{"tiny": {"holds": 1}}'), "tiny.holds = 1"),
    (lambda out: (out / "results.json").write_text('{"tiny": {"statements": [3]}}'), "list of lines"),
    (lambda out: (out / "README.md").write_text("# My project\n"), "would write over its README.md"),
    (lambda out: (out / "histories").write_text("x"), "is where this build keeps a recipe's history"),
    (lambda out: (out / "histories/tiny/variant-0.npz").mkdir(parents=True), "a folder is where"),
])
def test_a_build_refuses_an_output_folder_it_would_spoil_before_any_work(tmp_path, capsys, spoil, needle):
    folder, out = _tiny_recipes(tmp_path), tmp_path / "out"
    out.mkdir()
    spoil(out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert main(["animations", "build", "--recipes", str(folder), "--out", str(out), "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # nothing drawn or trained


def test_a_build_refuses_the_packages_recipes_and_pages_that_are_not_its_own(tmp_path, capsys):
    folder = _tiny_recipes(tmp_path)
    page = tmp_path / "notes.md"
    page.write_text("my notes\n")
    for args, needle in [(["--out", str(GALLERY / "sub")], "toygan's own recipe folder"),
                         (["--out", str(tmp_path / "o"), "--gallery", str(page)], "not a gallery page"),
                         (["--out", str(tmp_path / "o"), "--gallery", str(tmp_path)], "is a folder"),
                         (["--out", str(tmp_path / "o"), "--gallery", str(tmp_path / "no/page.md")],
                          "does not exist"),
                         (["--only", ""], "--only '': name recipes")]:
        assert main(["animations", "build", "--recipes", str(folder), *args]) == 2, args
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1, (args, err)
    assert page.read_text() == "my notes\n" and not (tmp_path / "o").exists()
    assert not (GALLERY / "sub").exists()


def test_show_prints_a_recipe_that_does_not_load_so_that_it_can_be_mended(tmp_path, capsys):
    folder = _tiny_recipes(tmp_path)
    (folder / "broken.toml").write_text("[recipe]\ntitle = 3\n")
    assert main(["animations", "show", "broken", "--recipes", str(folder)]) == 0
    assert capsys.readouterr().out == "[recipe]\ntitle = 3\n"
    assert main(["animations", "list", "--recipes", str(folder)]) == 2
    assert "broken.toml" in capsys.readouterr().err


def test_training_work_grows_with_what_a_recipe_trains():
    ring = load_recipe(GALLERY / "ring.toml")
    work = training_work(ring)
    assert training_work(dataclasses.replace(ring, seeds=2 * ring.seeds)) == pytest.approx(2 * work)
    steps = ring.config.train.steps
    longer = dataclasses.replace(ring, config=ring.config.replace(**{"train.steps": 2 * steps}))
    assert training_work(longer) == pytest.approx(2 * work)
    for change in ({"train.d_steps": 5}, {"train.unroll": 5}, {"train.pack": 2},
                   {"train.regularizer": "r1", "train.gamma": 1.0}, {"train.batch_size": 512}):
        assert training_work(dataclasses.replace(ring, config=ring.config.replace(**change))) > work, change
    assert training_work(load_recipe(GALLERY / "dirac-gan.toml")) == 0


def test_training_work_is_proportional_to_the_gallerys_training_times():
    """results.json keeps each recipe's last training time (one core each); for those that train
    for more than half a minute, time per unit of work must agree within 25 % of their median."""
    measured = json.loads((ROOT / "animations" / "results.json").read_text())
    recipes = [load_recipe(p) for p in RECIPES]
    seconds = {r.name: measured[r.name]["train_seconds"] for r in recipes}
    per_unit = {r.name: seconds[r.name] / training_work(r) for r in recipes if (seconds[r.name] or 0) > 30}
    assert len(per_unit) >= 5
    median = np.median(list(per_unit.values()))
    assert all(0.75 < v / median < 1.25 for v in per_unit.values()), per_unit


def test_a_build_of_several_starts_with_the_most_training(tmp_path, monkeypatch):
    import toygan.recipes.building as recipes

    started = []
    monkeypatch.setattr(recipes, "_build_one",
                        lambda recipe, *rest: started.append(recipe.name) or (None, []))
    gallery = [load_recipe(p) for p in RECIPES]
    list(build_all(gallery, tmp_path, jobs=1))
    assert started == [r.name for r in sorted(gallery, key=training_work, reverse=True)]
    assert started[0] == "unrolled-covers-the-ring"
    assert load_recipe(GALLERY / f"{started[-1]}.toml").kind == "dirac"  # no training: last


def test_a_gallery_page_shows_no_picture_of_a_recipe_not_built_there(tmp_path):
    """A build of some recipes writes a page of all of them (a new user's two of 13 showed 11
    broken images)."""
    (tmp_path / "results.json").write_text("{}")
    write_gallery([load_recipe(GALLERY / "ring.toml")], tmp_path, None)
    page = (tmp_path / "README.md").read_text()
    assert "ring.gif" not in page and "Not built here yet: `toygan animations build ring`" in page
