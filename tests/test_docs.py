"""The docs' examples run, and the reference pages name every field and preset."""

import dataclasses
import re
from pathlib import Path

import pytest

from toygan import Config
from toygan.config import DataConfig, ModelConfig, RecordConfig, TrainConfig
from toygan.recipes import GALLERY

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(path: Path) -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S))


PAGES_WITH_PYTHON = [str(p.relative_to(ROOT))
                     for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
                     if "```python" in p.read_text()]


# every page's Python runs; theory.md and sweeps.md in their own tests, which also check what they print
@pytest.mark.parametrize("page", [p for p in PAGES_WITH_PYTHON
                                  if p not in ("docs/theory.md", "docs/sweeps.md")])
def test_python_examples_run(page, tmp_path, monkeypatch):
    from toygan.methods import METHODS
    from toygan.render import PANELS

    monkeypatch.chdir(tmp_path)  # the README example writes runs/ under the working directory
    code = python_blocks(ROOT / page)
    assert code
    panels, methods = dict(PANELS), dict(METHODS)
    try:
        exec(compile(code, page, "exec"), {})
    finally:  # docs/animation.md registers a panel, docs/methods.md a method: the other tests see toygan's
        PANELS.clear()
        PANELS.update(panels)
        METHODS.clear()
        METHODS.update(methods)
    if page == "docs/animation.md":
        assert (tmp_path / "spread.png").stat().st_size > 0


def test_theory_page_prints_what_it_says(monkeypatch, capsys):
    """Each ``print(...)  # expected`` line of docs/theory.md prints the text before any ' = '."""
    monkeypatch.chdir(ROOT)  # the page loads animations/*.toml
    code = python_blocks(ROOT / "docs/theory.md")
    expected = [m.split(" = ")[0].strip() for m in re.findall(r"^print\(.*\)\s+# (.*)$", code, flags=re.M)]
    exec(compile(code, "theory.md", "exec"), {})
    printed = capsys.readouterr().out.strip().splitlines()
    assert [line.strip() for line in printed] == expected


def test_the_sweep_example_prints_and_draws_what_the_page_says(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    page = (ROOT / "docs/sweeps.md").read_text()
    exec(compile(python_blocks(ROOT / "docs/sweeps.md"), "docs/sweeps.md", "exec"), {})
    said = re.search(r"It prints `(.*?)`\.", page, re.S).group(1)
    assert capsys.readouterr().out.strip() == " ".join(said.split())
    assert (tmp_path / "sweeps/d_steps/jsd.png").stat().st_size > 0


def test_quickstart_prints_what_it_says():
    code = python_blocks(ROOT / "docs/quickstart.md")
    namespace: dict = {}
    exec(compile(code, "quickstart", "exec"), namespace)
    assert str(namespace["history"]).startswith("History(7 snapshots to step 300")
    assert namespace["history"].samples.shape == (7, 1, 512, 2)


def test_config_reference_names_every_field_and_its_default():
    text = (ROOT / "docs/config.md").read_text()
    for cls in (DataConfig, ModelConfig, TrainConfig, RecordConfig):
        for field in dataclasses.fields(cls):
            assert f"`{field.name}`" in text, field.name
    toml = re.search(r"```toml\n(.*?)```", text, flags=re.S).group(1)
    shown = Config.from_toml(toml)
    assert shown.data.params == {"n_modes": 8, "radius": 2.0, "std": 0.02}  # ring()'s defaults
    assert shown.replace(**{"data.params": {}}) == Config()


@pytest.mark.parametrize("recipe", sorted(GALLERY.glob("*.toml")), ids=lambda p: p.name)
def test_recipes_are_valid_configs(recipe):
    Config.load(recipe)


def test_tutorial_prints_what_it_says(capsys):
    code = python_blocks(ROOT / "docs/tutorial.md")
    expected = re.findall(r"^# (.*)$", code, flags=re.M)
    exec(compile(code, "tutorial.md", "exec"), {})
    assert capsys.readouterr().out.strip().splitlines() == expected


def test_tutorial_recipe_is_a_valid_recipe(tmp_path):
    from toygan.recipes import load_recipe

    toml = re.search(r"```toml\n(.*?)```", (ROOT / "docs/tutorial.md").read_text(), flags=re.S)
    (tmp_path / "r1.toml").write_text(toml.group(1))
    recipe = load_recipe(tmp_path / "r1.toml")
    assert recipe.seeds == 4 and recipe.checks[0].metric == "d_half_gap"


def _command_lines() -> list[tuple[str, str]]:
    """Every ``toygan ...`` command in the docs' shell blocks, with its page."""
    found = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
                 ROOT / "animations" / "README.md"]:
        for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", page.read_text(), flags=re.S):
            for line in block.splitlines():
                for part in re.split(r"&&|;", line.split(" #")[0]):
                    part = part.strip().removeprefix("$ ")
                    # synopsis lines ("[--out DIR]", "A | B", "...") describe, they do not run
                    if part.startswith("toygan ") and not re.search(r"[\[(|]|\.\.\.", part):
                        found.append((page.name, part))
    return found


@pytest.mark.parametrize("page, line", _command_lines())
def test_documented_commands_parse(page, line):
    """Each command line in the docs is accepted by the real parser (options and choices)."""
    import shlex

    from toygan.cli import _parser

    words = shlex.split(line)[1:]
    if words in (["--version"], ["--help"]) or "--help" in words:
        return
    _parser().parse_args(words)  # argparse exits (and fails the test) on an unknown option


def test_cli_reference_covers_every_command_and_option():
    """docs/cli.md is checked against the parser that --help prints: every command and every
    option of it is named there."""
    import argparse

    from toygan.cli import _parser

    text = (ROOT / "docs/cli.md").read_text()
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        assert f"toygan {name}" in text, name
        for action in parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in text, f"toygan {name} {option}"


def test_api_page_is_up_to_date():
    import importlib.util

    spec = importlib.util.spec_from_file_location("api_page", ROOT / "docs" / "api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "api.md").read_text() == module.page(), "run: python docs/api.py"


def test_the_history_keys_page_shows_the_metric_registry():
    from toygan.metrics import METRICS, metrics_table

    text = (ROOT / "docs" / "history.md").read_text()
    assert metrics_table() in text, "paste toygan.metrics.metrics_table() into docs/history.md"
    assert all(f"`{name}`" in text for name in METRICS)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_page_is_on_the_map_and_every_link_lands():
    """docs/index.md links every page of docs/; every relative link in the README and the docs
    names a file that exists, and an anchor that is one of its headings."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    mapped = set(re.findall(r"\]\(([\w.-]+\.md)[)#]", (ROOT / "docs/index.md").read_text()))
    assert {p.name for p in (ROOT / "docs").glob("*.md")} - {"index.md"} <= mapped
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path, _, anchor = target.partition("#")
            found = (page.parent / path).resolve()
            assert found.exists(), f"{page.name}: {target}"
            if anchor and found.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", found.read_text(encoding="utf-8"), re.M)
                assert anchor in {_slug(h) for h in headings}, f"{page.name}: {target}"
