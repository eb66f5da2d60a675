"""Live classroom mode: a local web page that plays and steers one ``toygan.Game``, drawn by the
same panels as the animations (``toygan live``; see docs/live.md).

    session = LiveSession(preset_config("ring"))       # a game on a worker thread
    session.control({"action": "play"})                 # or {"set": {"train.lr_d": 1e-4}}
    app = make_app(session, token=None)                 # the page and /api, for any ASGI server
    toygan.live.widget(preset="ring")                   # the same in a notebook (ipywidgets)
"""

import importlib

from toygan.live.server import LiveServer, make_app, needs_token, open_socket
from toygan.live.session import ACTIONS, LiveSession
from toygan.live.settings import LIVE_KEYS, RESTART_KEYS, live_targets
from toygan.live.view import LiveView, live_panels

__all__ = ["ACTIONS", "LIVE_KEYS", "LiveServer", "LiveSession", "LiveView", "live_panels", "RESTART_KEYS",
           "live_targets", "make_app", "needs_token", "open_socket", "widget", "LiveWidget"]


def __getattr__(name: str):
    # the notebook widget imports ipywidgets (and IPython): only when asked, not for `toygan live`
    if name in ("widget", "LiveWidget"):
        return getattr(importlib.import_module("toygan.live.notebook"), name)
    raise AttributeError(f"module 'toygan.live' has no attribute {name!r}")
