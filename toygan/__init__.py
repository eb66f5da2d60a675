"""toygan: watch the minimax game of a GAN on 2D toy data.

The public API: ``Config``, ``Game`` (the game as an object: step it, steer it, save it, bring
your own networks), ``train(config) -> History`` (a loop over a Game), ``History.save`` /
``History.load``, ``toygan.render.render(history, path)``, and the modules ``toygan.data``,
``toygan.models``, ``toygan.objectives``, ``toygan.theory``, ``toygan.dirac`` and ``toygan.testing``.

The names load on first use (PEP 562), so ``import toygan`` is quick and the ``toygan`` command can
answer a Ctrl-C during its start-up with one line.
"""

import importlib

__version__ = "0.2.0"

__all__ = ["Config", "Game", "History", "ToyganError", "train", "render", "__version__"]

_HOMES = {"Config": "toygan.config", "Game": "toygan.game", "History": "toygan.history",
          "ToyganError": "toygan.errors", "train": "toygan.training"}


def __getattr__(name: str):
    if name in ("render", "live"):
        return importlib.import_module(f"toygan.{name}")
    if name in _HOMES:
        if name == "History":  # rendering registers how a notebook shows a history
            importlib.import_module("toygan.render")
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'toygan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
