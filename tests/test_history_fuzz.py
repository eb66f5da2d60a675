"""Damaged and hostile history files: every one is refused in one line naming the file (a
ToyganError), or loads and draws. Mutations: truncations, bit flips, deleted members, arrays of
other dtypes and shapes, edited meta, and an array header that claims 10¹² elements."""

from __future__ import annotations

import io
import json
import zipfile
from functools import cache

import numpy as np
import pytest
from conftest import damaged, tiny_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toygan import History, train
from toygan.errors import ToyganError
from toygan.render import Animation


@cache
def _original() -> tuple[bytes, dict[str, np.ndarray]]:
    data = train(tiny_config(**{"record.n_samples": 64, "record.grid_size": 12}), progress=False).to_bytes()
    with np.load(io.BytesIO(data)) as npz:
        return data, dict(npz.items())


def _pack(files: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **files)
    return buffer.getvalue()


def _answer(data: bytes) -> str:
    """"refused" (one ToyganError naming the file) or "drawn"; anything else fails the test."""
    try:
        history = History.from_bytes(data, "run/history.npz")
    except ToyganError as err:
        assert "run/history.npz" in str(err) and "\n" not in str(err)
        return "refused"
    animation = Animation(history, width=480)
    try:
        animation.frame(history.n_snapshots - 1)
    finally:
        animation.close()
    return "drawn"


ARRAYS = ("steps", "samples", "d_grid", "scalar_jsd", "mode_counts", "push", "field", "manifold")


def _array_mutations() -> list[tuple[str, str]]:
    hows = ("str", "complex", "bool", "flat", "short", "0d", "gone")
    return [(name, how) for name in ARRAYS for how in hows if (name, how) != ("steps", "flat")]


@pytest.mark.parametrize(("name", "how"), _array_mutations())
def test_an_array_of_another_type_or_shape_or_missing_is_refused(name, how):
    _, files = _original()
    a = files[name]
    changed = {"str": a.astype(str), "complex": a.astype(complex), "bool": a.astype(bool), "flat": a.ravel(),
               "short": a[:1], "0d": np.array(1.0)}
    mutated = {k: v for k, v in files.items() if k != name}
    if how != "gone":
        mutated[name] = changed[how]
    optional_gone = how == "gone" and name in ("mode_counts", "push", "field", "manifold")
    assert _answer(_pack(mutated)) == ("drawn" if optional_gone else "refused")


META = [dict(window=[float("nan"), 1, 0, 1]), dict(window="x"), dict(window=[0, 1, 2]),
        dict(window=[1, 0, 0, 1]), dict(window=[0, 1, True, 2]), dict(scalars="jsd"),
        dict(scalars=["nope"]), dict(scalars=[3]), dict(status="weird"), dict(message=5),
        dict(window=None), dict(status=None), dict(scalars=None), dict(events=[{"step": 1}]),
        dict(format_version=True), dict(objective="logit")]


@pytest.mark.parametrize("edit", META, ids=[json.dumps(m) for m in META])
def test_edited_meta_is_refused(edit):
    _, files = _original()
    meta = {**json.loads(str(files["meta"])), **edit}
    meta = {k: v for k, v in meta.items() if v is not None}
    assert _answer(_pack({**files, "meta": np.array(json.dumps(meta))})) == "refused"


def test_a_header_that_claims_a_trillion_elements_is_refused_before_allocating():
    data, _ = _original()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            zout.writestr(name, header.getvalue() + b"\0" * 16 if name == "samples.npy" else zin.read(name))
    with pytest.raises(ToyganError, match="samples.npy is damaged .its header claims 8,000,000,000,000"):
        History.from_bytes(out.getvalue(), "run/history.npz")


@pytest.mark.parametrize("header", [b"{\n'descr': '<f8', 'shape': (3,\n", b"{'descr': '''<f8", b"{\n(((\n"])
def test_a_header_that_python_cannot_even_tokenize_is_refused(header):
    """A bit flip found by the fuzz below (in a loaded run on 2026-11-29): numpy parses a damaged
    header with ast and then tokenize, whose TokenError is not a ValueError: it was a traceback."""
    data, _ = _original()
    magic = np.lib.format.magic(1, 0)
    padded = header.ljust(128 - len(magic) - 3) + b"\n"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            body = zin.read(name)
            if name == "samples.npy":
                body = magic + len(padded).to_bytes(2, "little") + padded + body[128:]
            zout.writestr(name, body)
    with pytest.raises(ToyganError, match="samples.npy.*damaged .npy header .TokenError"):
        History.from_bytes(out.getvalue(), "run/history.npz")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_truncated_or_bit_flipped_files_are_refused_or_drawn(data):
    original, _ = _original()
    assert _answer(damaged(data, original)) in ("refused", "drawn")
