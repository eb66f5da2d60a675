"""The record of a training run: what the animation and the metrics read.

A ``History`` holds one entry per snapshot (T of them) for each ensemble member (E):

- ``steps`` ``(T,)``: the generator step of each snapshot (0 is before training);
- ``samples`` ``(T, E, N, d)``: G applied to one fixed batch of N noise vectors (d = 2, or 1 for
  a 1D target);
- ``d_grid`` ``(T, E, R, R)``: what D says on an R × R grid over ``window`` (row j is y = ys[j],
  column i is x = xs[i]), read as ``objective`` says: D(x) = σ(logit), the least-squares score,
  or a critic's value f(x); 1D runs have ``(T, E, R)``;
- ``scalars`` name → ``(T, E)``: ``d_real`` and ``d_fake`` (mean D on a fixed real batch and on the
  generator samples), ``value`` (V(D, G) estimated on those two batches), ``d_half_gap`` and
  ``d_star_gap`` (mean |D − ½| and |D − D*| on the samples), ``jsd`` (JSD(p_data ‖ p_g) in nats,
  a Monte Carlo estimate on the samples; between kernel-smoothed densities when p_g is a KDE),
  ``modes_captured``,
  ``high_quality_fraction`` and ``reverse_kl`` (``toygan.metrics.mode_coverage`` of the generator
  samples), ``loss_d`` and ``loss_g`` (mean training losses since the previous snapshot);
- ``mode_counts`` ``(T, E, K)``: high-quality generator samples at each of the K data modes;
- ``push`` ``(T, E, N, 2)``: −∂(G's loss)/∂x at each sample, the way the generator step pushes it,
  and ``field`` ``(T, E, F, F, 2)`` the same on an F × F grid over ``window`` (row j is y);
- ``manifold`` ``(T, E, 2·L·P, 2)``: G on L latent grid lines of P points each, z1 varying then z2
  (``toygan.recorder.latent_grid``); empty when the fake samples come from a target;
- ``eigenvalues`` ``(T, E, K, 2)`` and ``eigen_field`` ``(T, E, 2)`` with ``record.eigenvalues``:
  the eigenvalues of the Jacobian of the joint field (``toygan.jacobian``), real and imaginary
  parts, and the field they are of; ``eigen_parameters`` the size of that Jacobian;
- ``events``: the settings changed mid-run (``toygan.Game.update``), each a dict with the ``step``
  it took effect before, the dotted config ``key``, and its ``old`` and ``new`` values;
- ``objective``: what D's outputs mean, recorded from the objective (``Objective.traits``):
  ``output`` (``logit``, ``probability`` or ``critic``) and ``minimax_value`` (its value is
  V(D, G) of Eq. 1), so that a run can be drawn without its objective's name being known;
- the ``config`` the run started with and how the run ended (``status``, ``message``).

``save`` writes one ``.npz`` file (atomically: a crash never leaves half a file); ``load`` reads it
back and checks its format version.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from toygan.atomic import atomic_path
from toygan.config import (
    FIELD_SIZE,
    MANIFOLD_LINES,
    MANIFOLD_POINTS,
    MAX_EVAL_SAMPLES,
    MAX_RECORDING_BYTES,
    SCALARS,
    Config,
)
from toygan.data import make_target, stored_files
from toygan.errors import ToyganError
from toygan.objectives import OBJECTIVES, OUTPUTS, run_traits
from toygan.validate import npy_claim, path_arg

__all__ = ["History", "FORMAT_VERSION", "STATUSES"]

FORMAT_VERSION = 3
_READS = (1, 2, 3)  # version 1 lacks push, field and manifold; versions 1 and 2 lack events
_OPTIONAL = ("mode_counts", "push", "field", "manifold", "eigenvalues", "eigen_field")
STATUSES = ("completed", "diverged", "failed", "interrupted", "paused")
"""How a run stands: at ``train.steps``; stopped by a NaN or inf; stopped by your own metric or
network raising; stopped by Ctrl-C or a callback; before ``train.steps`` with nothing stopping it (a
game stepped by hand)."""



@dataclass
class History:
    """Snapshots of one (ensemble) run; see the module docstring for shapes."""

    config: Config
    window: tuple[float, float, float, float]
    steps: np.ndarray
    samples: np.ndarray
    d_grid: np.ndarray
    scalars: dict[str, np.ndarray] = field(default_factory=dict)
    mode_counts: np.ndarray | None = None
    push: np.ndarray | None = None
    field: np.ndarray | None = None
    manifold: np.ndarray | None = None
    eigenvalues: np.ndarray | None = None
    """``(T, E, K, 2)``: the real and imaginary parts of the eigenvalues of the joint field's
    Jacobian (``record.eigenvalues``), the largest |λ| first; NaN where Arnoldi did not converge."""
    eigen_field: np.ndarray | None = None
    """``(T, E, 2)``: the field they are of, as (a, b) in −(aξ + bJᵀξ) (``toygan.jacobian.Field``)."""
    eigen_parameters: int = 0
    """Parameters a member the Jacobian is over (all eigenvalues were recorded if K equals it)."""
    status: str = "completed"
    message: str = ""
    # (dataclasses.field by its full name: the attribute `field` above shadows it here)
    events: list[dict] = dataclasses.field(default_factory=list)
    objective: dict | None = None
    """``{"output": ..., "minimax_value": ...}``; None: those that held for every loss the run used
    (``losses``, ``objectives.run_traits``)."""
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)
    """The data files the run's targets read (``points``, ``image``), path → bytes: kept so that
    the run draws and goes on from any folder, after the file is gone."""
    evaluation: dict | None = None
    """The evaluation at the end of the run (``toygan.evaluation``): ``{"step", "n_samples",
    "jsd_against", "metrics": {name: one value per member, None for NaN}}``; None without one."""

    def __post_init__(self) -> None:
        if self.objective is None:  # a history made in this process, or saved before it was recorded
            # the config's loss is registered (the config checked it); a hostile file's event may not be
            used = [OBJECTIVES[name] for name in self.losses if name in OBJECTIVES]
            self.objective = run_traits(used)

    @property
    def losses(self) -> list[str]:
        """The objectives the run used, in order: the config's ``train.loss``, then each change."""
        changed = [e["new"] for e in self.events if e["key"] == "train.loss"]
        return list(dict.fromkeys([self.config.train.loss, *changed]))

    def config_at(self, i: int) -> Config:
        """The settings in force at snapshot ``i``: ``config`` with every change made up to its step
        (a change made at a step shows from that step's frame on, as its mark on the curves does).

        Raises:
            ToyganError: for an event whose value the config refuses (a hand-edited file).
        """
        step = int(self.steps[i])
        events = sorted(self.events, key=lambda e: e["step"])  # (in order, unless edited by hand)
        n = sum(1 for e in events if e["step"] <= step)
        cache = self.__dict__.setdefault("_configs", {})  # one config per count of changes in force
        if n not in cache:
            changes = {e["key"]: e["new"] for e in events[:n]}
            with stored_files(self.files):
                try:
                    cache[n] = self.config.replace(**changes) if changes else self.config
                except ToyganError as err:
                    raise ToyganError(f"the history's events: {err}") from None
        return cache[n]

    @property
    def critic(self) -> bool:
        """Whether D's outputs are a critic's values (no ½, no D*), not probabilities of "real"."""
        return self.objective["output"] == "critic"

    @property
    def minimax_value(self) -> bool:
        """Whether the recorded ``value`` is V(D, G) of Goodfellow et al. (2014, Eq. 1)."""
        return bool(self.objective["minimax_value"])

    def target(self):
        """The run's data distribution, built from the data it was trained on (see ``files``)."""
        with stored_files(self.files):
            return make_target(self.config.data.name, self.config.data.params)

    def fake_target(self):
        """The run's fixed p_g (``train.generator = "target"``), or None."""
        if not self.config.fake.name:
            return None
        with stored_files(self.files):
            return make_target(self.config.fake.name, self.config.fake.params)

    @property
    def n_snapshots(self) -> int:
        return len(self.steps)

    @property
    def members(self) -> int:
        return self.samples.shape[1]

    def grid_axes(self) -> tuple[np.ndarray, np.ndarray]:
        """The x and y coordinates of ``d_grid``'s columns and rows."""
        r = self.d_grid.shape[-1]
        x0, x1, y0, y1 = self.window
        return np.linspace(x0, x1, r), np.linspace(y0, y1, r)

    def __repr__(self) -> str:
        last = int(self.steps[-1]) if self.n_snapshots else None
        return (f"History({self.n_snapshots} snapshots to step {last}, {self.members} member(s), "
                f"data={self.config.data.name!r}, loss={self.config.train.loss!r}, "
                f"status={self.status!r})")

    def save(self, path: str | Path) -> Path:
        """Write the history to ``path`` (a ``.npz`` file), atomically; returns the path."""
        path = path_arg(path)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            self._write(f)
        return path

    def to_bytes(self) -> bytes:
        """The ``.npz`` file's bytes (a checkpoint carries its history this way)."""
        buffer = io.BytesIO()
        self._write(buffer)
        return buffer.getvalue()

    def _write(self, f: BinaryIO) -> None:
        meta = {"format_version": FORMAT_VERSION, "status": self.status, "message": self.message,
                "window": list(self.window), "scalars": list(self.scalars), "events": self.events,
                "objective": self.objective, "files": list(self.files),
                **({"evaluation": self.evaluation} if self.evaluation is not None else {}),
                **({"eigen_parameters": self.eigen_parameters} if self.eigenvalues is not None else {})}
        arrays = {"steps": self.steps, "samples": self.samples, "d_grid": self.d_grid,
                  **{name: getattr(self, name) for name in _OPTIONAL if getattr(self, name) is not None},
                  **{f"scalar_{k}": v for k, v in self.scalars.items()},
                  **{f"file_{i}": np.frombuffer(content, dtype=np.uint8)
                     for i, content in enumerate(self.files.values())},
                  "meta": np.array(json.dumps(meta)), "config": np.array(self.config.to_toml())}
        np.savez(f, **arrays)  # a file object: np.savez would append ".npz" to a name

    @classmethod
    def load(cls, path: str | Path) -> History:
        """Read a history written by ``save``.

        Raises:
            ToyganError: if the file is missing, is not a toygan history, is truncated or corrupt,
                or has a format version this toygan does not know.
        """
        path = path_arg(path)
        if path.is_dir():
            raise ToyganError(f"{str(path)!r} is a folder; a history is a file in it, such as "
                              f"{str(path / 'history.npz')!r}")
        if not path.is_file():
            raise ToyganError(f"history file {str(path)!r} does not exist")
        return cls._read(path, str(path))

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "<bytes>") -> History:
        """Read a history from ``to_bytes``'s output; ``source`` names it in errors."""
        return cls._read(io.BytesIO(data), source)

    @classmethod
    def _read(cls, f: str | Path | BinaryIO, source: str) -> History:
        path = source
        _check_sizes(f, source)
        if not isinstance(f, str | Path):
            f.seek(0)
        try:
            with np.load(f, allow_pickle=False) as npz:
                files = dict(npz.items())
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            raise ToyganError(f"{str(path)!r} is not a readable toygan history ({err})") from None
        if "meta" not in files or "config" not in files:
            raise ToyganError(f"{str(path)!r} is not a toygan history (no meta/config inside)")
        try:
            meta = json.loads(str(files["meta"]))
        except ValueError:
            meta = None
        if not isinstance(meta, dict):
            raise ToyganError(f"{str(path)!r} is not a toygan history (its meta is not a JSON object)")
        version = meta.get("format_version")
        if type(version) is not int or version not in _READS:  # (a JSON true is no version)
            raise ToyganError(f"{str(path)!r} has history format version {version!r}; this toygan "
                              f"reads versions {', '.join(map(str, _READS))}")
        kept = _files(files, meta, path)
        with stored_files(kept):
            config = _config(str(files["config"]), path)
        window = _check_contents(files, meta, path)
        return cls(config=config, window=window, steps=files["steps"],
                   samples=files["samples"], d_grid=files["d_grid"],
                   scalars={k: files[f"scalar_{k}"] for k in meta["scalars"]},
                   **{name: files.get(name) for name in _OPTIONAL},
                   eigen_parameters=_eigen_parameters(files, meta, path), status=meta["status"],
                   message=meta["message"], events=_events(meta, path),
                   objective=_objective(meta, path), files=kept,
                   evaluation=_evaluation(meta, path, files["samples"].shape[1:2], files["steps"]))


