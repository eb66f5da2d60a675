"""Bad input gets one clear line and exit status 2, never a traceback: property-based, over
hundreds of malformed configs and command lines (hypothesis), each run through the real CLI entry
point in this process (the subprocess tests in test_cli.py show the same for a sample)."""

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toygan.cli import main
from toygan.config import Config, DataConfig, ModelConfig, RecordConfig, TrainConfig

SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig, "record": RecordConfig}
# a tiny valid run: if a mutation below were accepted by mistake, the run would still end quickly
BASE = {"train": {"steps": 2, "batch_size": 8}, "model": {"g_width": 4, "d_width": 4},
        "record": {"every": 1, "n_samples": 8, "grid_size": 8}}
NAME_FIELDS = {("data", "name"), ("model", "prior"), ("model", "activation"), ("train", "loss"),
               ("train", "updates"), ("train", "regularizer"), ("train", "generator"),
               ("train", "optimizer")}
# numeric fields and a value outside what each allows
OUT_OF_RANGE = {("train", "steps"): [0, -3], ("train", "d_steps"): [0, 101],
                ("train", "batch_size"): [0, 70000], ("train", "lr_g"): [0.0, -1e-3],
                ("train", "lr_d"): [0.0, -1.0], ("train", "gamma"): [-0.5],
                ("train", "seed"): [-1], ("train", "members"): [0, 5000],
                ("train", "threads"): [0], ("train", "unroll"): [-1, 51], ("train", "pack"): [0, 17],
                ("train", "momentum"): [1.0, -0.1], ("train", "clip"): [-1.0],
                ("train", "instance_noise"): [-0.1], ("model", "noise_dim"): [0],
                ("model", "g_width"): [0, 5000], ("model", "d_depth"): [-1, 17], ("record", "every"): [0],
                ("record", "n_samples"): [0], ("record", "grid_size"): [1],
                ("record", "kde_bandwidth"): [-0.1]}

fields = [(s, f.name) for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)
          if f.name != "params"]
switches = {(s, f.name) for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)
            if isinstance(f.default, bool)}  # true and false are their values, not a wrong type
junk_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                    min_size=1, max_size=12)
wrong_type = st.one_of(junk_text.map(lambda s: "x" + s), st.lists(st.integers(), max_size=3),
                       st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
                       st.booleans())


@st.composite
def bad_config(draw) -> dict:
    """A config dict with one defect: a wrong type, a value out of range, an unknown name, key or
    section, or bad target parameters."""
    values = {k: dict(v) for k, v in BASE.items()}
    kind = draw(st.sampled_from(["type", "range", "name", "key", "section", "params", "betas"]))
    if kind == "type":
        section, name = draw(st.sampled_from(fields))
        value = draw(wrong_type)
        if name in ("window", "betas", "metrics") and isinstance(value, list) and not value:
            value = ["x"]  # an empty window means "fitted", no metrics of one's own: allowed
        if name.endswith("_args") and isinstance(value, dict):
            value = "x"  # any table of keyword arguments is allowed (the function checks them)
        if (section, name) in switches and isinstance(value, bool):
            value = "yes"
        values.setdefault(section, {})[name] = value
    elif kind == "range":
        (section, name), choices = draw(st.sampled_from(sorted(OUT_OF_RANGE.items())))
        values.setdefault(section, {})[name] = draw(st.sampled_from(choices))
    elif kind == "name":
        section, name = draw(st.sampled_from(sorted(NAME_FIELDS)))
        values.setdefault(section, {})[name] = "no-such-" + draw(junk_text)
    elif kind == "key":
        section = draw(st.sampled_from(sorted(SECTIONS)))
        values.setdefault(section, {})["unknown_" + draw(st.from_regex(r"[a-z]{1,8}", fullmatch=True))] = 1
    elif kind == "section":
        values["nosuch" + draw(st.from_regex(r"[a-z]{1,8}", fullmatch=True))] = {"a": 1}
    elif kind == "params":
        name, params = draw(st.sampled_from([
            ("ring", {"n_modes": 0}), ("ring", {"std": -0.1}), ("ring", {"radius": "far"}),
            ("grid", {"side": 0}), ("grid", {"spacing": -2.0}), ("mixture", {"means": []}),
            ("mixture", {"means": [[0.0, 0.0]], "stds": 0.0}),
            ("mixture", {"means": [[0.0, 0.0], [1.0, 1.0]], "weights": [0.2, 0.2]}),
            ("mixture1d", {"means": [[1.0, 2.0]]}), ("moons", {"noise": -1.0}),
            ("points", {"path": "/no/such/file.csv"}), ("image", {"path": "/no/such.png"}),
            ("ring", {"nonsense": 1}),
        ]))
        values["data"] = {"name": name, "params": params}
    else:
        values.setdefault("train", {})["betas"] = draw(st.sampled_from(
            [[0.5], [0.5, 1.0], [-0.1, 0.9], ["a", "b"], [0.5, 0.9, 0.99]]))
    return values


_examples = itertools.count()


