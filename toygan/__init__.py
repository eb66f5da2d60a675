"""toygan: watch the minimax game of a GAN on 2D toy data.

The public API: ``Config``, ``Game`` (the game as an object: step it, steer it, save it, bring
your own networks), ``train(config) -> History`` (a loop over a Game), ``History.save`` /
``History.load``, ``toygan.render.render(history, path)``, and the modules ``toygan.data``,
``toygan.models``, ``toygan.objectives``, ``toygan.theory``, ``toygan.dirac`` and ``toygan.testing``.

The names load on first use (PEP 562), so ``import toygan`` is quick and the ``toygan`` command can
answer a Ctrl-C during its start-up with one line. In a notebook a ``History`` shows as a player,
and ``Game.widget()`` plays a game live; both load what they draw with only when asked (the core
modules import nothing of drawing or of the live mode).
"""

import importlib
import sys

__version__ = "0.2.0"

__all__ = ["Config", "Game", "History", "ToyganError", "train", "render", "__version__"]

_HOMES = {"Config": "toygan.config", "Game": "toygan.game", "History": "toygan.history",
          "ToyganError": "toygan.errors", "train": "toygan.training"}


def __getattr__(name: str):
    if name in ("render", "live"):
        return importlib.import_module(f"toygan.{name}")
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        if name == "Game" and not hasattr(value, "widget"):
            value.widget = _widget
        return value
    raise AttributeError(f"module 'toygan' has no attribute {name!r}")


def _widget(game, **options):
    """This game live in a notebook, played on from where it stands: its frame and the live page's
    controls as Jupyter widgets (``toygan.live.widget``, whose options it takes)."""
    from toygan.live.notebook import widget  # ipywidgets and the live mode: only when asked

    return widget(game=game, **options)


def _history_html(history) -> str:
    from toygan.render import player  # matplotlib and the panels: only when a history is shown

    return player(history)._repr_html_()


def _show_histories_as_players() -> None:
    """In IPython (a notebook), a cell ending in a ``History`` shows its player: registered by the
    type's name, so that nothing is loaded until one is shown."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None and hasattr(shell, "display_formatter"):
        html = shell.display_formatter.formatters["text/html"]
        html.for_type_by_name("toygan.history", "History", _history_html)


_show_histories_as_players()


def __dir__() -> list[str]:
    return sorted(__all__)
