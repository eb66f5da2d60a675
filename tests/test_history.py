import json
import zipfile

import numpy as np
import pytest

from toygan import History, train
from toygan.errors import ToyganError


@pytest.fixture(scope="module")
def history():
    from conftest import tiny_config

    return train(tiny_config(**{"train.steps": 20}), progress=False)


def test_save_load_round_trip_is_exact(history, tmp_path):
    path = history.save(tmp_path / "run" / "history.npz")
    loaded = History.load(path)
    assert loaded.config == history.config
    assert loaded.window == history.window and loaded.status == history.status
    for name in ("steps", "samples", "d_grid"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(history, name))
    assert loaded.scalars.keys() == history.scalars.keys()
    for k in history.scalars:
        np.testing.assert_array_equal(loaded.scalars[k], history.scalars[k])
    assert not list((tmp_path / "run").glob(".*"))  # no temporary file left behind


def test_truncated_file_names_the_file(history, tmp_path):
    path = history.save(tmp_path / "h.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ToyganError, match="h.npz"):
        History.load(path)


def test_other_files_are_refused(tmp_path):
    (tmp_path / "a.npz").write_text("hello")
    with pytest.raises(ToyganError, match=r"a.npz.*not a readable toygan history \(not an .npz archive\)"):
        History.load(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", x=np.zeros(3))
    with pytest.raises(ToyganError, match="not a toygan history"):
        History.load(tmp_path / "b.npz")
    with pytest.raises(ToyganError, match="does not exist"):
        History.load(tmp_path / "missing.npz")


def _with_meta(history, path, meta_text: str):
    history.save(path)
    with np.load(path) as npz:
        files = dict(npz.items())
    files["meta"] = np.array(meta_text)
    with open(path, "wb") as f:
        np.savez(f, **files)
    return path


@pytest.mark.parametrize("meta", ["[1]", '"a string"', "null", "not json", '{"format_version": true}'])
def test_a_meta_that_is_no_object_or_version_is_one_line(history, tmp_path, meta):
    path = _with_meta(history, tmp_path / "h.npz", meta)
    with pytest.raises(ToyganError, match="h.npz.*(meta is not a JSON object|format version True)"):
        History.load(path)


def test_a_run_of_an_objective_not_registered_here_says_so(history, tmp_path):
    path = history.save(tmp_path / "h.npz")
    with np.load(path) as npz:
        files = dict(npz.items())
    files["config"] = np.array(str(files["config"]).replace('loss = "non-saturating"', 'loss = "mine"'))
    with open(path, "wb") as f:
        np.savez(f, **files)
    with pytest.raises(ToyganError, match=r"h.npz.*'mine'.*not registered.*OBJECTIVES\['mine'\]"):
        History.load(path)


def test_unknown_format_version_is_refused(history, tmp_path):
    path = history.save(tmp_path / "h.npz")
    with np.load(path) as npz:
        files = dict(npz.items())
    meta = json.loads(str(files["meta"]))
    meta["format_version"] = 99
    files["meta"] = np.array(json.dumps(meta))
    with open(path, "wb") as f:
        np.savez(f, **files)
    assert zipfile.is_zipfile(path)
    with pytest.raises(ToyganError, match="format version 99"):
        History.load(path)


def test_snapshot_bytes_match_what_a_history_holds():
    from conftest import tiny_config

    from toygan import train

    config = tiny_config(**{"train.members": 2})
    h = train(config, progress=False)
    held = sum(a.nbytes for a in (h.samples, h.d_grid, h.push, h.field, h.manifold, h.mode_counts,
                                  *h.scalars.values())) + h.steps.nbytes
    assert held == h.n_snapshots * config.snapshot_bytes()


def test_version_1_histories_still_load(history, tmp_path):
    path = history.save(tmp_path / "h.npz")
    with np.load(path) as npz:
        files = {k: v for k, v in npz.items() if k not in ("push", "field", "manifold")}
    meta = json.loads(str(files["meta"]))
    meta["format_version"] = 1
    files["meta"] = np.array(json.dumps(meta))
    with open(path, "wb") as f:
        np.savez(f, **files)
    old = History.load(path)
    assert old.push is None and old.manifold is None
    np.testing.assert_array_equal(old.samples, history.samples)