def _assert_one_clear_line(status: int, err: str) -> None:
    lines = err.strip().splitlines()
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith("toygan: error: "), err
    assert "Traceback" not in err


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=bad_config())
def test_malformed_configs_get_one_line_and_status_2(tmp_path, capsys, values):
    path = tmp_path / "bad.toml"
    path.write_text(tomli_w.dumps(values))
    out = tmp_path / f"run{next(_examples)}"  # a folder per example: nothing may appear in it
    status = main(["train", "--config", str(path), "--out", str(out)])
    _assert_one_clear_line(status, capsys.readouterr().err)
    assert not out.exists(), values


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Files of the wrong kind for every place that reads one."""
    root = tmp_path_factory.mktemp("files")
    (root / "broken.toml").write_text("[train\nsteps = 3\n")
    (root / "binary.toml").write_bytes(bytes(range(256)) * 4)
    (root / "empty_run").mkdir()
    (root / "bad_history").mkdir()
    (root / "bad_history" / "history.npz").write_bytes(b"PK\x03\x04 not really a zip")
    np.savez(root / "other.npz", x=np.zeros(3))
    (root / "foreign_history").mkdir()
    (root / "other.npz").rename(root / "foreign_history" / "history.npz")
    (root / "recipes").mkdir()
    (root / "recipes" / "bad.toml").write_text("[recipe]\ntitle = 1\n")
    return {"toml": root / "broken.toml", "binary": root / "binary.toml",
            "missing": root / "missing.toml", "empty_run": root / "empty_run",
            "bad_history": root / "bad_history", "foreign": root / "foreign_history",
            "recipes": root / "recipes", "nowhere": root / "nowhere"}


not_a_number = st.sampled_from(["ten", "", "1e", "--", "½", "0x", "nan?", "[1]"])


@st.composite
def bad_command(draw, files) -> list[str]:
    """An argument list with at least one defect the CLI must refuse before any work."""
    command = draw(st.sampled_from(["train", "render", "compare", "dirac", "demo", "animations",
                                    "other"]))
    if command == "train":
        source = draw(st.sampled_from([
            ["--preset", "no-such-" + draw(junk_text)], ["--config", str(files["toml"])],
            ["--config", str(files["binary"])], ["--config", str(files["missing"])],
            ["--resume", str(files["empty_run"])], ["--resume", str(files["nowhere"])],
            ["--preset", "ring", "--steps", draw(st.sampled_from(["0", "-4"]))],
            ["--preset", "ring", "--steps", draw(not_a_number)],
            ["--preset", "ring", "--seed", draw(st.sampled_from(["-1", "x"]))],
            ["--preset", "ring", "--seeds", draw(st.sampled_from(["0", "5000", "two"]))],
            ["--preset", "ring", "--config", str(files["toml"])],  # two sources
        ]))
        return ["train", *source, "--out", str(files["nowhere"] / "o"), "--quiet"]
    if command in ("render", "compare"):
        runs = draw(st.sampled_from([
            [str(files["empty_run"])], [str(files["bad_history"])], [str(files["foreign"])],
            [str(files["nowhere"])], [str(files["toml"])],
        ]))
        if command == "compare":
            runs = [*runs, *draw(st.sampled_from([[], [str(files["empty_run"])]]))]
            return ["compare", *runs, "--out", str(files["nowhere"] / "c.gif")]
        return ["render", *runs]
    if command == "dirac":
        option = draw(st.sampled_from([
            ["--runs", draw(st.sampled_from(["gan", "nope:simultaneous", "gan:sideways", "",
                                             "gan:simultaneous:x", "r1:alternating:-1"]))],
            ["--steps", draw(st.sampled_from(["0", "-2", "x"]))],
            ["--fps", draw(st.sampled_from(["0", "1000", "x"]))],
            ["--width", draw(st.sampled_from(["10", "100000", "wide"]))],
            ["--format", draw(st.sampled_from(["avi", "jpeg", ""]))],
            ["--style", draw(junk_text)], ["--cmap", "no-such-" + draw(junk_text)],
            ["--dpi", draw(st.sampled_from(["1", "10000", "x"]))],
            ["--frames", draw(st.sampled_from(["1", "0", "x"]))],
            ["--lr", draw(not_a_number)],
        ]))
        return ["dirac", "--out", str(files["nowhere"] / "d.gif"), *option]
    if command == "demo":
        option = draw(st.sampled_from([["--steps", "0"], ["--steps", "x"], ["--seed", "-3"],
                                       ["--seeds", "0"], ["--unknown"]]))
        return ["demo", "--out", str(files["nowhere"] / "demo"), *option]
    if command == "animations":
        return draw(st.sampled_from([
            ["animations", "build", "--recipes", str(files["recipes"])],
            ["animations", "list", "--recipes", str(files["nowhere"])],
            ["animations", "build", "--only", "nope", "--recipes", str(files["recipes"])],
            ["animations", "rebuild"],
        ]))
    return [draw(st.sampled_from(["frobnicate", "--steps", "-x", "renderr", ""]))]


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_malformed_command_lines_get_one_line_and_status_2(files, capsys, data):
    args = data.draw(bad_command(files))
    status = main(args)
    _assert_one_clear_line(status, capsys.readouterr().err)
    assert not (files["nowhere"]).exists(), "nothing may be written for bad input"


def test_the_fuzzed_base_config_is_itself_valid():
    """The mutations start from a valid config, so each one's defect is what is refused."""
    Config.from_dict(BASE)
