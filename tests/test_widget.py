"""The live widget (``toygan.live.widget``) driven in a real Jupyter kernel: its buttons and fields
as a notebook's front end would press them, the messages it sends, and the kernel's end."""

import json
import os
import textwrap
import threading
import time

import pytest

pytest.importorskip("ipywidgets", reason="the widget tests need ipywidgets")
jupyter_client = pytest.importorskip("jupyter_client", reason="the widget tests need jupyter_client")
pytest.importorskip("ipykernel", reason="the widget tests need ipykernel")

DEADLINE = 120.0  # seconds: only a broken widget takes this long


@pytest.fixture
def kernel(tmp_path):
    """A fresh IPython kernel in ``tmp_path`` (its saves go there) and a client of it."""
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code: str) -> tuple[str, list[dict]]:
    """Run ``code`` in the kernel: what it printed, and every widget message it sent meanwhile
    (from any of its threads); an error in the kernel fails the test with its traceback."""
    msg_id = client.execute(WAIT + textwrap.dedent(code))
    printed, sent, failed = [], [], []
    while True:
        msg = client.get_iopub_msg(timeout=DEADLINE)
        kind, content = msg["header"]["msg_type"], msg["content"]
        ours = msg["parent_header"].get("msg_id") == msg_id
        if kind == "stream" and ours:
            printed.append(content["text"])
        elif kind == "error" and ours:
            failed.append("\n".join(content["traceback"]))
        elif kind.startswith("comm_"):
            sent.append(msg)
        elif kind == "status" and ours and content["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=DEADLINE)
    assert reply["content"]["status"] == "ok", "".join(failed)
    return "".join(printed), sent


WAIT = """
import json
import time
def wait_for(what, deadline=120):
    # polls the session's state until what() holds: a readiness signal, not a fixed delay
    end = time.monotonic() + deadline
    while not what():
        assert time.monotonic() < end, "gave up waiting"
        time.sleep(0.05)
"""


def test_the_widget_plays_steps_and_takes_settings_in_a_kernel(kernel):
    _, client = kernel
    run(client, """
    import toygan.live
    w = toygan.live.widget(preset="ring", seed=3, **{"train.lr_d": 2e-4})
    s = w.session
    display(w)
    """)
    printed, _ = run(client, """
    print(s.state()["settings"]["train.lr_d"], s.state()["settings"]["train.seed"], s.state()["running"])
    """)
    assert printed.split() == ["0.0002", "3", "False"]

    # play: the session trains and the widget's image is sent again and again
    printed, sent = run(client, """
    w.buttons["play"].click()
    wait_for(lambda: s.state()["step"] >= 100 and w._frame_shown >= 3)
    print(w.buttons["play"].description)
    """)
    assert "pause" in printed
    images = [m for m in sent if m["header"]["msg_type"] == "comm_msg"  # (binary values travel as buffers)
              and ["value"] in m["content"]["data"].get("buffer_paths", [])]
    assert images and all(bytes(m["buffers"][0][:2]) == b"\xff\xd8" for m in images)  # JPEG frames

    # pause, then one iteration, one D step and one G step by the buttons
    printed, _ = run(client, """
    w.buttons["play"].click()
    wait_for(lambda: not s.state()["running"])
    at = s.state()["step"]
    w.buttons["step"].click(); wait_for(lambda: s.state()["step"] == at + 1)
    w.buttons["d_step"].click(); wait_for(lambda: s.state()["d_steps_alone"] == 1)
    moves = s.game.moves
    w.buttons["g_step"].click(); wait_for(lambda: s.game.moves > moves and not s.state()["d_steps_alone"])
    print("moved", s.state()["step"] - at, s.game.moves - moves)
    """)
    assert "moved 1 1" in printed  # (a G step by hand is no iteration: the D step came first)

    # a learning rate typed into its field: the game's state follows
    printed, _ = run(client, """
    w.fields["train.lr_d"].value = 1e-3
    wait_for(lambda: s.state()["settings"]["train.lr_d"] == 1e-3)
    print(s.game.config.train.lr_d, repr(w.error.value))
    """)
    assert printed.split() == ["0.001", "''"]

    # a bad value: one line under the frame, the field back at the session's value, nothing changed
    printed, _ = run(client, """
    before = s.game.config.to_dict()
    w.fields["train.lr_d"].value = -1.0
    wait_for(lambda: w.error.value and w.fields["train.lr_d"].value == 1e-3)
    print(json.dumps([w.error.value, s.game.config.to_dict() == before]))
    """)
    error, unchanged = json.loads(printed)
    assert "train.lr_d = -1.0" in error and "\n" not in error and unchanged

    # a new target from its menu: one new game, and the menu stays on it
    printed, _ = run(client, """
    games = s._key
    w.fields["data.name"].value = "grid"
    wait_for(lambda: w._on_screen["data.name"] == "grid")
    s.control({"action": "pause"})  # answered after anything the widget sent meanwhile
    print(s._key - games, s.game.config.data.name, w.fields["data.name"].value)
    """)
    assert printed.split() == ["1", "grid", "grid"]


def test_bad_settings_are_one_line_before_any_game(kernel):
    _, client = kernel
    printed, _ = run(client, """
    import toygan.live
    from toygan import ToyganError
    for bad in ({"lr_d": -1}, {"nonsense": 1}, {"name": "ring"}):
        try:
            toygan.live.widget(**bad)
        except ToyganError as err:
            print(str(err).count("\\n"), err)
    """)
    lines = printed.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("0 ") for line in lines)
    assert "lr_d = -1" in lines[0] and "nonsense = 1: not a setting" in lines[1]
    assert "name = 'ring': a field of" in lines[2]


