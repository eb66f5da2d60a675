"""Live mode: a real server on a free port, its API, the token, saving, the command, and a real
browser (headless Chromium through Selenium) driving the page. Nothing here waits a fixed time:
each wait is for a state the server reports, with a generous deadline for a busy machine."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_config
from PIL import Image

from toygan import Game, History
from toygan.errors import ToyganError
from toygan.live import LiveServer, LiveSession, make_app, needs_token, open_socket
from toygan.presets import preset_config
from toygan.render import render

JSON = {"Content-Type": "application/json"}  # what the server's own page sends
DEADLINE = 120.0  # seconds: only a broken server takes this long
CONFIG = tiny_config(**{"train.steps": 200, "record.grid_size": 32, "record.n_samples": 128})


def _until(condition, what: str):
    """Poll ``condition()`` until it returns something truthy (the server's readiness signal)."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class Live:
    """A session served by uvicorn on a free port in a thread; ``get``/``post`` talk to it."""

    def __init__(self, tmp_path: Path, token: str | None = None, config=CONFIG, width: int = 480) -> None:
        self.session = LiveSession(config, out=tmp_path / "runs", width=width)
        self.sock = open_socket("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        ready = threading.Event()
        app = make_app(self.session, token, on_ready=ready.set)
        self.server = LiveServer(app)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        assert ready.wait(DEADLINE)

    def request(self, path: str, payload=None, headers=None, raw: bytes | None = None):
        data = raw if raw is not None else (None if payload is None else json.dumps(payload).encode())
        headers = {"Content-Type": "application/json", **(headers or {})}
        req = urllib.request.Request(self.url + path, data=data, headers=headers,
                                     method="POST" if data is not None else "GET")
        try:
            with urllib.request.urlopen(req, timeout=DEADLINE) as r:
                body = r.read()
                is_json = r.headers["content-type"] == "application/json"
                return r.status, (json.loads(body) if is_json else body)
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def state(self) -> dict:
        return self.request("/api/state")[1]

    def post(self, payload, **kw):
        return self.request("/api/control", payload, **kw)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(DEADLINE)
        self.sock.close()
        self.session.close()


@pytest.fixture
def live(tmp_path):
    server = Live(tmp_path)
    yield server
    server.close()


def test_state_says_where_the_game_is(live):
    state = live.state()
    assert state["step"] == 0 and state["running"] is False
    assert state["settings"]["train.lr_d"] == CONFIG.train.lr_d
    assert state["settings"]["live.panels"] == ["samples", "discriminator", "convergence"]
    assert set(state["metrics"]) == {"d_real", "d_fake", "jsd", "modes_captured", "d_star_gap"}
    assert 0 < state["metrics"]["d_real"] < 1 and state["metrics"]["modes_captured"] is not None
    assert "hinge" in state["choices"]["train.loss"] and "grid" in state["choices"]["data.name"]


def test_actions_step_the_game(live):
    assert live.post({"action": "step"})[1]["step"] == 1
    before = live.session.game.D.state_dict()["layers.0.weight"].clone() \
        if "layers.0.weight" in live.session.game.D.state_dict() else None
    status, state = live.post({"action": "d_step"})
    assert status == 200 and state["step"] == 1  # a D step alone is not an iteration...
    assert live.post({"action": "d_step"})[1]["d_steps_alone"] == 2  # ...the page counts them
    if before is not None:
        assert not np.allclose(before, live.session.game.D.state_dict()["layers.0.weight"])
    state = live.post({"action": "g_step"})[1]
    assert state["step"] == 1 and state["d_steps_alone"] == 0
    assert live.post({"action": "play"})[1]["running"] is True
    _until(lambda: live.state()["step"] > 5, "the game to play")
    paused = live.post({"action": "pause"})[1]
    assert paused["running"] is False
    # controls run in order on the game's thread: once the next one is answered, a step
    # taken after the pause would show
    assert live.post({"set": {"live.speed": 3}})[1]["step"] == paused["step"]
    assert live.state()["step"] == paused["step"]
    assert live.post({"action": "reset"})[1]["step"] == 0


def test_settings_change_through_game_update(live):
    status, state = live.post({"set": {"train.lr_d": 3e-4, "train.loss": "hinge", "train.d_steps": 2}})
    assert status == 200
    assert state["settings"]["train.lr_d"] == 3e-4 and state["settings"]["train.loss"] == "hinge"
    assert {e["key"] for e in state["events"]} == {"train.lr_d", "train.loss", "train.d_steps"}
    assert live.session.game.opt_d.param_groups[0]["lr"] == 3e-4
    state = live.post({"set": {"train.generator": "frozen", "train.regularizer": "r1", "train.gamma": 1.0,
                               "train.instance_noise": 0.1, "train.updates": "simultaneous",
                               "train.d_steps": 1}})[1]
    assert state["settings"]["train.generator"] == "frozen"
    assert live.post({"action": "g_step"})[0] == 400  # G is frozen: say so, change nothing


@pytest.mark.parametrize("payload, says", [
    ({"set": {"train.lr_d": -1}}, "train.lr_d = -1"),
    ({"set": {"train.lr_d": 1e-4, "train.loss": "nope"}}, "train.loss"),  # all or nothing
    ({"set": {"model.activation": "tanh"}}, "model.activation"),
    ({"set": {"live.speed": 0}}, "live.speed"),
    ({"set": {"live.panels": ["samples", "goodfellow"]}}, "panels"),
    ({"set": {"data.name": "image"}}, "data.name"),
    ({"set": {"train.seed": -3}}, "train.seed"),
    ({"set": "lr"}, "set"),
    ({"action": "explode"}, "action"),
    ({"action": "play", "set": {}}, "a control is"),
    ([1, 2], "a control is"),
])
def test_a_bad_control_is_one_line_and_changes_nothing(live, payload, says):
    before = live.state()
    status, body = live.post(payload)
    assert status == 400 and says in body["error"] and "\n" not in body["error"]
    after = live.state()
    assert after["settings"] == before["settings"] and after["step"] == before["step"]
    assert live.post({"action": "step"})[0] == 200  # and the server goes on


def test_a_body_that_is_not_json_is_refused(live):
    status, body = live.request("/api/control", raw=b"{not json")
    assert status == 400 and "not JSON" in body["error"]


def test_target_and_seed_start_a_new_game(live):
    live.post({"action": "step"})
    state = live.post({"set": {"data.name": "grid"}})[1]
    assert state["step"] == 0 and state["settings"]["data.name"] == "grid"
    assert state["settings"]["data.params"]["side"] == 5  # the preset's grid
    state = live.post({"set": {"train.seed": 7}})[1]
    assert state["settings"]["train.seed"] == 7 and state["settings"]["data.name"] == "grid"


def test_frame_png_is_the_current_frame(live):
    status, png = live.request("/api/frame.png")
    assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
    live.post({"set": {"live.panels": ["samples", "discriminator", "dstar", "push"]}})
    _until(lambda: live.session.panels == ("samples", "discriminator", "dstar", "push")
           and live.state()["frame"] > 1, "the new panels")
    live.post({"action": "step"})  # a frame drawn with the four panels
    import io

    with Image.open(io.BytesIO(live.request("/api/frame.png")[1])) as im:
        assert im.size[0] == 1280  # four panels: 320 px each


def test_a_panel_that_does_not_fit_the_loss_is_left_out_with_a_note(live):
    live.post({"set": {"live.panels": ["samples", "dstar"]}})
    assert live.post({"set": {"train.loss": "wasserstein"}})[0] == 200
    _until(lambda: "dstar" in live.state()["view_note"], "the note")


def test_save_writes_a_run_that_renders(live, tmp_path):
    live.post({"action": "step"})
    live.post({"set": {"train.lr_d": 5e-4}})
    for _ in range(10):
        live.post({"action": "step"})
    state = live.post({"action": "save"})[1]
    run = Path(state["saved"][-1])
    assert run.name == "live-001" and state["unsaved"] is False
    history = History.load(run / "history.npz")
    assert [e["key"] for e in history.events] == ["train.lr_d"] and history.events[0]["step"] == 1
    assert Game.load(run).iteration == 11
    out = render(history, tmp_path / "lecture.gif", width=480)
    assert out.stat().st_size > 0
    assert Path(live.post({"action": "save"})[1]["saved"][-1]).name == "live-002"


def test_controls_need_the_token_when_shared(tmp_path):
    server = Live(tmp_path, token="s3cret")
    try:
        status, body = server.post({"action": "step"})
        assert status == 403 and "token" in body["error"]
        assert server.post({"action": "step"}, headers={"X-Toygan-Token": "wrong"})[0] == 403
        assert server.state()["step"] == 0  # refused: nothing changed; watching needs no token
        assert server.post({"action": "step"}, headers={"X-Toygan-Token": "s3cret"})[1]["step"] == 1
        assert server.request("/api/control?token=s3cret", {"action": "step"})[1]["step"] == 2
    finally:
        server.close()


def test_who_needs_a_token():
    assert not needs_token("127.0.0.1") and not needs_token("::1") and not needs_token("localhost")
    assert needs_token("0.0.0.0") and needs_token("::") and needs_token("192.168.1.20")


def test_a_diverging_game_stops_playing_and_keeps_its_frames(tmp_path):
    session = LiveSession(tiny_config(**{"train.lr_d": 1e30, "train.lr_g": 1e30, "train.optimizer": "sgd"}),
                          out=tmp_path, width=480)
    try:
        session.control({"action": "play"})
        _until(lambda: not session.state()["running"], "the game to stop")
        state = session.state()
        assert state["status"] == "diverged" and "reset" in state["note"] and session.jpeg
        with pytest.raises(ToyganError, match="reset"):
            session.control({"action": "play"})
        assert session.control({"action": "save"})["saved"]  # what it recorded is kept
        assert session.control({"action": "reset"})["step"] == 0
    finally:
        session.close()


def test_a_session_plays_past_train_steps(tmp_path):
    session = LiveSession(tiny_config(**{"train.steps": 20}), out=tmp_path, width=480)
    try:
        session.control({"set": {"live.speed": 15}})
        session.control({"action": "play"})
        _until(lambda: session.state()["step"] > 45, "play past train.steps")
        state = session.control({"action": "pause"})
        assert state["settings"]["train.steps"] >= 80 and state["status"] == "paused"
        assert not any(e["key"] == "train.steps" for e in state["events"])  # not a change of the game
    finally:
        session.close()


# --- the command ---

def _start(tmp_path, *args):
    proc = subprocess.Popen([sys.executable, "-m", "toygan", "live", "--no-browser", "--port", "0",
                             "--out", str(tmp_path / "runs"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # the readiness signal: the URL, printed once the server is up
    assert line.startswith("toygan live: http://"), line + proc.stderr.read()
    return proc, line.split()[-1]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_the_command_serves_and_stops_cleanly_saving_the_session(tmp_path, sig):
    proc, url = _start(tmp_path, "--set", "train.batch_size=32", "--set", "model.d_width=16")
    try:
        with urllib.request.urlopen(url + "api/state", timeout=DEADLINE) as r:
            assert json.loads(r.read())["settings"]["model.d_width"] == 16
        request = urllib.request.Request(url + "api/control", data=b'{"action": "step"}', method="POST",
                                         headers=JSON)
        with urllib.request.urlopen(request, timeout=DEADLINE) as r:
            assert json.loads(r.read())["step"] == 1
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "saved to" in out
    assert (tmp_path / "runs" / "live-001" / "history.npz").is_file()


def test_the_command_plays_figure_1_in_one_dimension(tmp_path):
    proc, url = _start(tmp_path, "--preset", "figure-1")
    try:
        with urllib.request.urlopen(url + "api/state", timeout=DEADLINE) as r:
            state = json.loads(r.read())
        assert state["settings"]["live.panels"] == ["goodfellow", "convergence", "jsd"]
        assert state["settings"]["data.name"] == "mixture1d" and state["metrics"]["d_real"] is not None
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 0 and "Traceback" not in err


def test_a_shared_server_prints_the_teachers_url_with_a_token(tmp_path):
    proc, url = _start(tmp_path, "--host", "0.0.0.0")
    try:
        assert "?token=" in url
        port = url.split(":")[2].split("/")[0]
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/control", data=b'{"action": "step"}', headers=JSON,
                                         method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=DEADLINE)
        assert refused.value.code == 403
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/state", timeout=DEADLINE) as r:
            state = json.loads(r.read())
        assert state["shared"] and state["watch"].endswith(f":{port}/?watch")  # the page shows it
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 0 and "saved to" not in out  # nothing changed, nothing to save


@pytest.mark.parametrize("args, says", [
    (["--port", "70000"], "--port 70000"),
    (["--speed", "0"], "--speed 0"),
    (["--panels", "samples,nope"], "panels"),
    (["--preset", "nope"], "nope"),
    (["--width", "10"], "width"),
])
def test_the_command_refuses_bad_input_in_one_line(tmp_path, args, says):
    done = subprocess.run([sys.executable, "-m", "toygan", "live", "--no-browser", *args],
                          capture_output=True, text=True, timeout=DEADLINE)
    assert done.returncode == 2 and says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_taken_port_is_one_line(tmp_path):
    taken = open_socket("127.0.0.1", 0)
    try:
        port = str(taken.getsockname()[1])
        done = subprocess.run([sys.executable, "-m", "toygan", "live", "--no-browser", "--port", port],
                              capture_output=True, text=True, timeout=DEADLINE)
        assert done.returncode == 2 and f"--port {port}" in done.stderr and "Traceback" not in done.stderr
    finally:
        taken.close()


# --- a real browser ---

def test_the_page_plays_pauses_and_steers_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    # the ring preset as a lecture shows it (its screenshot is the docs' picture), smaller batches
    server = Live(tmp_path, config=preset_config("ring").replace(**{"train.batch_size": 64}), width=960)
    wait = WebDriverWait(browser, DEADLINE, poll_frequency=0.05)
    try:
        browser.get(server.url + "/")
        frame = browser.find_element(By.ID, "frame")
        first = wait.until(lambda d: frame.get_attribute("src") or False)
        server.post({"set": {"live.speed": 20}})
        browser.find_element(By.ID, "play").click()
        wait.until(lambda d: server.state()["step"] > 600)
        wait.until(lambda d: frame.get_attribute("src") != first)  # new frames reach the page
        wait.until(lambda d: "Pause" in d.find_element(By.ID, "play").text)
        browser.find_element(By.ID, "play").click()  # now the pause button
        wait.until(lambda d: not server.state()["running"])
        stopped = server.state()["step"]
        server.post({"set": {"live.speed": 2}})  # answered after anything queued before it
        assert server.state()["step"] == stopped
        wait.until(lambda d: f"step {stopped:,}" in d.find_element(By.ID, "status").text)
        lr = browser.find_element(By.CSS_SELECTOR, '[data-key="train.lr_d"]')
        # typed as a person does: into the focused field (the page leaves a focused field alone)
        lr.click()
        lr.send_keys(Keys.CONTROL, "a")
        lr.send_keys("0.0003", Keys.ENTER)
        wait.until(lambda d: server.state()["settings"]["train.lr_d"] == 3e-4)
        lr.send_keys(Keys.CONTROL, "a")
        lr.send_keys("-2", Keys.ENTER)  # a bad value: one line on the page, nothing changed
        wait.until(lambda d: "train.lr_d = -2" in d.find_element(By.ID, "error").text)
        assert server.state()["settings"]["train.lr_d"] == 3e-4
        wait.until(lambda d: lr.get_attribute("value") == "0.0003")  # the field shows what holds
        browser.find_element(By.ID, "step").click()
        wait.until(lambda d: d.find_element(By.ID, "error").text == "")
        shot = Path(os.environ.get("TOYGAN_LIVE_SCREENSHOT", tmp_path / "live.png"))
        browser.save_screenshot(str(shot))
        with Image.open(shot) as im:
            assert im.size[0] == 1600 and len(np.unique(np.asarray(im.convert("L")))) > 50
    finally:
        server.close()


def test_a_regulariser_chosen_alone_gets_a_weight(live):
    state = live.post({"set": {"train.regularizer": "r1"}})[1]
    assert state["settings"]["train.gamma"] == 1.0  # the r1 preset's weight
    state = live.post({"set": {"train.gamma": 0.5}})[1]
    assert state["settings"]["train.gamma"] == 0.5
    state = live.post({"set": {"train.regularizer": "gradient-penalty"}})[1]
    assert state["settings"]["train.gamma"] == 0.5  # a weight already set is kept
    state = live.post({"set": {"train.regularizer": "none"}})[1]
    assert state["settings"]["train.gamma"] == 0.0


def test_a_new_game_saves_the_one_it_replaces_first(live):
    assert live.post({"action": "reset"})[1]["saved"] == []  # nothing moved: nothing to keep
    live.post({"action": "step"})
    state = live.post({"set": {"data.name": "grid"}})[1]
    assert len(state["saved"]) == 1 and "saved to" in state["note"]
    assert History.load(Path(state["saved"][0]) / "history.npz").config.data.name == "ring"
    live.post({"action": "step"})
    state = live.post({"action": "reset"})[1]
    assert len(state["saved"]) == 2 and state["step"] == 0


def test_curves_that_outgrow_their_axes_lay_the_live_figure_out_again():
    import dataclasses

    from toygan import train
    from toygan.render.animation import Animation

    history = train(tiny_config(**{"train.loss": "wasserstein", "train.steps": 30}), progress=False)
    animation = Animation(history, ["samples", "convergence"], width=480)
    assert not animation.outgrown(history)
    grown = dataclasses.replace(history, scalars={**history.scalars,
                                                  "d_real": history.scalars["d_real"] * 10 + 5})
    assert animation.outgrown(grown)
    animation.close()


def test_a_deeply_nested_or_huge_body_is_refused_in_one_line(live):
    status, body = live.request("/api/control", raw=b"[" * 5000 + b"]" * 5000)
    assert status == 400 and "not JSON" in body["error"]
    # a body announced as 10 MB is refused before any of it is read (the client sends none)
    import http.client

    conn = http.client.HTTPConnection(live.url.split("//")[1], timeout=DEADLINE)
    conn.putrequest("POST", "/api/control")
    conn.putheader("Content-Length", str(10**7))
    conn.putheader("Content-Type", "application/json")
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 400 and "bytes" in json.loads(response.read())["error"]
    conn.close()
    assert live.post({"action": "step"})[0] == 200


def test_a_target_comes_with_its_presets_parameters_only(live):
    status, body = live.post({"set": {"data.params": {"n_modes": 10000}}})
    assert status == 400 and "data.params" in body["error"]


def test_a_diverged_game_takes_no_more_steps_of_either_player(tmp_path):
    session = LiveSession(tiny_config(**{"train.lr_d": 1e30, "train.lr_g": 1e30, "train.optimizer": "sgd"}),
                          out=tmp_path, width=480)
    try:
        session.control({"action": "play"})
        _until(lambda: session.state()["status"] == "diverged", "divergence")
        for action in ("step", "d_step", "g_step"):
            with pytest.raises(ToyganError, match="cannot go on"):
                session.control({"action": action})
    finally:
        session.close()


def test_a_long_frame_gives_way_to_a_control(tmp_path):
    session = LiveSession(tiny_config(**{"train.steps": 10**6}), out=tmp_path, width=480)
    try:
        session.control({"set": {"live.speed": 1000}})  # seconds of training per frame
        session.control({"action": "play"})
        _until(lambda: session.game.iteration > 0, "play")
        # the pause is answered after at most one more iteration, not after the frame's 1,000
        assert session.control({"action": "pause"})["step"] < 1000
    finally:
        session.close()


def test_an_out_that_cannot_hold_runs_is_refused_at_start(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = subprocess.run([sys.executable, "-m", "toygan", "live", "--no-browser", "--port", "0",
                           "--out", str(blocker)], capture_output=True, text=True, timeout=DEADLINE)
    assert done.returncode == 2 and "--out" in done.stderr and "Traceback" not in done.stderr


# --- nothing lost, nothing obeyed that did not come from the server's own page (issue 37) ---

def _blocking_step(session):
    """Make the session's next move run until ``release`` is set (a control that will not end by
    itself: what stop() must cut short); ``entered`` is set once it runs."""
    entered, release = threading.Event(), threading.Event()
    game = session.game
    original = game.step

    def step():
        original()  # the game changes, then the step goes on and on
        entered.set()
        while not release.is_set():
            time.sleep(0.01)
    game.step = step
    return entered, release


def test_stop_cuts_a_control_that_does_not_end_and_keeps_the_game(tmp_path):
    session = LiveSession(CONFIG, out=tmp_path / "runs", width=480)
    try:
        session.control({"action": "step"})
        entered, release = _blocking_step(session)
        future = session.submit({"action": "step"})
        assert entered.wait(DEADLINE)
        session.stop(grace=0.2)
        assert not session._thread.is_alive() and not session.alive
        with pytest.raises(ToyganError, match="server stopped before this control finished"):
            future.result(DEADLINE)
        with pytest.raises(ToyganError, match="has stopped"):  # and later ones at once
            session.control({"action": "step"}, timeout=DEADLINE)
        assert not session.game.state_is_whole  # cut mid-step: its state is not resumable
        note = session.save_last()
        assert "cut short" in note
        run = tmp_path / "runs" / "live-001"
        assert History.load(run / "history.npz").status == "interrupted"
        assert not (run / "checkpoint.pt").exists()
    finally:
        release.set()
        session.close()


def test_a_control_whose_asker_gave_up_is_not_carried_out_and_the_worker_lives(tmp_path):
    session = LiveSession(CONFIG, out=tmp_path / "runs", width=480)
    try:
        entered, release = _blocking_step(session)
        first = session.submit({"action": "step"})
        assert entered.wait(DEADLINE)
        second = session.submit({"action": "step"})
        assert first.cancel() is False  # running: it cannot be taken back, and is answered anyway
        assert second.cancel() is True  # still queued: it never runs
        release.set()
        assert first.result(DEADLINE)["step"] == 1
        assert session.control({"action": "pause"}, timeout=DEADLINE)["step"] == 1
        assert session.alive
    finally:
        release.set()
        session.close()


def test_a_worker_that_fails_answers_every_control_and_stops_the_server(tmp_path):
    server = Live(tmp_path)
    try:
        def broken():
            raise RuntimeError("a bug in the worker")
        server.session._describe = broken  # fails outside any control's own error handling
        status, body = server.post({"action": "step"})
        assert status == 503 and "a bug in the worker" in body["error"]
        server.thread.join(DEADLINE)  # the server stops by itself: no dead worker behind a live page
        assert not server.thread.is_alive()
        assert "RuntimeError: a bug in the worker" in server.session.failure
    finally:
        server.close()


def _post(url, payload, headers=JSON):
    request = urllib.request.Request(url + "api/control", data=json.dumps(payload).encode(),
                                     method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")
    except (urllib.error.URLError, ConnectionError, TimeoutError) as err:  # the server went away first
        return 503, {"error": str(err)}


def test_numbered_saves_never_replace_a_run_whatever_the_folder_holds(tmp_path):
    out = tmp_path / "runs"
    for name in ("live-999", "live-0042", "live-abc", "live-١٢"):  # (Arabic digits are no number)
        (out / name).mkdir(parents=True)
    (out / "live-999" / "history.npz").write_bytes(b"the class's run")
    session = LiveSession(CONFIG, out=out, width=480)
    try:
        session.control({"action": "step"})
        first = session.control({"action": "save"})["saved"][-1]
        session.control({"action": "step"})
        second = session.control({"action": "save"})["saved"][-1]
    finally:
        session.close()
    assert [Path(first).name, Path(second).name] == ["live-1000", "live-1001"]
    assert (out / "live-999" / "history.npz").read_bytes() == b"the class's run"


def test_a_flood_of_resets_cannot_write_past_the_sessions_budget(tmp_path, monkeypatch):
    from toygan.live import saving

    session = LiveSession(CONFIG, out=tmp_path / "runs", width=480)
    try:
        session.control({"action": "step"})
        session.control({"action": "reset"})  # saves the moved game first
        monkeypatch.setattr(saving, "MAX_SAVED_BYTES", session.saved_bytes)
        session.control({"action": "step"})
        with pytest.raises(ToyganError, match="its limit"):
            session.control({"action": "reset"})  # refused, nothing changed: the game is kept
        assert session.state()["step"] == 1 and len(list((tmp_path / "runs").iterdir())) == 1
    finally:
        session.close()


REFUSED = [  # (headers, path, method): a browser page of another site, or a rebinding name
    ({"Content-Type": "text/plain"}, "/api/control", "POST"),
    ({"Content-Type": "application/x-www-form-urlencoded"}, "/api/control", "POST"),
    ({"Content-Type": "multipart/form-data; boundary=x"}, "/api/control", "POST"),
    ({**JSON, "Origin": "http://evil.example"}, "/api/control", "POST"),
    ({**JSON, "Origin": "null"}, "/api/control", "POST"),
    ({**JSON, "Origin": "http://127.0.0.1:1"}, "/api/control", "POST"),  # another port: another site
    ({**JSON, "Host": "evil.example"}, "/api/control", "POST"),
    ({**JSON, "Host": "127.0.0.1.evil.example:80"}, "/api/control", "POST"),
    ({"Host": "evil.example:8765"}, "/api/state", "GET"),
    ({"Host": "evil.example"}, "/", "GET"),
    ({"Host": "localhost.evil.example"}, "/api/frame.png", "GET"),
]


@pytest.mark.parametrize("headers, path, method", REFUSED)
def test_the_local_server_obeys_only_its_own_page(live, headers, path, method):
    data = b'{"set": {"train.lr_d": 0.123}}' if method == "POST" else None
    request = urllib.request.Request(live.url + path, data=data, method=method, headers=headers)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=DEADLINE)
    assert refused.value.code in (403, 415)
    assert len(json.loads(refused.value.read())["error"].splitlines()) == 1
    assert live.state()["settings"]["train.lr_d"] != 0.123


def test_its_own_page_and_clients_without_a_browser_are_obeyed(live):
    port = live.url.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "127.0.0.1", "LOCALHOST."):
        own = {**JSON, "Host": host, "Origin": f"http://{host}"}
        assert live.post({"set": {"train.lr_d": 0.001}}, headers=own)[0] == 200
    assert live.post({"set": {"train.lr_d": 0.002}}, headers={"Content-Type": "application/json; charset=utf-8"})[0] == 200


def test_a_websocket_is_served_only_to_the_servers_own_page(live):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    ws_url = live.url.replace("http://", "ws://") + "/ws"
    with connect(ws_url, origin=live.url, open_timeout=DEADLINE, proxy=None) as ws:
        assert ws.recv(timeout=DEADLINE)[:2] == b"\xff\xd8"  # a JPEG frame
    port = int(live.url.rsplit(":", 1)[1])
    for url, origin in ((ws_url, "http://evil.example"), (f"ws://evil.example:{port}/ws", None)):
        with pytest.raises(InvalidStatus) as refused:  # another site's page; a rebinding name
            connect(url, origin=origin, open_timeout=DEADLINE, proxy=None,
                    sock=socket.create_connection(("127.0.0.1", port), timeout=DEADLINE))
        assert refused.value.response.status_code == 403


def test_a_shared_server_knows_its_names(tmp_path):
    from toygan.live.server import _host_allowed, allowed_hosts

    shared = allowed_hosts("0.0.0.0")
    for host in ("10.1.2.3:8765", "[fe80::1]:8765", f"{socket.gethostname()}:8765", "localhost"):
        assert _host_allowed(host, shared, shared=True), host
    assert not _host_allowed("evil.example:8765", shared, shared=True)
    local = allowed_hosts("127.0.0.1")
    assert not _host_allowed("10.1.2.3:8765", local, shared=False)  # a loopback server has no other address
    assert _host_allowed("[::1]:8765", local, shared=False)


def test_a_client_that_leaves_mid_body_leaves_no_traceback(tmp_path):
    proc, url = _start(tmp_path)
    try:
        host, port = url.split("//")[1].rstrip("/").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=DEADLINE) as conn:
            conn.sendall(f"POST /api/control HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                         "Content-Length: 1000\r\n\r\n{\"act".encode())
        assert _post(url, {"action": "step"})[0] == 200  # served on, and the request above was answered
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 0 and "Traceback" not in err and "ClientDisconnect" not in err, err


def test_the_page_offers_the_eigenvalues_of_the_game(live):
    """The eigenvalues panel on a game that does not record them: each frame computes them."""
    assert "eigenvalues" in live.state()["choices"]["live.panels"]
    live.post({"set": {"live.panels": ["samples", "eigenvalues"]}})
    _until(lambda: live.session.panels == ("samples", "eigenvalues")
           and live.state()["frame"] > 1, "the eigenvalues panel")
    live.post({"action": "step"})
    _until(lambda: live.state()["view_note"] == "" and live.state()["frame"] > 2, "a frame with it")
    status, png = live.request("/api/frame.png")
    assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
