"""Damaged and hostile checkpoints, and extreme configs that pass validation.

A mutated ``checkpoint.pt`` (truncated, bit-flipped, or with any part of its state deleted or
replaced by a value of another type, shape, dtype or size) is refused in one line naming the run
(a ToyganError), or the game loads and goes on to its end; nothing else. An extreme but valid-looking
config (any numeric field at the edge of what it allows, or far beyond) is refused in one line, or
trains, records and draws: no traceback, no hang, no memory blow-up (the test lowers the memory a
run may use to 256 MiB, so the refusals are the resource check's).
"""

from __future__ import annotations

import inspect
import io
import math
from functools import cache
from unittest import mock

import numpy as np
import torch
from conftest import damaged, tiny_config
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from toygan import Config, Game
from toygan.checkpoint import CHECKPOINT_FILE, HISTORY_FILE
from toygan.data import TARGETS
from toygan.errors import ToyganError
from toygan.render import Animation

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@cache
def _saved(folder: str) -> tuple[bytes, bytes]:
    """A run stopped at step 10 of 20 and saved: its checkpoint's and history's bytes."""
    config = tiny_config(**{"train.steps": 20, "record.every": 5, "record.n_samples": 32,
                            "record.grid_size": 8})
    game = Game(config)
    game.run(callbacks=[lambda g, recorded: g.iteration < 10], progress=False)
    game.save(folder)
    with open(f"{folder}/{CHECKPOINT_FILE}", "rb") as c, open(f"{folder}/{HISTORY_FILE}", "rb") as h:
        return c.read(), h.read()


def _answer(run_dir) -> str:
    """"refused" (one line naming the run) or "resumed" (it went on to its end)."""
    try:
        game = Game.load(run_dir)
    except ToyganError as err:
        assert str(run_dir) in str(err) and "\n" not in str(err)
        return "refused"
    game.run(progress=False)
    assert game.status in ("completed", "diverged")
    return "resumed"


def _write(tmp_path_factory, checkpoint: bytes):
    run_dir = tmp_path_factory.mktemp("run")
    original, history = _saved(str(tmp_path_factory.getbasetemp() / "original"))
    (run_dir / HISTORY_FILE).write_bytes(history)
    (run_dir / CHECKPOINT_FILE).write_bytes(checkpoint)
    return run_dir


@FUZZ
@given(st.data())
def test_truncated_or_bit_flipped_checkpoints_are_refused_or_resume(tmp_path_factory, data):
    original, _ = _saved(str(tmp_path_factory.getbasetemp() / "original"))
    assert _answer(_write(tmp_path_factory, damaged(data, original))) in ("refused", "resumed")


def _leaves(node, path=()):
    """Every path into the state: dict keys and list items, down to the values."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))


REPLACEMENTS = {
    "deleted": None, "none": lambda v: None, "string": lambda v: "x", "zero": lambda v: 0,
    "negative": lambda v: -7, "huge": lambda v: 2**62, "nan": lambda v: math.nan, "true": lambda v: True,
    "empty list": lambda v: [], "empty dict": lambda v: {}, "empty tensor": lambda v: torch.empty(0),
    "scalar tensor": lambda v: torch.tensor(3.0),
    "wider": lambda v: torch.cat([v, v], dim=-1) if torch.is_tensor(v) and v.dim() else torch.ones(5, 5),
    "float64": lambda v: v.double() if torch.is_tensor(v) else torch.zeros(2, dtype=torch.float64),
    "int tensor": lambda v: v.long() if torch.is_tensor(v) else torch.zeros(2, dtype=torch.long),
    "inf tensor": lambda v: (torch.full_like(v.float(), math.inf) if torch.is_tensor(v)
                             else torch.tensor(math.inf)),
    "one more item": lambda v: [*v, v[0]] if isinstance(v, list) and v else [1],
}


@FUZZ
@given(st.data())
def test_a_state_with_any_part_deleted_or_replaced_is_refused_or_resumes(tmp_path_factory, data):
    original, _ = _saved(str(tmp_path_factory.getbasetemp() / "original"))
    payload = torch.load(io.BytesIO(original), weights_only=True)
    paths = [p for p in _leaves(payload) if p]
    path = data.draw(st.sampled_from(paths), "path")
    how = data.draw(st.sampled_from(sorted(REPLACEMENTS)), "how")
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    if how == "deleted":
        if isinstance(parent, tuple):
            return  # (torch's own states; not a container a file can hold as a tuple)
        del parent[path[-1]]
    else:
        if isinstance(parent, tuple):
            return
        parent[path[-1]] = REPLACEMENTS[how](parent[path[-1]])
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    assert _answer(_write(tmp_path_factory, buffer.getvalue())) in ("refused", "resumed")


# --- extreme configs ---

EXTREMES = [0, 1, -1, 2, 3, 7, 64, 512, 4096, 65536, 10**6, 10**9, 2**31, 2**63 - 1, 10**400,
            1e-300, 1e-30, 1e-8, 0.5, 0.999999, 1.0, 1.5, 1e3, 1e8, 1e30, 1e300, -1e-300, -1e300]
DEFAULTS = {f"{section}.{key}": value for section, values in Config().to_dict().items()
            for key, value in values.items()
            if isinstance(value, int | float) and not isinstance(value, bool) and key != "threads"}
SCALES = (1e-6, 1e-3, 0.1, 10, 1e3, 1e6)  # around the default: valid-looking, often at the limits


def _value(data, default, label):
    """An extreme value, or the default scaled by orders of magnitude (an int stays an int)."""
    if data.draw(st.booleans(), f"{label} extreme"):
        return data.draw(st.sampled_from(EXTREMES), label)
    scaled = (default or 1) * data.draw(st.sampled_from(SCALES), label)
    return max(int(scaled), 1) if isinstance(default, int) else scaled
SHAPES = {  # the targets' numeric parameters
    name: {p: param.default for p, param in inspect.signature(factory).parameters.items()
           if isinstance(param.default, int | float) and not isinstance(param.default, bool)}
    for name, factory in TARGETS.items() if name not in ("points", "image")
}


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_extreme_configs_are_refused_in_one_line_or_train_record_and_draw(data):
    changes = {}
    for _ in range(data.draw(st.integers(1, 3), "fields")):
        key = data.draw(st.sampled_from(sorted(DEFAULTS)), "field")
        changes[key] = _value(data, DEFAULTS[key], key)
    if data.draw(st.booleans(), "target"):
        name = data.draw(st.sampled_from(sorted(SHAPES)), "target name")
        params = {p: _value(data, default, p) for p, default in SHAPES[name].items()
                  if data.draw(st.booleans(), f"set {p}")}
        changes.update({"data.name": name, "data.params": params})
    with mock.patch("toygan.resources.available_bytes", lambda: 2**28):
        try:
            game = Game(tiny_config(**changes))
        except ToyganError as err:
            assert "\n" not in str(err) and "Traceback" not in str(err)
            return
        history = game.run(min(game.config.train.steps, 3), progress=False)
    event("trained")
    assert history.status in ("completed", "diverged", "paused")
    assert np.isfinite(history.samples).all()
    animation = Animation(history, width=480)
    try:
        animation.frame(history.n_snapshots - 1)
    finally:
        animation.close()