MAX_FILE_BYTES = 2 * MAX_RECORDING_BYTES
"""The most a history file may hold once unpacked: twice what a run may record."""


def _check_sizes(f: str | Path | BinaryIO, source: str) -> None:
    """Each array's header against the bytes that hold it, and the whole against
    ``MAX_FILE_BYTES``, before anything is allocated: a damaged or hostile header that claims
    10¹² elements is refused here, not by a MemoryError."""
    try:
        with zipfile.ZipFile(f) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_FILE_BYTES:
                raise ToyganError(f"{source!r} would unpack to more than {MAX_FILE_BYTES / 2**30:.0f} "
                                  "GiB; it is not a history toygan wrote")
            for member in members:
                with archive.open(member) as stream:
                    _check_member(stream, member, source)
    except ToyganError:  # (a ValueError too) already says what is wrong
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        # numpy would call a file that is not an archive "pickled data": that is no advice here
        why = "not an .npz archive" if isinstance(err, zipfile.BadZipFile) else str(err)
        raise ToyganError(f"{source!r} is not a readable toygan history ({why})") from None


def _check_member(stream: BinaryIO, member: zipfile.ZipInfo, source: str) -> None:
    try:
        claimed, dtype = npy_claim(stream)
    except ValueError as err:
        raise ToyganError(f"{source!r}: {member.filename} is damaged ({err})") from None
    if dtype.hasobject:
        raise ToyganError(f"{source!r}: {member.filename} holds Python objects; a history holds numbers")
    if claimed != member.file_size - stream.tell():
        raise ToyganError(f"{source!r}: {member.filename} is damaged (its header claims {claimed:,} "
                          f"bytes, it holds {member.file_size - stream.tell():,})")


