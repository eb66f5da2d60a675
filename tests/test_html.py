"""The HTML player: self-contained, and in a real browser it shows the frames and the controls."""

import shutil
import subprocess

import numpy as np
import pytest
from conftest import tiny_config
from PIL import Image

from toygan import train
from toygan.render import Animation, render
from toygan.render.palette import quantize

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# the flags a closed network needs (no background connections) and a root user (no sandbox)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--force-device-scale-factor=1", "--hide-scrollbars"]


@pytest.fixture(scope="module")
def history():
    return train(tiny_config(**{"train.steps": 50}), progress=False)  # 6 snapshots


def test_page_is_self_contained(history, tmp_path):
    page = render(history, tmp_path / "a.html", width=480).read_text()
    assert page.count("data:image/png;base64,") == 6 + 1  # every frame, and the first in <img>
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert 'src="data:' in page and "step 50" in page
    for control in ('data-act="play"', 'data-act="prev"', 'data-act="next"', 'type="range"'):
        assert control in page


def _screenshot(page, shot, tmp_path, fragment=""):
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                    "--window-size=700,500", f"--screenshot={shot}", page.as_uri() + fragment],
                   check=True, capture_output=True, timeout=120)
    with Image.open(shot) as im:
        return np.asarray(im.convert("RGB")).astype(int)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
@pytest.mark.parametrize("fragment, index", [("", 0), ("#frame=last", 5), ("#frame=2", 2)])
def test_chromium_shows_the_frame_and_the_controls(history, tmp_path, fragment, index):
    page = render(history, tmp_path / "a.html", width=480)
    anim = Animation(history, width=480)
    try:
        frames = [anim.frame(i) for i in range(history.n_snapshots)]
    finally:
        anim.close()
    expected = np.asarray(quantize(frames)[index].convert("RGB")).astype(int)
    shot = _screenshot(page, tmp_path / "shot.png", tmp_path, fragment)
    h, w, _ = expected.shape
    margin = 8  # the body's 1em margin is 16 px at 16 px/em; search a little around it
    best = min(np.abs(shot[y:y + h, x:x + w] - expected).mean()
               for y in range(16 - margin, 16 + margin) for x in range(16 - margin, 16 + margin))
    assert best < 1.0, "the page does not show the expected frame where the image should be"
    other = np.asarray(quantize(frames)[(index + 3) % 6].convert("RGB")).astype(int)
    assert np.abs(shot[16:16 + h, 16:16 + w] - other).mean() > best
    controls = shot[16 + h + 4:16 + h + 40, 16:16 + w]
    assert (controls.sum(axis=-1) < 600).mean() > 0.02, "no controls drawn under the image"


def test_notebooks_show_a_history_as_a_player(history, tmp_path):
    from toygan.render import player

    shown = history._repr_html_()
    assert shown.count("data:image/png;base64,") == 6 + 1 and "<script>" in shown
    one, two = player(history, width=480), player(history, width=480)
    ids = [p._repr_html_().split('id="')[1].split('"')[0] for p in (one, two)]
    assert ids[0] != ids[1], "two players on one page need their own ids"
    page = one.save(tmp_path / "p.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and one.fragment in page
