"""``toygan presets``: one line per preset."""

from __future__ import annotations

import argparse

from toygan.presets import PRESETS

__all__ = ["presets_command"]


def presets_command(sub: argparse._SubParsersAction) -> None:
    """``toygan presets`` and its options."""
    presets = sub.add_parser("presets", help="list the presets, one line each")
    presets.set_defaults(func=cmd_presets)


def cmd_presets(args: argparse.Namespace) -> int:
    width = max(map(len, PRESETS))
    for name, preset in PRESETS.items():
        print(f"{name:<{width}}  {preset.summary}")
    return 0