def _check_contents(files: dict[str, np.ndarray], meta: dict, source: str) -> tuple[float, ...]:
    """Every key, type and shape a history needs, checked before it is drawn; returns the window."""
    def bad(what: str) -> ToyganError:
        return ToyganError(f"{source!r} is not a usable toygan history: {what}")

    for key, kind in (("window", list), ("scalars", list), ("status", str), ("message", str)):
        if not isinstance(meta.get(key), kind):
            raise bad(f"its meta has no {key} ({kind.__name__})")
    window = meta["window"]
    if len(window) != 4 or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                   and np.isfinite(v) for v in window) \
            or not (window[0] < window[1] and window[2] < window[3]):
        raise bad(f"window = {window!r}; need [xmin, xmax, ymin, ymax], finite and increasing")
    if meta["status"] not in STATUSES:
        raise bad(f"status = {meta['status']!r}; one of {list(STATUSES)}")
    if not all(isinstance(k, str) for k in meta["scalars"]):
        raise bad("its scalar names are not strings")
    needed = ["steps", "samples", "d_grid", *(f"scalar_{k}" for k in meta["scalars"])]
    for name in needed + [n for n in _OPTIONAL if n in files]:
        if name not in files:
            raise bad(f"{name} is missing")
        if files[name].dtype.kind not in "iuf":
            raise bad(f"{name} holds {files[name].dtype} values, not real numbers")
    steps, samples = files["steps"], files["samples"]
    if steps.ndim != 1 or samples.ndim != 4 or len(samples) != len(steps) or samples.shape[-1] not in (1, 2) \
            or 0 in samples.shape[1:]:
        raise bad(f"steps {steps.shape} and samples {samples.shape} do not fit (T,) and (T, E, N, 1 or 2)")
    t, e, n, d = samples.shape
    grid = files["d_grid"].shape
    if grid[:2] != (t, e) or len(grid) != 2 + d or (d == 2 and grid[2] != grid[3]):
        raise bad(f"d_grid {grid} does not fit ({t}, {e}, R{', R' if d == 2 else ''})")
    for name in needed[3:]:
        if files[name].shape != (t, e):
            raise bad(f"{name} {files[name].shape} is not ({t}, {e})")
    for name, dims in (("mode_counts", 3), ("push", 4), ("field", 3 + d), ("manifold", 4),
                       ("eigenvalues", 4), ("eigen_field", 3)):
        if name in files and (files[name].ndim != dims or files[name].shape[:2] != (t, e)):
            raise bad(f"{name} {files[name].shape} does not fit ({t}, {e}, ...)")
    if ("eigenvalues" in files) != ("eigen_field" in files):
        raise bad("eigenvalues and eigen_field come together")
    if "eigenvalues" in files and (files["eigenvalues"].shape[-1] != 2
                                   or files["eigen_field"].shape != (t, e, 2)
                                   or files["eigenvalues"].shape[2] == 0
                                   or files["eigenvalues"].dtype.kind != "f"
                                   or files["eigen_field"].dtype.kind != "f"
                                   or not np.isin(files["eigen_field"][..., 0], (0.0, 1.0)).all()
                                   or not (np.isfinite(files["eigen_field"]).all()
                                           and (files["eigen_field"] >= 0).all())):
        raise bad("eigenvalues need floats (T, E, K ≥ 1, 2) with eigen_field (T, E, 2): finite "
                  "(a, b), a 0 or 1, b ≥ 0")
    if "push" in files and files["push"].shape[2:] != (n, d):
        raise bad(f"push {files['push'].shape} is not ({t}, {e}, {n}, {d})")
    return tuple(float(v) for v in window)


