"""What the live page may change, and how: the settings that restart the game, the page's own, the
targets and menus it offers, and the regulariser's weight that comes with a choice."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from toygan.config import MUTABLE, Config
from toygan.data import reads_file
from toygan.errors import ToyganError
from toygan.live.view import LiveView
from toygan.methods import METHODS
from toygan.models import PRIORS
from toygan.objectives import OBJECTIVES, REGULARIZERS
from toygan.presets import PRESETS
from toygan.validate import integer, shown

__all__ = ["RESTART_KEYS", "LIVE_KEYS", "WIDTHS", "MAX_SPEED", "DEFAULT_SPEED", "live_targets", "with_weight",
           "choices", "speed_of", "checked_changes"]


MAX_SPEED = 1000


DEFAULT_SPEED = 50
"""Iterations per frame at most, by default: above what this machine trains in a frame's time
(about 10 at 300 iterations a second), so that the game trains at full speed."""


RESTART_KEYS = frozenset({"data.name", "train.seed", "model.g_width", "model.d_width", "model.g_depth",
                          "model.d_depth", "model.noise_dim", "model.prior"})
"""Settings that start a new game (with every other setting kept): the target (one of the
presets', with their parameters), the seed, and the networks' shapes and noise prior."""


LIVE_KEYS = frozenset({"live.speed", "live.panels", "live.width"})
"""The page's own settings: iterations per frame, the panels shown, and the frame's width in
pixels (wider is sharper on a projector, and costs frames per second)."""


WIDTHS = (960, 1280, 1600, 1920)


@functools.cache
def _targets() -> dict[str, dict[str, Any]]:
    targets: dict[str, dict[str, Any]] = {}
    for preset in PRESETS.values():
        cfg = preset.config()
        # the page offers what needs no file of the user's; a 1D target comes with its 1D latent
        if cfg.data.name in targets or reads_file(cfg.data.name):
            continue
        targets[cfg.data.name] = {"data.name": cfg.data.name, "data.params": dict(cfg.data.params),
                                  "record.window": cfg.record.window,
                                  "record.kde_bandwidth": cfg.record.kde_bandwidth,
                                  "model.noise_dim": cfg.model.noise_dim}
    return targets


def live_targets() -> dict[str, dict[str, Any]]:
    """The presets' targets by data name → the settings that choose one (its data, the recording
    window and KDE bandwidth that suit it, and the latent's dimension): the first preset with that
    target wins."""
    return {name: dict(target) for name, target in _targets().items()}


def with_weight(changes: dict[str, Any], config: Config) -> dict[str, Any]:
    """A regulariser chosen without its weight γ gets the presets' weight for it (or 1) when none
    is set, and "none" sets γ to 0: the page's menu and γ field change one setting at a time, and
    the config refuses either without the other."""
    if "train.regularizer" not in changes or "train.gamma" in changes:
        return changes
    name = changes["train.regularizer"]
    if isinstance(name, str) and name in REGULARIZERS and REGULARIZERS[name] is None:  # nothing to weigh
        return {**changes, "train.gamma": 0.0}
    if config.train.gamma == 0 and isinstance(name, str):
        weights = [p.config().train.gamma for p in PRESETS.values() if p.config().train.regularizer == name]
        return {**changes, "train.gamma": weights[0] if weights else 1.0}
    return changes


@functools.cache
def choices() -> dict[str, list[str]]:
    """What the page's menus offer."""
    return {"train.loss": list(OBJECTIVES), "train.regularizer": list(REGULARIZERS),
            "train.updates": list(METHODS), "data.name": list(_targets()),
            "train.generator": ["trained", "frozen"], "model.prior": list(PRIORS),
            "live.width": [str(w) for w in WIDTHS]}


def speed_of(value: Any) -> int:
    """Iterations per frame."""
    return integer("live.speed", value, 1, MAX_SPEED)


def checked_changes(changes: Any, config: Config, current: dict, own: bool
                    ) -> tuple[dict[str, Any], dict[str, int]]:
    """The page's ``{"set": changes}``, checked: every key one the page changes, its speed and
    width, a target one the page offers (with its settings), a regulariser with its weight, and no
    new shape for networks of the user's own; a ToyganError naming the first that is not. Returns
    the config changes and the page's own (``live.speed``, ``live.width``; the panels depend on
    the game that shows them)."""
    if not isinstance(changes, Mapping) or not changes:
        raise ToyganError(f"set: {shown(changes)} is not a mapping of settings, e.g. "
                          '{"train.lr_d": 1e-4}')
    unknown = [k for k in changes if not isinstance(k, str) or
               (k not in MUTABLE and k not in RESTART_KEYS and k not in LIVE_KEYS)]
    if unknown:
        raise ToyganError(f"{shown(unknown[0])}: not a setting the live page changes; choose from "
                          f"{sorted(MUTABLE | RESTART_KEYS | LIVE_KEYS)}")
    page = {}
    if "live.speed" in changes:
        page["live.speed"] = speed_of(changes["live.speed"])
    if "live.width" in changes:
        page["live.width"] = LiveView.check_width(changes["live.width"], "live.width")
    picked = with_weight({k: v for k, v in changes.items() if k not in LIVE_KEYS}, config)
    if "data.name" in picked:
        target = live_targets().get(picked["data.name"]) if isinstance(picked["data.name"], str) else None
        if target is None:
            raise ToyganError(f"data.name = {shown(picked['data.name'])}: choose one of "
                              f"{list(live_targets())}")
        picked = {**target, **picked}
    shaped = sorted(k for k in picked if k.startswith("model.") and own
                    and picked[k] != current["model"][k.partition(".")[2]])
    if shaped:
        raise ToyganError(f"{shaped[0]}: the game plays your own networks, whose shape is yours; "
                          "build them anew and start another session")
    return picked, page
