"""toygan check: claims measured per seed, a table or JSON, exit 0 only when every chosen claim holds."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from toygan.check import Entry, choose, entries, run
from toygan.claims import CLAIMS
from toygan.cli import main
from toygan.errors import ToyganError
from toygan.recipes import GALLERY

ROOT = Path(__file__).resolve().parents[1]


def toygan(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "toygan", *args], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


@pytest.mark.parametrize("name", ["optimal-discriminator", "value-at-optimum", "saturating-gradient",
                                  "dirac-simultaneous", "dirac-alternating", "dirac-r1"])
def test_each_cheap_claim_holds_with_one_value_per_seed(name):
    measured = CLAIMS[name].measure(2)
    assert measured.holds, measured
    assert len(measured.values) == 2


def test_the_list_names_theory_and_recipe_claims(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["check", "--list"]) == 0
    out = capsys.readouterr().out
    for name in [*CLAIMS, "recipe:ring", "recipe:dirac-gan"]:
        assert name in out
    assert len(out.strip().splitlines()) == len(CLAIMS) + len(list(GALLERY.glob("*.toml")))


def test_patterns_choose_claims_in_the_suites_order():
    known = entries(GALLERY)
    assert choose(["dirac-*"], known) == ["dirac-simultaneous", "dirac-alternating", "dirac-r1"]
    assert choose(["recipe:ring*"], known) == ["recipe:ring-collapse", "recipe:ring"]
    with pytest.raises(ToyganError, match="claim 'nope': no such claim"):
        choose(["nope"], known)
    with pytest.raises(ToyganError, match="--recipes DIR"):
        choose(["recipe:ring"], entries(None))


def test_json_reports_values_per_seed_and_the_verdict(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check", "dirac-*", "--seeds", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["holds"] is True
    assert [c["name"] for c in report["claims"]] == ["dirac-simultaneous", "dirac-alternating", "dirac-r1"]
    for claim in report["claims"]:
        assert claim["holds"] and len(claim["rows"][0]["values"]) == 3 and claim["seconds"] >= 0


def test_a_claim_that_does_not_hold_exits_1_and_the_table_says_so(tmp_path):
    recipe = (GALLERY / "dirac-gan.toml").read_text().replace('test = "> 1.2"', 'test = "< 1.2"')
    assert 'test = "< 1.2"' in recipe
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes/dirac-gan.toml").write_text(recipe)
    result = toygan("check", "recipe:*", "dirac-r1", "--recipes", "recipes", "--jobs", "2", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["claim", "result", "time", "measured", "(one", "value", "per", "seed)"]
    assert any(line.startswith("dirac-r1") and " pass " in line for line in lines)
    assert any(line.startswith("recipe:dirac-gan") and " FAIL " in line for line in lines)
    assert "gan:simultaneous: distance_ratio (final) < 1.2 in at least 1 of 1 seeds (held in 0): 1.59 ✗" \
        in result.stdout
    assert "1 of 2 claims hold" in lines[-1] and "failed: recipe:dirac-gan" in lines[-1]


def test_quick_skips_the_costly_recipes_and_says_so():
    known = entries(GALLERY)
    chosen = [known["dirac-r1"], known["recipe:ring"]]
    outcomes = list(run(chosen, quick=True))
    assert outcomes[0].holds and outcomes[1].skipped == "skipped by --quick"


def test_quick_refuses_when_it_would_skip_everything(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["check", "recipe:ring", "--quick"]) == 2
    assert "--quick: skips every claim chosen (recipe:ring)" in capsys.readouterr().err


def test_json_has_no_nan_and_skipped_claims_hold_nothing():
    from toygan.check import Outcome, as_json

    text = as_json([Outcome("a", "s", [("x", [1.0, float("nan")], False)]),
                    Outcome("b", "s", skipped="skipped by --quick")], 1.0)
    report = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    assert report["claims"][0]["rows"][0]["values"] == [1.0, None]
    assert report["claims"][1]["holds"] is None and report["holds"] is False


def test_a_claim_that_crashes_does_not_hold_and_says_why(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text((GALLERY / "dirac-gan.toml").read_text())
    outcome = next(run([Entry("recipe:broken", "x", "y", True, str(tmp_path / "gone.toml"))]))
    assert not outcome.holds and "could not be measured: recipe" in outcome.rows[0][0]


@pytest.mark.parametrize(("args", "needle"), [
    (["--seeds", "0"], "--seeds 0: must be"), (["--jobs", "0"], "--jobs 0: must be"),
    (["--recipes", "nowhere"], "--recipes 'nowhere': no such folder"),
    (["not-a-claim"], "claim 'not-a-claim': no such claim"),
])
def test_bad_input_is_one_line_and_exit_2(args, needle, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


def test_the_packaged_recipes_are_claims_from_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names[:len(CLAIMS)] == list(CLAIMS) and "recipe:ring" in names
    (tmp_path / "empty").mkdir()
    assert main(["check", "--list", "--recipes", "empty"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "toygan check: no recipe files in 'empty', so no recipe claims (--recipes DIR)"
    assert [line.split()[0] for line in lines[1:]] == list(CLAIMS)