def _eigen_parameters(files: dict[str, np.ndarray], meta: dict, source: str) -> int:
    """The parameter count the recorded eigenvalues are of (0 without eigenvalues), checked."""
    if "eigenvalues" not in files:
        return 0
    n = meta.get("eigen_parameters")
    if type(n) is not int or not files["eigenvalues"].shape[2] <= n <= 10**9:
        raise ToyganError(f"{source!r} is not a usable toygan history: its eigenvalues are of "
                          f"{n!r} parameters (need a whole number ≥ {files['eigenvalues'].shape[2]})")
    return n


def _files(files: dict[str, np.ndarray], meta: dict, source: str) -> dict[str, bytes]:
    """The data files kept in a history (none before they were kept)."""
    paths = meta.get("files", [])
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise ToyganError(f"{source!r} is not a usable toygan history: its meta's files are not paths")
    kept = {}
    for i, path in enumerate(paths):
        content = files.get(f"file_{i}")
        if content is None or content.dtype != np.uint8 or content.ndim != 1:
            raise ToyganError(f"{source!r} is not a usable toygan history: file_{i} (the copy of "
                              f"{path!r}) is missing or not bytes")
        kept[path] = content.tobytes()
    return kept


def _config(text: str, source: str) -> Config:
    """The config inside a history; an objective this process has not registered is named as such
    (a script that registers its own objective must register it again to load its runs)."""
    try:
        loss = tomllib.loads(text).get("train", {}).get("loss")
    except (tomllib.TOMLDecodeError, AttributeError, RecursionError):
        loss = None
    if isinstance(loss, str) and loss not in OBJECTIVES:
        raise ToyganError(f"{source!r} was trained with train.loss = {loss!r}, an objective this "
                          "process has not registered; register it as the training script did "
                          f"(toygan.objectives.OBJECTIVES[{loss!r}] = Objective(...)) before loading")
    try:
        return Config.from_toml(text, source=f"{source} (config inside)")
    except ToyganError as err:  # (a data file an older history did not keep, gone or moved)
        raise ToyganError(f"{source!r}: its config cannot be used here: {err}") from None


