"""Frames drawn beside the training: a game that follows another draws what that one is, a slow
drawer drops frames instead of queueing them, and the drawing process starts from any script,
falls back to a thread when it dies, and ends with the session (or with its killed parent).
Nothing here waits a fixed time: each wait is for a state, with a generous deadline."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
from test_live import CONFIG, DEADLINE, _until  # one waiting rule for the live tests

from toygan import Game
from toygan.live import LiveSession
from toygan.live.drawer import Drawer, Painter, picture


def test_a_game_that_follows_another_is_drawn_as_that_one_is():
    game = Game(CONFIG)
    for _ in range(37):  # past a few recorded snapshots, and between two
        game.step()
    game.update({"train.lr_d": 3e-4, "train.loss": "hinge"})
    game.step()
    mirror = Game(CONFIG)
    mirror.follow(game.position())
    assert mirror.config == game.config and mirror.events == game.events
    assert (mirror.iteration, mirror.moves, mirror.status, mirror.message) == \
        (game.iteration, game.moves, game.status, game.message)
    assert mirror.recorder.steps == game.recorder.steps
    ours, theirs = game.snapshot(), mirror.snapshot()
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_array_equal(theirs[key], ours[key], err_msg=key)
    # only the snapshots it lacks are sent from then on
    held = len(mirror.recorder.steps)
    for _ in range(25):
        game.step()
    mirror.follow(game.position(held))
    assert mirror.recorder.steps == game.recorder.steps
    np.testing.assert_array_equal(mirror.history.scalars["d_real"], game.history.scalars["d_real"])


class _SlowPainter(Painter):
    """Paints only when let (``go``), counting what it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.go, self.painted, self.started = threading.Semaphore(0), [], threading.Event()

    def paint(self, given: dict) -> dict:
        self.started.set()
        self.go.acquire()
        self.painted.append(given["position"]["iteration"])
        return {"jpeg": b"x", "metrics": {}, "note": "", "error": "", "key": given["key"], "held": 1}


def test_a_slow_drawer_draws_the_latest_picture_and_drops_the_rest():
    game = Game(CONFIG)
    frames = []
    drawer = Drawer(frames.append, process=False)
    painter = drawer._painter = _SlowPainter()
    try:
        drawer.offer(picture(game, 0, 0, panels=("samples",), width=480, full=False))
        assert painter.started.wait(DEADLINE)  # drawing the first, while four more are offered
        for _ in range(4):
            game.step()
            drawer.offer(picture(game, 0, 0, panels=("samples",), width=480, full=False))
        painter.go.release()
        painter.go.release()
        _until(lambda: len(frames) == 2, "two frames")
        assert painter.painted == [0, 4]  # the first, and the latest: none queued between
    finally:
        painter.go.release()
        drawer.close()


def test_frames_come_from_a_process_of_their_own_and_from_a_thread_when_it_dies(tmp_path):
    session = LiveSession(CONFIG.replace(**{"train.steps": 10**6}), out=tmp_path, width=480)
    try:
        assert session.draws_apart and session.frame_id >= 1
        process = session._drawer._process
        session.control({"action": "play"})
        seen = session.frame_id
        _until(lambda: session.frame_id > seen + 3, "frames while playing")
        os.kill(process.pid, signal.SIGKILL)
        _until(lambda: not session.draws_apart, "the fallback to a thread")
        seen = session.frame_id
        _until(lambda: session.frame_id > seen + 3, "frames drawn in a thread")
        state = session.control({"action": "pause"})
        assert "the drawing process ended" in state["view_note"]
        assert len(session.png()) > 1000
    finally:
        session.close()
    assert process.poll() is not None


def test_a_script_without_a_main_guard_starts_one_drawing_process(tmp_path):
    script = tmp_path / "lecture.py"
    script.write_text(textwrap.dedent(f"""
        from conftest import tiny_config
        from toygan.live import LiveSession
        session = LiveSession(tiny_config(**{{"record.grid_size": 32}}), out={str(tmp_path)!r}, width=480)
        print("apart", session.draws_apart, flush=True)
        session.control({{"action": "step"}})
        session.close()
        print("closed", flush=True)
    """))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(__file__), *sys.path])}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=DEADLINE,
                          env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["apart True", "closed"]  # the script ran once


def test_the_drawing_process_ends_when_its_server_is_killed(tmp_path):
    server = subprocess.Popen([sys.executable, "-m", "toygan", "live", "--no-browser", "--port", "0",
                               "--out", str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().startswith("toygan live: http")  # up: its drawer too
        children = open(f"/proc/{server.pid}/task/{server.pid}/children").read().split()
        assert len(children) == 1
        drawer = int(children[0])
        server.kill()  # no clean-up at all
        server.wait(DEADLINE)
        _until(lambda: not os.path.exists(f"/proc/{drawer}") or
               open(f"/proc/{drawer}/stat").read().split()[2] == "Z", "the drawer to end")
    finally:
        server.kill()
        server.wait()


def test_a_stopped_drawer_does_not_hold_up_closing(tmp_path):
    session = LiveSession(CONFIG, out=tmp_path, width=480)
    process = session._drawer._process
    try:
        os.kill(process.pid, signal.SIGSTOP)  # hung: it reads no more pictures, answers none
        for _ in range(3):
            session.control({"action": "step"})  # answered: the worker never waits on the drawer
    finally:
        started = time.monotonic()
        session.close()
    assert process.poll() is not None  # killed, not waited on forever
    assert time.monotonic() - started < 30  # (about 2 s; a deadline for a busy machine)


def test_a_loss_registered_in_this_process_only_is_drawn_here(tmp_path):
    from toygan.objectives import OBJECTIVES

    OBJECTIVES["mine"] = OBJECTIVES["non-saturating"]  # a user's own, unknown to a new process
    try:
        session = LiveSession(CONFIG.replace(**{"train.loss": "mine"}), out=tmp_path, width=480)
        try:
            assert session.frame_id >= 1 and not session.draws_apart
            assert "could not draw this game" in session.state()["view_note"]
            seen = session.frame_id
            session.control({"action": "step"})
            _until(lambda: session.frame_id > seen, "a frame drawn here")
        finally:
            session.close()
    finally:
        del OBJECTIVES["mine"]
