"""Checkpoints: everything needed to continue an interrupted run exactly.

A checkpoint is taken at a step boundary (``train`` stops there on Ctrl-C or when ``stop`` says so)
and holds the history recorded so far and the run's state at that step: the networks' weights, the
optimisers' states, every random stream's state, and the loss sums since the last snapshot.
``train(resume=checkpoint)`` continues from it; on the CPU the finished history equals, bit for bit,
that of the same run done without the interruption.

The file is one ``torch.save`` archive (tensors, numbers and strings only, so it loads with
``weights_only=True``), written atomically, with a format version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from toygan.atomic import atomic_path
from toygan.errors import ToyganError
from toygan.history import History

__all__ = ["Checkpoint", "CHECKPOINT_VERSION"]

CHECKPOINT_VERSION = 1


@dataclass
class Checkpoint:
    """A run stopped at step ``state["step"]``: its ``history`` so far and its ``state``."""

    history: History
    state: dict

    @property
    def step(self) -> int:
        return int(self.state["step"])

    @classmethod
    def of(cls, history: History) -> Checkpoint:
        """The checkpoint of a history that ``train`` stopped at a step boundary.

        Raises:
            ToyganError: if the history has no resume state (it completed, diverged, or was stopped
                in the middle of a step).
        """
        if history.resume_state is None:
            raise ToyganError(f"the run ended {history.status!r} with no state to resume from "
                              "(only a run stopped between two steps can be resumed)")
        return cls(history, history.resume_state)

    def save(self, path: str | Path) -> Path:
        """Write the checkpoint to ``path``, atomically; returns the path."""
        path = Path(path)
        payload = {"format_version": CHECKPOINT_VERSION, "state": self.state,
                   "history": torch.frombuffer(bytearray(self.history.to_bytes()), dtype=torch.uint8)}
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Checkpoint:
        """Read a checkpoint written by ``save``.

        Raises:
            ToyganError: for a missing, truncated, corrupt or foreign file, or an unknown version.
        """
        path = Path(path)
        if not path.is_file():
            raise ToyganError(f"checkpoint {str(path)!r} does not exist")
        try:
            # onto the CPU: train() moves the state to the run's device, whichever saved it
            payload = torch.load(path, weights_only=True, map_location="cpu")
        # a damaged archive can fail anywhere in torch's unpickler (KeyError, IndexError, ...):
        # whatever it raises, the file is not a checkpoint we can read
        except Exception as err:  # noqa: BLE001
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ToyganError(f"{str(path)!r} is not a readable toygan checkpoint ({first})") from None
        if not isinstance(payload, dict) or "state" not in payload or "history" not in payload:
            raise ToyganError(f"{str(path)!r} is not a toygan checkpoint (no state/history inside)")
        version = payload.get("format_version")
        if version != CHECKPOINT_VERSION:
            raise ToyganError(f"{str(path)!r} has checkpoint format version {version!r}; this "
                              f"toygan reads version {CHECKPOINT_VERSION}")
        history = History.from_bytes(payload["history"].numpy().tobytes(),
                                     source=f"{path} (history inside)")
        return cls(history, payload["state"])

