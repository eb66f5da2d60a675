"""toygan: watch the minimax game of a GAN on 2D toy data.

The public API: ``Config``, ``train(config) -> History``, ``History.save`` / ``History.load``,
``render(history, path)``, and the modules ``toygan.data``, ``toygan.models``,
``toygan.objectives``.
"""

from toygan.config import Config
from toygan.errors import ToyganError
from toygan.history import History
from toygan.train import train

__version__ = "0.1.0"

__all__ = ["Config", "History", "ToyganError", "train", "render", "__version__"]


def render(history: History, path, **options):
    """Render ``history`` to ``path`` (GIF, MP4 or PNG filmstrip); see ``toygan.render.render``."""
    from toygan.render import render as _render  # matplotlib loads only when drawing

    return _render(history, path, **options)