def _objective(meta: dict, source: str) -> dict | None:
    """The recorded traits of the objective, checked; None where the file has none (then they are
    those of the config's ``train.loss``)."""
    traits = meta.get("objective")
    if traits is None:
        return None
    if not (isinstance(traits, dict) and set(traits) == {"output", "minimax_value"}
            and traits["output"] in OUTPUTS and isinstance(traits["minimax_value"], bool)):
        raise ToyganError(f"{source!r}: its objective is not {{output: one of {list(OUTPUTS)}, "
                          f"minimax_value: true or false}}: {traits!r}")
    return traits


def _evaluation(meta: dict, source: str, members: tuple[int, ...], steps: np.ndarray) -> dict | None:
    """The recorded final evaluation, checked: its keys, its step (the last snapshot's), its
    sample count, and one finite number (or null) per member for each metric."""
    found = meta.get("evaluation")
    if found is None:
        return None
    e = members[0] if members else 0

    def per_member(values: object) -> bool:
        return isinstance(values, list) and len(values) == e and all(
            v is None or (type(v) in (int, float) and math.isfinite(v)) for v in values)

    if not (isinstance(found, dict) and set(found) == {"step", "n_samples", "jsd_against", "metrics"}
            and type(found["step"]) is int and type(found["n_samples"]) is int
            and isinstance(found["jsd_against"], str) and isinstance(found["metrics"], dict)
            and all(isinstance(k, str) and per_member(v) for k, v in found["metrics"].items())):
        raise ToyganError(f"{source!r}: its evaluation is not {{step, n_samples, jsd_against, "
                          f"metrics: {{name: one finite number or null per member}}}}")
    if not (len(steps) and found["step"] == int(steps[-1])
            and 100 <= found["n_samples"] <= MAX_EVAL_SAMPLES):
        raise ToyganError(f"{source!r}: its evaluation (step {found['step']}, {found['n_samples']} "
                          f"samples) is not of the last snapshot, on 100 to {MAX_EVAL_SAMPLES:,} samples")
    return found


def _events(meta: dict, source: str) -> list[dict]:
    """The recorded mid-run changes, checked: a list of {step, key, old, new}."""
    events = meta.get("events", [])
    if not isinstance(events, list) or not all(
            isinstance(e, dict) and set(e) == {"step", "key", "old", "new"}
            and isinstance(e["step"], int) and isinstance(e["key"], str) for e in events):
        raise ToyganError(f"{source!r}: its events are not a list of {{step, key, old, new}}")
    return events
