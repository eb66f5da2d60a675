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
    assert page.count("data:image/webp;base64,") == 6  # every frame, once
    slow = render(history, tmp_path / "b.html", width=480, timing="changes", max_frames=30).read_text()
    assert slow.count("data:image/webp;base64,") == 6  # a repeated frame is stored once
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert 'src="data:' in page and "step 50" in page
    for control in ('data-act="play"', 'data-act="prev"', 'data-act="next"', 'type="range"'):
        assert control in page


def test_stacked_changes_give_every_frame_exactly(monkeypatch):
    """The player's layers, laid over each other as the page does (from the last whole frame),
    give each quantised frame pixel for pixel, across whole frames too."""
    import base64
    import io
    import json

    from toygan.render import html

    monkeypatch.setattr(html, "WHOLE_EVERY", 3)
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 4, (20, 30, 3), dtype=np.uint8) * 60 for _ in range(8)]
    for k in range(1, 8):  # most pixels unchanged from one frame to the next, as in an animation
        keep = rng.random((20, 30)) < 0.8
        frames[k][keep] = frames[k - 1][keep]
    parts = html._player_parts(frames, [f"f{k}" for k in range(8)], 12, "t", "u")
    layers = json.loads(parts["layers"])
    assert [whole for _, whole in layers] == [0, 0, 1, 0, 0, 1, 0]

    def decoded(url):
        with Image.open(io.BytesIO(base64.b64decode(url.split(",")[1]))) as im:
            return np.asarray(im.convert("RGBA"))
    images = [decoded(parts["first"])] + [decoded(url) for url, _ in layers]
    expected = [np.asarray(im.convert("RGB")) for im in quantize(frames)]
    for d in range(8):
        start = max([k for k in range(1, d + 1) if layers[k - 1][1]], default=0)
        shown = images[start][..., :3].copy()
        for k in range(start + 1, d + 1):
            opaque = images[k][..., 3] == 255
            assert ((images[k][..., 3] == 0) | opaque).all()
            shown[opaque] = images[k][..., :3][opaque]
        np.testing.assert_array_equal(shown, expected[d])


def _screenshot(page, shot, tmp_path, fragment=""):
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                    "--window-size=512,500", f"--screenshot={shot}", page.as_uri() + fragment],
                   check=True, capture_output=True, timeout=120)
    with Image.open(shot) as im:
        return np.asarray(im.convert("RGB")).astype(int)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
@pytest.mark.parametrize("fragment, index, whole", [("", 0, 12), ("#frame=last", 5, 12), ("#frame=2", 2, 12),
                                                   ("#frame=last", 5, 2), ("#frame=3", 3, 2)])
def test_chromium_shows_the_frame_and_the_controls(history, tmp_path, fragment, index, whole, monkeypatch):
    from toygan.render import html

    monkeypatch.setattr(html, "WHOLE_EVERY", whole)  # 2: whole frames among the changes
    page = render(history, tmp_path / "a.html", width=480)
    anim = Animation(history, width=480)
    try:
        frames = [anim.frame(i) for i in range(history.n_snapshots)]
    finally:
        anim.close()
    expected = np.asarray(quantize(frames)[index].convert("RGB")).astype(int)
    shot = _screenshot(page, tmp_path / "shot.png", tmp_path, fragment)
    h, w, _ = expected.shape
    # the page fits the frame to the window's width: 512 − 2 × 16 px of margin shows it at its own size
    margin = 8  # the body's 1em margin is 16 px at 16 px/em; search a little around it
    best = min(np.abs(shot[y:y + h, x:x + w] - expected).mean()
               for y in range(16 - margin, 16 + margin) for x in range(16 - margin, 16 + margin))
    assert best < 1.0, "the page does not show the expected frame where the image should be"
    other = np.asarray(quantize(frames)[(index + 3) % 6].convert("RGB")).astype(int)
    assert np.abs(shot[16:16 + h, 16:16 + w] - other).mean() > best
    controls = shot[16 + h + 4:16 + h + 40, 16:16 + w]
    assert (controls.sum(axis=-1) < 600).mean() > 0.02, "no controls drawn under the image"


def test_a_scaled_frame_shows_no_trace_of_the_frames_before(history, tmp_path, browser, monkeypatch):
    """Scaled (the page's frame fills the window), each frame laid from changes looks exactly as
    the same frame stored whole: no edge of an earlier frame shows through."""
    import io

    from conftest import BROWSER_DEADLINE
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from toygan.render import html

    shots = {}
    for whole in (3, 1):  # 3: changes, with a whole frame at 3; 1: every frame whole
        monkeypatch.setattr(html, "WHOLE_EVERY", whole)
        page = render(history, tmp_path / f"whole-{whole}.html", width=480)
        browser.get(page.as_uri())
        WebDriverWait(browser, BROWSER_DEADLINE).until(
            lambda d: d.execute_script("return document.querySelector('.toygan-player').dataset.flat"))
        frame = browser.find_element(By.CSS_SELECTOR, ".toygan-frame")
        assert frame.size["width"] > 2 * 480, "the frame is not scaled"
        shots[whole] = []
        for _ in range(history.n_snapshots):  # forward, then back across the whole frame
            shots[whole].append(np.asarray(Image.open(io.BytesIO(frame.screenshot_as_png)).convert("RGB")))
            ActionChains(browser).send_keys("\ue014").perform()
        for _ in range(3):
            ActionChains(browser).send_keys("\ue012").perform()
            shots[whole].append(np.asarray(Image.open(io.BytesIO(frame.screenshot_as_png)).convert("RGB")))
    for k, (laid, stored) in enumerate(zip(shots[3], shots[1], strict=True)):
        np.testing.assert_array_equal(laid, stored, err_msg=f"shot {k}")
    assert not np.array_equal(shots[3][0], shots[3][5])


