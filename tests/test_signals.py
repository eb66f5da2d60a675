"""Stop signals — Ctrl-C's SIGINT, SIGTERM, SIGHUP — at any moment of every command that works for
a while: each ends with one line and exit 130 (or as its command says: training saves first),
keeps what it finished and never what it cut short, and a resume goes on exactly. The commands
run in subprocesses; each test waits for the line that says the work started (a readiness
signal), never for a fixed time."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from conftest import TOYGAN
from test_evaluation import INTERRUPTING, tiny_config
from test_live import DEADLINE, JSON, _post
from test_live import _start as start_live
from test_recipes import RECIPE
from test_reliability import RUN_TOML, same_history
from test_reliability import _start as start_command
from test_sweep import write_spec

import toygan
from toygan import Game, History
from toygan.recipes import GALLERY
from toygan.sweep import load_spec, read_summary

# --- The command, at any moment of its start-up, its work and its end ---


def test_ctrl_c_keeps_what_was_recorded(tmp_path):
    """SIGINT right after the announcement (Ctrl-C is handled from then on: no timing): the run
    stops at the end of a step and keeps its history and its state."""
    out = tmp_path / "long"
    proc = subprocess.Popen([TOYGAN, "train", "--preset", "ring", "--out", str(out), "--steps", "100000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("training a")  # printed once Ctrl-C is handled
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "training interrupted at step" in stderr and "Traceback" not in stderr
    with np.load(out / "history.npz") as npz:
        assert len(npz["steps"]) >= 1 and npz["steps"][-1] < 100000
    assert 1 <= Game.load(out).iteration < 100000


@pytest.mark.parametrize("delay", [0.0, 0.1, 0.4, 0.8])
def test_ctrl_c_at_any_moment_of_start_up_gives_no_traceback(tmp_path, delay):
    """A Ctrl-C while the command is still importing torch, building the game or training: one
    line and status 130 (or, before Python has started, the signal's own status). Whatever the
    moment the signal lands, these are the only outcomes, so the test does not depend on timing."""

    proc = subprocess.Popen([TOYGAN, "train", "--preset", "ring", "--out", str(tmp_path / "r"),
                             "--steps", "100000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        # CPython itself can swallow a Ctrl-C that lands while it starts: it prints "'import
        # warnings' failed" with the KeyboardInterrupt and runs on, so toygan never saw it (seen
        # once in 5 loaded runs). The run then trains: a second Ctrl-C must stop it cleanly. (A
        # command merely slow to stop gets its second Ctrl-C while saving, which it holds back:
        # the same outcome, so the wait's length decides nothing.)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=300)
    if "Fatal Python error: init_import_site" in stderr:  # landed while CPython itself started,
        return  # before any toygan code ran (seen on a busy machine): the interpreter's own outcome
    package = str(Path(toygan.__file__).parent)
    assert "Traceback" not in stderr or package not in stderr, stderr  # none from toygan's code
    if "KeyboardInterrupt" in stderr and proc.returncode not in (130, -signal.SIGINT):
        return  # in the launcher pip wrote (its `import re`), before any toygan code: Python's outcome
    assert proc.returncode in (130, -signal.SIGINT), stderr


def test_a_stop_signal_at_any_moment_of_a_command_ends_it_with_one_line(tmp_path):
    """SIGTERM or SIGHUP once the command runs, before it handles signals itself: one line and exit
    130 (the default action ended it with status 143 and nothing said). The stand-in command says
    "ready" once it runs (no timing)."""

    code = ("import sys, time, toygan.cli as cli\n"
            "def command(argv=None):\n    print('ready', flush=True)\n    time.sleep(600)\n"
            "cli.main = command\nfrom toygan._entry import main\nsys.exit(main())\n")
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=tmp_path)
        assert proc.stdout.readline() == "ready\n"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130 and err == "toygan: interrupted\n", (sig, err)


def test_once_a_command_is_done_stop_signals_are_ignored(monkeypatch):
    import toygan.cli
    from toygan import _entry

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    monkeypatch.setattr(toygan.cli, "main", lambda argv=None: 0)
    try:
        assert _entry.main() == 0
        assert all(signal.getsignal(sig) == signal.SIG_IGN for sig in previous)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- toygan train, and its resume ---


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_saves_history_and_checkpoint_and_resume_finishes_exactly(tmp_path, sig):
    """A real `toygan train` gets Ctrl-C (or a scheduler's SIGTERM, a closed terminal's SIGHUP)
    mid-run: it keeps what it recorded and a checkpoint, says how to resume, exits 130; `--resume`
    then ends with the history of an uninterrupted run. The announcement is printed once the
    signals are handled, so the signal is sent right after it (no timing): it lands in the first
    steps."""
    (tmp_path / "run.toml").write_text(RUN_TOML.replace("3000", "1000"))
    proc = start_command(["train", "--config", "run.toml", "--out", "r"], tmp_path)
    assert proc.stdout.readline().startswith("training a")  # the signals are handled from here on
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "toygan train --resume r" in err and "Traceback" not in err
    interrupted = History.load(tmp_path / "r" / "history.npz")
    stopped_at = Game.load(tmp_path / "r").iteration
    assert interrupted.status == "interrupted" and 0 < stopped_at < 1000
    assert interrupted.steps[-1] <= stopped_at < interrupted.steps[-1] + 100

    resumed = subprocess.run([TOYGAN, "train", "--resume", "r", "--quiet"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    again = subprocess.run([TOYGAN, "train", "--resume", "r"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 2 and "the run is complete" in again.stderr
    whole = subprocess.run([TOYGAN, "train", "--config", "run.toml", "--out", "w", "--quiet"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr
    assert same_history(History.load(tmp_path / "w" / "history.npz"),
                        History.load(tmp_path / "r" / "history.npz"))


# --- A save ---


def test_a_ctrl_c_during_save_waits_for_the_whole_run_folder(tmp_path, monkeypatch):
    """SIGINT lands while the history is being written: the save finishes (history and checkpoint
    agree and load), then the Ctrl-C takes effect. Python's own Ctrl-C handler is put in place
    first: a process started in the background by a shell without job control (a CI runner, say)
    inherits SIGINT ignored, and then a Ctrl-C rightly does nothing."""
    game = Game(tiny_config())
    game.run(12, progress=False)
    original = History.save

    def save_and_interrupt(self, path):
        os.kill(os.getpid(), signal.SIGINT)
        return original(self, path)

    monkeypatch.setattr(History, "save", save_and_interrupt)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            game.save(tmp_path / "run")
    finally:
        signal.signal(signal.SIGINT, previous)
    monkeypatch.undo()
    assert Game.load(tmp_path / "run").iteration == 12


# --- The end-of-run evaluation ---


@pytest.mark.parametrize("members", [1, 2])  # one: the signal lands during the last member's work
def test_ctrl_c_during_the_evaluation_leaves_the_run_interrupted_and_resumable(tmp_path, monkeypatch,
                                                                                members):
    (tmp_path / "signals_metric.py").write_text(INTERRUPTING)
    monkeypatch.chdir(tmp_path)
    game = Game(tiny_config(**{"train.steps": 10, "train.members": members,
                               "record.metrics": ["signals_metric:interrupting"]}))
    history = game.run(progress=False)
    assert history.status == "interrupted" and history.evaluation is None
    assert history.message.startswith("the final evaluation was interrupted")
    game.save(tmp_path / "run")
    again = Game.load(tmp_path / "run")
    assert again.status == "interrupted"
    monkeypatch.setattr(signal, "SIGINT", signal.SIGUSR1)  # (the metric's next signal is harmless)
    signal.signal(signal.SIGUSR1, lambda *a: None)
    finished = again.run(progress=False)
    assert finished.status == "completed" and finished.evaluation["step"] == 10


# --- toygan check ---


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_stops_check_with_one_line(sig, tmp_path):
    """Sent once the table's header is out (the readiness signal), during the claims' work."""
    process = subprocess.Popen([sys.executable, "-m", "toygan", "check", "d-converges-to-d-star",
                                "d-half-at-equilibrium", "--seeds", "20", "--jobs", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert process.stdout.readline().startswith("claim")
    process.send_signal(sig)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err.strip() == "toygan: interrupted"


# --- toygan animations build ---


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_stop_during_a_build_in_processes_ends_it_with_one_line(tmp_path, sig):
    """Ctrl-C or SIGTERM while recipes build in worker processes: one line and exit 130, and what
    was built before the stop is kept. The stop comes once the quick recipe has printed its line,
    while the other is still training (it would train for hours)."""

    folder, out = tmp_path / "recipes", tmp_path / "out"
    folder.mkdir()
    (folder / "dirac.toml").write_text((GALLERY / "dirac-gan.toml").read_text())
    (folder / "endless.toml").write_text(RECIPE.format(extra="panels = ['samples']").replace(
        "steps = 20", "steps = 100_000_000\n[record]\nevery = 10_000_000"))
    toygan = str(Path(sys.executable).with_name("toygan"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}  # as a user's shell has it
    # a session of its own: a terminal's Ctrl-C reaches the whole process group, workers included
    proc = subprocess.Popen([toygan, "animations", "build", "--recipes", str(folder), "--out", str(out),
                             "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        while not (line := proc.stdout.readline()).startswith("dirac:"):
            assert line, proc.communicate()[1]  # the build ended before the quick recipe was built
        if sig == "SIGINT":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGTERM)  # kill's signal goes to the one process
        _, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130 and err == "toygan: interrupted\n", err
    assert list(json.loads((out / "results.json").read_text())) == ["dirac"]
    assert (out / "dirac.gif").exists() and not (out / "endless.gif").exists()


# --- toygan sweep ---


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_sweep_keeps_what_finished_and_not_what_was_cut_short(sig, tmp_path):
    """The second configuration cannot finish (10^6 steps); the signal is sent once the sweep has
    announced itself (its handlers are in place) and the second task has started (its config is
    written): the first task stays done, the second is not recorded as done, the exit is 130."""
    body = ('[[configs]]\nlabel = "short"\n\n[[configs]]\nlabel = "endless"\n'
            '"train.steps" = 1000000\n"record.every" = 100000\n')
    spec = load_spec(write_spec(tmp_path, body))
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "toygan", "sweep", str(tmp_path / "spec.toml"),
                                "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    assert process.stdout.readline().startswith("sweep: 2 configuration(s)")
    started = out / "tasks" / spec.tasks[1].id / "config.toml"
    while not started.is_file() and process.poll() is None:
        time.sleep(0.05)  # polling for the readiness file, not a fixed delay
    process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "1 of 2 configurations done" in err and "Traceback" not in err
    assert (out / "tasks" / spec.tasks[0].id / "rows.json").is_file()
    assert not (out / "tasks" / spec.tasks[1].id / "rows.json").exists()
    assert [e["label"] for e in read_summary(out)] == ["short"]


# --- toygan live ---


def test_signals_during_the_last_save_do_not_lose_it(tmp_path):
    proc, url = start_live(tmp_path, "--set", "train.batch_size=32")
    try:
        request = urllib.request.Request(url + "api/control", data=b'{"action": "play"}', method="POST",
                                         headers=JSON)
        urllib.request.urlopen(request, timeout=DEADLINE).read()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.stdout.readline()  # the "Ctrl-C stops" line; the next is the save's
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            if proc.poll() is None:
                proc.send_signal(sig)
        out, err = proc.communicate(timeout=DEADLINE)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "terminate called" not in err
    assert (tmp_path / "runs" / "live-001" / "history.npz").is_file()


def test_the_command_stops_within_seconds_with_a_slow_control_in_flight(tmp_path):
    proc, url = start_live(tmp_path, "--set", "train.batch_size=32")
    answers, slow = [], None
    try:
        answers.append(_post(url, {"action": "step"}))  # a quick first step: the game moved
        answers.append(_post(url, {"set": {"train.batch_size": 65536, "train.d_steps": 100}}))
        slow = threading.Thread(target=lambda: answers.append(_post(url, {"action": "step"})))
        slow.start()  # seconds per iteration; the signal lands while it runs, or just after
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=DEADLINE)
        if slow is not None:
            slow.join(DEADLINE)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "saved to" in out, out + err
    assert answers[0][0] == answers[1][0] == 200 and answers[2][0] in (200, 503)  # never a 500
    assert History.load(tmp_path / "runs" / "live-001" / "history.npz").n_snapshots >= 1


def test_the_pools_own_race_on_a_stop_is_not_printed_and_every_other_thread_error_is():
    """joblib's pool, stopped while it hands out work, may fail in its manager thread (loky's
    KeyError in add_call_item_to_queue): that one error is not printed; any other is."""
    from toygan.cli.common import _without_pool_abort_race

    printed = []
    hook = _without_pool_abort_race(printed.append)

    def raised(thread: str, function: str, error: BaseException) -> threading.ExceptHookArgs:
        scope = {}
        exec(f"def {function}(error):\n    raise error\n", scope)
        try:
            scope[function](error)
        except BaseException as caught:  # noqa: BLE001 - the traceback is what is wanted
            trace = caught.__traceback__
        return threading.ExceptHookArgs((type(error), error, trace, threading.Thread(name=thread)))

    hook(raised("ExecutorManagerThread", "add_call_item_to_queue", KeyError(1)))
    assert printed == []
    others = [raised("ExecutorManagerThread", "wait_result_broken_or_wakeup", KeyError(1)),
              raised("Thread-1", "add_call_item_to_queue", KeyError(1)),
              raised("ExecutorManagerThread", "add_call_item_to_queue", ValueError("no"))]
    for args in others:
        hook(args)
    assert printed == others
    assert _without_pool_abort_race(hook) is hook  # installed twice: one filter


def test_a_stop_inside_a_finaliser_is_raised_again_once_it_returns_not_dropped():
    """A stop signal that arrives while a weakref callback or a __del__ runs would be printed as
    "Exception ignored" and lost (seen once in CI: `animations build` under SIGINT); the handler
    raises the signal again instead, and stops as usual anywhere else."""
    from toygan._stop import interrupt

    scope = {"sys": sys}
    exec(compile("def remove():\n    return sys._getframe()\n", "/lib/python3/weakref.py", "exec"), scope)
    in_callback = scope["remove"]()
    again = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: again.append(signum))
    try:
        interrupt(signal.SIGUSR1, in_callback)  # no exception: the signal is raised again
        for _ in range(100_000):  # (Python runs the handler at its next instruction)
            if again:
                break
        assert again == [signal.SIGUSR1]
    finally:
        signal.signal(signal.SIGUSR1, previous)
    with pytest.raises(KeyboardInterrupt):
        interrupt(signal.SIGINT, sys._getframe())