def test_a_run_in_a_kernel_shows_a_notebook_bar_without_warnings_and_keeps_the_backend(kernel):
    _, client = kernel
    printed, sent = run(client, """
    import matplotlib
    before = matplotlib.get_backend()
    import toygan, toygan.live, toygan.render
    toygan.train(toygan.Config().replace(**{"train.steps": 20, "record.every": 10}))
    print("backend kept:", matplotlib.get_backend() == before, before)
    """)
    assert "Warning" not in printed and "IProgress" not in printed, printed
    assert "backend kept: True" in printed and "inline" in printed
    bars = [m for m in sent if m["header"]["msg_type"] == "comm_open"
            and m["content"]["data"]["state"].get("_model_name") == "FloatProgressModel"]
    assert bars, "no notebook progress bar"


def test_a_game_built_in_the_notebook_plays_on_in_a_widget(kernel):
    """``game.widget()`` on a game already trained, with the user's own networks."""
    _, client = kernel
    printed, _ = run(client, """
    import torch, toygan
    from torch import nn
    class G(nn.Module):  # defined in the notebook: the drawing process cannot unpickle it
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 2))
        def forward(self, z): return self.net(z)
    config = toygan.Config().replace(**{"train.steps": 50})
    game = toygan.Game(config, generator=G())
    game.run(progress=False)
    w = game.widget(width=480)
    s = w.session
    print(s.state()["step"])
    w.buttons["step"].click(); wait_for(lambda: s.state()["step"] == 51 and w._frame_shown >= 0)
    w.buttons["reset"].click(); wait_for(lambda: s.state()["step"] == 0)
    print(s.state()["step"], type(s.game.networks()[0]).__name__, bool(w.frame.value))
    w.fields["train.seed"].value = 5; wait_for(lambda: s.state()["settings"]["train.seed"] == 5)
    w.close()
    print("closed", s.alive)
    """)
    assert printed.split() == ["50", "0", "G", "True", "closed", "False"]


def test_ending_the_kernel_ends_the_drawing_process(kernel):
    manager, client = kernel
    printed, _ = run(client, """
    import toygan.live
    w = toygan.live.widget(preset="ring")
    w.buttons["play"].click()
    print(w.session._drawer._process.pid)
    """)
    pid = int(printed)
    os.kill(pid, 0)  # alive while the kernel is
    manager.shutdown_kernel(now=False)
    end = time.monotonic() + DEADLINE
    while _alive(pid):  # waits for the process to go: no fixed delay
        assert time.monotonic() < end, f"the drawing process {pid} outlived its kernel"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (ended, not yet reaped by init) has ended
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


