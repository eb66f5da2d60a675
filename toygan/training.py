"""``train(config) -> History``: a short loop over a ``Game``, for scripts and the command line."""

from __future__ import annotations

from collections.abc import Iterable

from toygan.config import Config
from toygan.game import Callback, Game
from toygan.history import History

__all__ = ["train"]


def train(config: Config | None = None, *, callbacks: Iterable[Callback] = (),
          progress: bool = True) -> History:
    """Train a GAN (or an ensemble of ``config.train.members`` GANs) and record its history.

    Args:
        config: the run; ``None`` for the defaults (non-saturating GAN on the ring of 8).
        callbacks: called after every step with the game and whether a snapshot was just taken;
            ``False`` stops the run there (see ``Game.run``).
        progress: show a progress bar on stderr.

    Returns:
        The ``History``. Its ``status`` is ``"completed"``, ``"diverged"`` (a loss or a recorded
        value became NaN or inf: training stopped there and the history ends at the last finite
        snapshot; ``message`` says at which step), ``"failed"`` (your own metric or network
        raised; ``message`` says which and why) or ``"interrupted"`` (Ctrl-C, or a callback). To
        keep the networks, or to go on after a stop, use ``Game`` itself.
    """
    return Game(config).run(callbacks=callbacks, progress=progress)
