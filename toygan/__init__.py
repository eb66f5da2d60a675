"""toygan: watch the minimax game of a GAN on 2D toy data.

The public API: ``Config``, ``Game`` (the game as an object: step it, steer it, save it, bring
your own networks), ``train(config) -> History`` (a loop over a Game), ``History.save`` /
``History.load``, ``toygan.render.render(history, path)``, and the modules ``toygan.data``,
``toygan.models``, ``toygan.objectives``, ``toygan.theory``, ``toygan.dirac`` and ``toygan.testing``.
"""

from toygan import render  # the subpackage: toygan.render.render(history, path)
from toygan.config import Config
from toygan.errors import ToyganError
from toygan.game import Game
from toygan.history import History
from toygan.training import train

__version__ = "0.2.0"

__all__ = ["Config", "Game", "History", "ToyganError", "train", "render", "__version__"]