# --- in this process (no kernel: the widget's Python side alone) ---


def _settled(w, what, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while not what():  # the session's state, polled: a readiness signal, not a fixed delay
        assert time.monotonic() < end, "gave up waiting"
        time.sleep(0.02)
    w.session.control({"action": "pause"})  # answered after anything sent before it


def test_a_change_undone_at_once_is_undone_and_refusals_clear(tmp_path):
    from toygan.live import widget

    w = widget(out=tmp_path, drawing="thread", width=480)
    try:
        s = w.session
        w.fields["train.lr_d"].value = 5e-4
        w.fields["train.lr_d"].value = 1e-3  # back before the widget has shown 5e-4
        _settled(w, lambda: s.state()["settings"]["train.lr_d"] == 1e-3)
        assert s.state()["settings"]["train.lr_d"] == 1e-3
        w.fields["train.gamma"].value = -1.0
        _settled(w, lambda: w._error)
        assert "train.gamma = -1.0" in w._error
        w.buttons["step"].click()  # any control taken clears the refusal
        _settled(w, lambda: not w._error)
    finally:
        w.close()
    assert not s.alive and all(field.comm is None for field in w.fields.values())  # closed, every part


def test_a_game_in_a_widget_is_moved_by_the_widget_alone(tmp_path):
    import torch

    import toygan
    from toygan import ToyganError

    game = toygan.Game(toygan.Config().replace(**{"train.steps": 20, "record.every": 10}))
    w = game.widget(out=tmp_path, drawing="thread", width=480)
    try:
        for move in (game.step, game.d_step, lambda: game.run(progress=False)):
            with pytest.raises(ToyganError, match="played by a live session") as err:
                move()
            assert "\n" not in str(err.value)
        with pytest.raises(ToyganError, match="another live session"):
            game.widget(out=tmp_path, drawing="thread")
    finally:
        w.close()
    game.step()  # closed: the game is the user's again
    diverged = toygan.Game(toygan.Config().replace(**{"train.optimizer": "sgd", "train.lr_d": 1e30,
                                                      "train.lr_g": 1e30, "train.steps": 50}))
    diverged.run(progress=False)
    assert diverged.status == "diverged"
    with pytest.raises(ToyganError, match="cannot be played on"):
        diverged.widget(out=tmp_path, drawing="thread")

    class Locked(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net, self.lock = torch.nn.Linear(2, 1), threading.Lock()

        def forward(self, x):
            return self.net(x)
    with pytest.raises(ToyganError, match="cannot be copied"):
        toygan.Game(toygan.Config(), discriminator=Locked()).widget(out=tmp_path, drawing="thread")


def test_own_networks_play_on_another_target(tmp_path):
    from torch import nn

    import toygan

    mine = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    game = toygan.Game(toygan.Config(), discriminator=mine)
    w = game.widget(out=tmp_path, drawing="thread", width=480)
    try:
        w.session.control({"set": {"data.name": "grid"}})
        assert w.session.game.config.data.name == "grid" and w.session.game.own["discriminator"]
        with pytest.raises(toygan.ToyganError, match="whose shape is yours"):
            w.session.control({"set": {"model.d_width": 8}})
    finally:
        w.close()


@pytest.mark.parametrize("options, said", [
    ({"config": "ring"}, "config = str: give a toygan.Config"),
    ({"game": "ring"}, "game = str: give a toygan.Game"),
    ({"preset": "ring", "config": None, "game": None, "out": 3}, "out = 3: give a folder's path"),
    ({"preset": "grid", "config": "x"}, "preset and config given"),
])
def test_bad_widget_options_are_one_line(options, said):
    from toygan import ToyganError
    from toygan.live import widget

    with pytest.raises(ToyganError) as err:
        widget(**options)
    assert said in str(err.value) and "\n" not in str(err.value)


def test_an_out_that_is_a_file_is_refused_before_any_game(tmp_path):
    from toygan import ToyganError
    from toygan.live import widget

    (tmp_path / "file").write_text("")
    with pytest.raises(ToyganError, match="cannot save runs there"):
        widget(out=tmp_path / "file")