def test_notebooks_show_a_history_as_a_player(history, tmp_path):
    from toygan.render import player

    shown = history._repr_html_()
    assert shown.count("data:image/webp;base64,") == 6 and "<script>" in shown
    one, two = player(history, width=480), player(history, width=480)
    ids = [p._repr_html_().split('id="')[1].split('"')[0] for p in (one, two)]
    assert ids[0] != ids[1], "two players on one page need their own ids"
    page = one.save(tmp_path / "p.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert one.fragment.replace('data-keys="focus"', 'data-keys="page"') in page  # its own page: all keys


def _player_page(history, tmp_path):
    return render(history, tmp_path / "a.html", width=480, max_frames=6)


def test_the_page_fills_a_projector_and_its_keys_work_without_a_click(history, tmp_path, projector):
    from conftest import BROWSER_DEADLINE
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    projector.get(_player_page(history, tmp_path).as_uri())
    wait = WebDriverWait(projector, BROWSER_DEADLINE, poll_frequency=0.05)
    img = projector.find_element(By.TAG_NAME, "img")
    slider = projector.find_element(By.CSS_SELECTOR, "input[type=range]")
    shown = projector.execute_script("const r = arguments[0].getBoundingClientRect();"
                                     "return [r.width, r.height, innerWidth, innerHeight];", img)
    assert shown[0] > 0.9 * shown[2] or shown[1] > 0.8 * shown[3], f"the frame is not fitted: {shown}"
    assert shown[1] < shown[3], "the frame pushes the controls out of the window"
    keys = ActionChains(projector)
    keys.send_keys("\ue014").perform()  # → on the page, nothing clicked: one frame on
    assert slider.get_attribute("value") == "1"
    projector.execute_script("arguments[0].focus()", slider)
    ActionChains(projector).send_keys("\ue014").perform()  # → on the focused slider: still one frame
    assert slider.get_attribute("value") == "2"
    ActionChains(projector).send_keys("\ue012").perform()  # ←
    assert slider.get_attribute("value") == "1"
    ActionChains(projector).send_keys("\ue010").perform()  # End
    assert slider.get_attribute("value") == "5"
    assert projector.find_element(By.TAG_NAME, "output").text == "step 50"
    speed = projector.find_element(By.TAG_NAME, "select")
    ActionChains(projector).send_keys("+").perform()
    assert speed.get_attribute("value") == "2"
    # with the loop on, playing from the last frame comes round to the first and goes on
    ActionChains(projector).send_keys("l").perform()
    assert projector.find_element(By.CSS_SELECTOR, "[data-act=loop]").is_selected()
    ActionChains(projector).send_keys("\ue012", " ").perform()  # ← to frame 4, then play
    wait.until(lambda d: slider.get_attribute("value") == "5")
    wait.until(lambda d: slider.get_attribute("value") == "0")
    wait.until(lambda d: slider.get_attribute("value") == "2")
    ActionChains(projector).send_keys(" ").perform()
    assert projector.find_element(By.CSS_SELECTOR, "[data-act=play]").text == "Play"


def test_the_player_goes_full_screen(history, tmp_path, projector):
    from conftest import BROWSER_DEADLINE
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    projector.get(_player_page(history, tmp_path).as_uri())
    projector.find_element(By.CSS_SELECTOR, "[data-act=full]").click()
    WebDriverWait(projector, BROWSER_DEADLINE, poll_frequency=0.05).until(
        lambda d: d.execute_script("return document.fullscreenElement && document.fullscreenElement.id"))
    shown = projector.execute_script("const r = document.querySelector('img').getBoundingClientRect();"
                                     "return [r.width, r.height, innerWidth, innerHeight];")
    assert shown[0] > 0.9 * shown[2] or shown[1] > 0.8 * shown[3], f"not filling the screen: {shown}"


def test_without_loop_playing_stops_at_the_last_frame(history, tmp_path, projector):
    from conftest import BROWSER_DEADLINE
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    projector.get(_player_page(history, tmp_path).as_uri())
    play = projector.find_element(By.CSS_SELECTOR, "[data-act=play]")
    ActionChains(projector).send_keys(" ").perform()
    WebDriverWait(projector, BROWSER_DEADLINE, poll_frequency=0.05).until(lambda d: play.text == "Play")
    assert projector.find_element(By.CSS_SELECTOR, "input[type=range]").get_attribute("value") == "5"
