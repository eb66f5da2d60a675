"""The live page in a real browser (headless Chromium through Selenium) as a lecturer uses it on a
projector: presentation mode at 1920 × 1080, the keys and their help, the students' watch-only
page, a link that sets a lecture up, points drawn with the mouse and a file uploaded; and the same
through the API (``POST /api/data``), with the run kept self-contained. Each wait is for a state the
server or the page reports, with a generous deadline for a busy machine."""

import http.client
import json
import os
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from test_live import DEADLINE, Live

from toygan import History
from toygan.presets import preset_config
from toygan.render import render

RING = preset_config("ring").replace(**{"train.batch_size": 64, "record.grid_size": 48})


@pytest.fixture
def served(tmp_path):
    server = Live(tmp_path, config=RING, width=960)
    yield server
    server.close()


def _wait(browser):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, DEADLINE, poll_frequency=0.05)


def _press(browser, key: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(key).perform()


def _space_does(browser) -> str:
    """The action the space key sends now: the play button's, as the page's last state set it (a
    key pressed before the page has heard that play began would send "play" again)."""
    return browser.execute_script("return document.querySelector('#play').dataset.act")


def test_presentation_fills_a_projector_and_the_keys_steer(projector, served, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    wait = _wait(projector)
    projector.get(served.url + "/")
    frame = projector.find_element(By.ID, "frame")
    wait.until(lambda d: frame.get_attribute("src") or False)
    wait.until(lambda d: d.execute_script("return document.querySelector('#frame').naturalWidth") > 0)
    _press(projector, "f")
    wait.until(lambda d: "presenting" in d.find_element(By.TAG_NAME, "body").get_attribute("class"))
    box = projector.execute_script("const r = document.querySelector('#frame').getBoundingClientRect();"
                                   "return [r.width, r.height];")
    assert box[0] >= 1900 and box[1] >= 1000  # the frame (its image contained in it) fills the screen
    shown = projector.execute_script(  # the image's drawn width: the frame is scaled to the screen
        "const f = document.querySelector('#frame'); return Math.min(f.clientWidth, "
        "f.clientHeight * f.naturalWidth / f.naturalHeight);")
    assert shown >= 1900
    assert not projector.find_element(By.TAG_NAME, "aside").is_displayed()
    assert projector.find_element(By.ID, "overlay").is_displayed()
    _press(projector, " ")
    wait.until(lambda d: served.state()["running"])
    wait.until(lambda d: _space_does(d) == "pause")  # the page knows it plays: space now pauses
    _press(projector, " ")
    wait.until(lambda d: not served.state()["running"])
    step = served.state()["step"]
    _press(projector, "s")
    wait.until(lambda d: served.state()["step"] == step + 1)
    _press(projector, "d")
    wait.until(lambda d: served.state()["d_steps_alone"] == 1)
    _press(projector, "?")
    wait.until(lambda d: d.find_element(By.ID, "help").is_displayed())
    assert "one iteration" in projector.find_element(By.ID, "help").text
    shot = Path(os.environ.get("TOYGAN_PRESENT_SCREENSHOT", tmp_path / "presenting.png"))
    _press(projector, Keys.ESCAPE)
    wait.until(lambda d: not d.find_element(By.ID, "help").is_displayed())
    _press(projector, " ")  # playing, for the picture
    wait.until(lambda d: served.state()["step"] > step + 40)
    wait.until(lambda d: _space_does(d) == "pause")
    _press(projector, " ")
    wait.until(lambda d: not served.state()["running"])
    wait.until(lambda d: "paused" in d.execute_script("return document.querySelector('#status').textContent"))
    projector.execute_script("document.body.classList.remove('idle')")
    # the screenshot at a projector's 1920 × 1080 (the window's own viewport is smaller by its frame)
    projector.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                              {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    projector.save_screenshot(str(shot))
    projector.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    _press(projector, Keys.ESCAPE)
    wait.until(lambda d: "presenting" not in d.find_element(By.TAG_NAME, "body").get_attribute("class"))
    assert projector.find_element(By.TAG_NAME, "aside").is_displayed()


def test_the_watch_only_page_shows_the_frame_and_steers_nothing(projector, served):
    from selenium.webdriver.common.by import By

    wait = _wait(projector)
    projector.get(served.url + "/?watch")
    wait.until(lambda d: d.execute_script("return document.querySelector('#frame').naturalWidth") > 0)
    assert not projector.find_element(By.TAG_NAME, "header").is_displayed()
    assert not projector.find_element(By.ID, "overlay").is_displayed()
    width = projector.execute_script("return document.querySelector('#frame').getBoundingClientRect().width")
    assert width >= 1900
    _press(projector, " ")
    _press(projector, "s")
    served.post({"action": "step"})  # answered after anything the page might have sent
    assert served.state()["step"] == 1 and not served.state()["running"]
    wait.until(lambda d: "step 1 ·" in d.find_element(By.ID, "watchstatus").text)


def test_a_link_sets_up_the_same_lecture(browser, served):
    from selenium.webdriver.common.by import By

    wait = _wait(browser)
    served.post({"set": {"train.loss": "hinge", "train.lr_d": 2e-4, "model.d_width": 64,
                         "live.panels": ["samples", "discriminator"]}})
    browser.get(served.url + "/")
    wait.until(lambda d: d.find_element(By.ID, "status").text.startswith("step"))
    browser.find_element(By.ID, "link").click()
    box = browser.find_element(By.ID, "linkbox")
    wait.until(lambda d: "setup=" in box.get_attribute("value"))
    link = box.get_attribute("value")
    setup = json.loads(urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["setup"][0])
    assert setup["train.loss"] == "hinge" and setup["model.d_width"] == 64
    # another day: a fresh game, the link opened
    served.post({"set": {"train.loss": "non-saturating", "train.lr_d": 1e-3, "model.d_width": 128,
                         "live.panels": ["samples"]}})
    browser.get(link.replace(urllib.parse.urlparse(link).netloc, urllib.parse.urlparse(served.url).netloc))
    wait.until(lambda d: served.state()["settings"]["train.loss"] == "hinge")
    settings = served.state()["settings"]
    assert settings["train.lr_d"] == 2e-4 and settings["model.d_width"] == 64
    assert settings["live.panels"] == ["samples", "discriminator"]
    wait.until(lambda d: "linked setup" in d.find_element(By.ID, "note").text)


def test_points_drawn_with_the_mouse_become_the_data(browser, served, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    wait = _wait(browser)
    browser.get(served.url + "/")
    wait.until(lambda d: d.find_element(By.ID, "status").text.startswith("step"))
    browser.find_element(By.ID, "draw").click()
    canvas = browser.find_element(By.ID, "canvas")
    wait.until(lambda d: canvas.is_displayed())
    stroke = ActionChains(browser).move_to_element_with_offset(canvas, -150, -150).click_and_hold()
    for _ in range(30):
        stroke.move_by_offset(10, 10)
    stroke.release().perform()
    count = int(browser.find_element(By.ID, "count").text.split()[0])
    assert count >= 60
    browser.find_element(By.ID, "usepoints").click()
    wait.until(lambda d: served.state()["settings"]["data.name"] == "points")
    state = served.state()
    assert state["window"] == [-4.0, 4.0, -4.0, 4.0] or len(state["window"]) == 4
    kept = Path(state["settings"]["data.params"]["path"])
    xy = np.loadtxt(kept, delimiter=",", skiprows=1)
    assert xy.shape == (count, 2)
    assert (xy[:, 0] < 0).sum() > count / 4 and (xy[:, 0] > 0).sum() > count / 4  # along the stroke
    assert np.corrcoef(xy.T)[0, 1] < -0.8  # down and to the right on the screen: y falls as x grows
    wait.until(lambda d: not d.find_element(By.ID, "drawer").is_displayed())


def test_an_uploaded_file_becomes_the_data_and_a_bad_one_is_one_line(browser, served, tmp_path):
    from selenium.webdriver.common.by import By

    wait = _wait(browser)
    browser.get(served.url + "/")
    wait.until(lambda d: d.find_element(By.ID, "status").text.startswith("step"))
    picker = browser.find_element(By.ID, "file")
    browser.execute_script("arguments[0].hidden = false", picker)  # (Selenium types into visible inputs)
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n")
    picker.send_keys(str(bad))
    says = "your data: holds 1 point(s); need at least 2"
    wait.until(lambda d: says in d.find_element(By.ID, "error").text)
    assert served.state()["settings"]["data.name"] == "ring"
    good = tmp_path / "moon.npy"
    np.save(good, np.random.default_rng(0).normal(size=(400, 2)) * [2.0, 0.5])
    picker.send_keys(str(good))
    wait.until(lambda d: served.state()["settings"]["data.name"] == "points")
    assert served.state()["settings"]["data.params"]["path"].endswith(".npy")
    wait.until(lambda d: d.find_element(By.ID, "error").text == "")


def test_data_through_the_api_makes_a_run_that_renders_anywhere(served, tmp_path):
    points = np.random.default_rng(1).normal(size=(200, 2)).round(3)
    status, state = served.request("/api/data", {"points": points.tolist(), "window": [-4, 4, -4, 4]})
    assert status == 200 and state["settings"]["data.name"] == "points"
    kept = Path(state["settings"]["data.params"]["path"])
    np.testing.assert_array_equal(np.loadtxt(kept, delimiter=",", skiprows=1), points)
    for _ in range(3):
        served.post({"action": "step"})
    saved = Path(served.post({"action": "save"})[1]["saved"][-1])
    kept.unlink()  # the run keeps its data: it draws without the file
    history = History.load(saved / "history.npz")
    np.testing.assert_array_equal(history.target().reference.shape, (1000, 2))
    assert render(history, tmp_path / "replay.png", panels=["samples"], max_frames=2).exists()


@pytest.mark.parametrize("body, says", [
    ({"points": [[0, 0]]}, "draw 2 to 100,000"),
    ({"points": [[0, 0], [1, "x"]]}, "each point must be two numbers"),
    ({"csv": "x,y\n1,nan\n2,3\n"}, "your data: holds NaN or inf"),
    ({"npy": "not base64!"}, "the file's bytes as base64"),
    ({"points": [[0, 0], [1, 1]], "window": [1, 0, 0, 1]}, "record.window"),
    ({"pointz": []}, 'give {"points"'),
])
def test_bad_data_is_one_line_and_changes_nothing(served, body, says):
    before = served.state()
    status, answer = served.request("/api/data", body)
    assert status == 400 and says in answer["error"] and "\n" not in answer["error"]
    after = served.state()
    assert after["settings"]["data.name"] == before["settings"]["data.name"] == "ring"
    assert not (Path(served.session.out) / "data").exists()


def test_data_is_refused_from_another_site_and_past_its_size(served):
    status, _ = served.request("/api/data", {"points": [[0, 0], [1, 1]]}, headers={"Origin": "http://evil.test"})
    assert status == 403
    status, _ = served.request("/api/data", raw=b'{"points": [[0, 0], [1, 1]]}',
                               headers={"Content-Type": "text/plain"})
    assert status == 415
    connection = http.client.HTTPConnection(urllib.parse.urlparse(served.url).netloc, timeout=DEADLINE)
    connection.putrequest("POST", "/api/data")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(9 * 2**20))  # refused before a byte of it is read
    connection.endheaders()
    answer = connection.getresponse()
    assert answer.status == 400 and "at most" in json.loads(answer.read())["error"]
    connection.close()
    assert served.state()["settings"]["data.name"] == "ring"


def test_figure_1_plays_live_in_one_dimension(browser, served):
    from selenium.webdriver.common.by import By

    wait = _wait(browser)
    browser.get(served.url + "/")
    wait.until(lambda d: d.find_element(By.ID, "status").text.startswith("step"))
    status, state = served.post({"set": {"data.name": "mixture1d"}})
    assert status == 200 and state["settings"]["model.noise_dim"] == 1
    assert state["settings"]["live.panels"] == ["goodfellow", "convergence", "jsd"]  # the line's panels
    assert "samples" not in state["choices"]["live.panels"]
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '#panels input[value="goodfellow"]').is_selected())
    served.post({"action": "play"})
    wait.until(lambda d: served.state()["step"] > 100)
    served.post({"action": "pause"})
    frame = served.state()["frame"]
    served.post({"action": "step"})
    wait.until(lambda d: served.state()["frame"] > frame)
    status, answer = served.post({"set": {"live.panels": ["samples"]}})
    assert status == 400 and "goodfellow" in answer["error"]
    status, state = served.post({"set": {"data.name": "ring"}})
    assert state["settings"]["live.panels"] == ["samples", "discriminator", "convergence"]
    assert state["settings"]["model.noise_dim"] == 2


def test_a_new_shape_of_the_networks_is_a_new_game_said_so(served):
    served.post({"action": "step"})
    status, state = served.post({"set": {"model.g_width": 32, "model.prior": "uniform"}})
    assert status == 200 and state["step"] == 0
    assert state["note"].startswith("a new game: the networks' shape changed")
    assert state["settings"]["model.g_width"] == 32 and state["settings"]["model.prior"] == "uniform"
    status, answer = served.post({"set": {"model.d_width": 0}})
    assert status == 400 and "model.d_width" in answer["error"]
    assert served.state()["settings"]["model.d_width"] == 128


def test_data_refused_for_want_of_room_changes_nothing(served, monkeypatch):
    import shutil

    from toygan.live import saving

    served.post({"action": "play"})
    full = shutil.disk_usage(Path(served.session.out).parent)._replace(free=1024**2)  # 1 MB left
    monkeypatch.setattr(saving.shutil, "disk_usage", lambda path: full)
    status, answer = served.request("/api/data", {"points": [[0, 0], [1, 1], [2, 0]]})
    assert status == 400 and "MB left on its disk" in answer["error"]
    state = served.state()
    assert state["running"] and state["settings"]["data.name"] == "ring"
    assert not (Path(served.session.out) / "data").exists() and served.session.saved_bytes == 0
    served.post({"action": "pause"})


@pytest.mark.parametrize("body, says", [
    ({"points": [[None, 1], [1, 2]]}, "each point must be two numbers"),
    ({"points": [[10**400, 0], [1, 2]]}, "within ±10⁶"),
    ({"points": [[1, 1], [1, 1], [1, 1]]}, "all the points are one point"),
    ({"csv": "x,y\n" + "0,1\n1,0\n" * 50_001}, "100,002 points; at most 100,000"),
])
def test_points_that_cannot_be_data_are_one_line(served, body, says):
    status, answer = served.request("/api/data", body)
    assert status == 400 and says in answer["error"] and "points-0" not in answer["error"]
    assert served.state()["settings"]["data.name"] == "ring"


def test_a_text_file_of_columns_split_by_spaces_is_data(served):
    status, state = served.request("/api/data", {"csv": "0.0 1.0\n1.0\t0.0\n2.0 2.0\n", "name": "mine.txt"})
    assert status == 200 and state["settings"]["data.params"]["path"].endswith(".txt")


def test_own_points_on_a_1d_game_get_a_latent_of_the_plane(served):
    served.post({"set": {"data.name": "mixture1d"}})
    status, state = served.request("/api/data", {"points": [[0, 0], [1, 1], [2, 0]]})
    assert status == 200 and state["settings"]["model.noise_dim"] == 2
    assert state["settings"]["live.panels"] == ["samples", "discriminator", "convergence"]
