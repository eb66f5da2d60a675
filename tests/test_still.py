"""The still figure (``toygan figure``): chosen steps side by side as PDF, SVG or PNG."""

import numpy as np
import pytest
from conftest import tiny_config
from PIL import Image

from toygan import train
from toygan.errors import ToyganError
from toygan.render import still
from toygan.render.still import still_snapshots


@pytest.fixture(scope="module")
def history():
    return train(tiny_config(**{"train.steps": 50}), progress=False)  # steps 0, 10, ..., 50


def test_steps_map_to_the_nearest_snapshot(history):
    assert still_snapshots(history, None) == [0, 2, 5]
    assert still_snapshots(history, [0, 21, 50]) == [0, 2, 5]


@pytest.mark.parametrize(("steps", "needle"), [
    ([0, 60], "step = 60: this run recorded steps 0 to 50"),
    ([-1], "step = -1"),
    ([0, 2], "steps 0 and 2 would both show the snapshot of step 0"),
    ([], "give 1 to 8 training steps"),
    (list(range(0, 50, 5)), "give 1 to 8"),
    ([1.5], "step = 1.5"),
])
def test_bad_steps_are_named(history, tmp_path, steps, needle):
    with pytest.raises(ToyganError, match=needle):
        still(history, tmp_path / "f.pdf", steps=steps)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("name", "fmt", "needle"), [
    ("f.gif", None, r"\.gif is not a format written here.*toygan render"),
    ("history.npz", "png", r"\.npz is not a format written here"),
    ("f.svg", "pdf", "format = 'pdf' but the output .* ends in .svg"),
    ("f", None, "has no suffix"),
])
def test_the_suffix_gives_the_format(history, tmp_path, name, fmt, needle):
    with pytest.raises(ToyganError, match=needle):
        still(history, tmp_path / name, format=fmt)
    assert not list(tmp_path.iterdir())


def test_pdf_and_svg_are_vector_files_and_the_same_bytes_each_time(history, tmp_path):
    pdf = still(history, tmp_path / "a.pdf", steps=[0, 20, 50])
    svg = still(history, tmp_path / "a.svg", steps=[0, 20, 50])
    assert pdf.read_bytes().startswith(b"%PDF")
    text = svg.read_text()
    # vector: the axes and the headings are paths and text, not one picture of the figure
    assert text.count("<path") > 100 and "step 20" in text.replace("<!-- ", "").replace(" -->", "")
    assert still(history, tmp_path / "b.pdf", steps=[0, 20, 50]).read_bytes() == pdf.read_bytes()
    assert still(history, tmp_path / "b.svg", steps=[0, 20, 50]).read_bytes() == svg.read_bytes()


def test_png_columns_differ_by_step_and_width_is_kept(history, tmp_path):
    path = still(history, tmp_path / "a.png", steps=[0, 50], panels=["samples"], width=800)
    with Image.open(path) as im:
        assert im.size[0] == 800
        pixels = np.asarray(im.convert("RGB")).astype(int)
    left, right = pixels[:, :400], pixels[:, 400:]
    assert np.any(np.abs(left - right) > 40)  # the samples moved between step 0 and step 50


def test_too_many_steps_for_the_width_is_refused(history, tmp_path):
    with pytest.raises(ToyganError, match="need a width of at least"):
        still(history, tmp_path / "a.png", steps=[0, 10, 20, 30], width=400)
