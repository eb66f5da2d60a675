"""Functions named in a config: ``model.generator = "package.module:function"`` (networks),
``record.metrics = ["package.module:function"]`` (your own metrics).

A run that names its factories is self-contained like any other: the sweep's workers, the recipes,
``toygan train``, the live page and ``Game.load`` build the same networks from the names and the
keyword arguments (``model.generator_args``), wherever they run. As ``uvicorn`` does for an app,
the current folder is on the import path, so a factory in ``./my_nets.py`` is ``my_nets:make_g``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toygan.errors import ToyganError, a_type, first_line

__all__ = ["FACTORY_PATTERN", "NETWORK", "METRIC", "check_factory_name", "resolve_factory", "metric_name",
           "check_importable", "named_functions", "source_digest"]

FACTORY_PATTERN = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
"""``package.module:function`` (the function may be an attribute path, ``module:Class.build``)."""


NETWORK = "a function returning a fresh torch.nn.Module), or \"\" for toygan's MLP"
METRIC = "a function of (samples, target) returning a number)"
"""What a name must name, said after ``"package.module:function" (``; ``""`` is allowed only where
the text says so (toygan's own MLP)."""


_ADDED: list[str] = []  # the folder this module put on sys.path (the current one when it last looked)


def check_factory_name(field: str, value: Any, what: str = NETWORK) -> None:
    """``value`` is ``package.module:function`` (or "" where ``what`` allows it)."""
    empty_ok = '""' in what
    if not isinstance(value, str) or ((value or not empty_ok) and not FACTORY_PATTERN.fullmatch(value)):
        raise ToyganError(f"{field} = {value!r}: must be \"package.module:function\" ({what}")


def resolve_factory(name: str, kwargs: dict[str, Any], field: str, what: str = NETWORK
                    ) -> Callable[..., Any]:
    """The function ``name`` (``package.module:function``) with ``kwargs`` bound.

    Raises:
        ToyganError: in one line, for a module that cannot be imported, a missing or uncallable
            attribute.
    """
    check_factory_name(field, name, what)
    module_name, _, attribute = name.partition(":")
    here = os.getcwd()
    for old in [d for d in _ADDED if d != here]:  # the current folder only, not those before
        _ADDED.remove(old)
        if old in sys.path:
            sys.path.remove(old)
    if here not in sys.path:
        sys.path.append(here)  # after everything installed: a local file never shadows a package
        _ADDED.append(here)
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as err:  # noqa: BLE001 — any failure importing the user's module
        raise ToyganError(f"{field} = {name!r}: cannot import {module_name!r} "
                          f"({type(err).__name__}: {first_line(err)}); it must be importable from "
                          f"{here} or installed") from None
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ToyganError(f"{field} = {name!r}: {module_name!r} has no {attribute!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ToyganError(f"{field} = {name!r}: {attribute!r} is {a_type(target)}, not "
                          f"{what.split('), or')[0].removesuffix(')')}")
    return functools.partial(target, **kwargs) if kwargs else target


def metric_name(name: str) -> str:
    """The name a metric ``package.module:function`` is recorded under: the function's."""
    return name.rpartition(":")[2].rpartition(".")[2]


def check_importable(config: Any) -> None:
    """Import every function ``config`` names (its networks' factories, its metrics), so that a
    sweep or a recipe refuses a name that cannot be found before any work, in one line."""
    m = config.model
    for name in ("generator", "discriminator"):
        if getattr(m, name):
            resolve_factory(getattr(m, name), getattr(m, f"{name}_args"), f"model.{name}")
    for name in config.record.metrics:
        resolve_factory(name, {}, "record.metrics", METRIC)


def named_functions(config: Any) -> list[tuple[str, str]]:
    """(field, "module:function") for every function ``config`` names."""
    m = config.model
    found = [(f"model.{name}", getattr(m, name)) for name in ("generator", "discriminator")
             if getattr(m, name)]
    return found + [("record.metrics", name) for name in config.record.metrics]


def source_digest(name: str) -> tuple[str, str] | None:
    """The file that defines the module of ``module:function`` and its sha256, if it is imported
    already and is a file (None otherwise): a saved run keeps them, so that loading it says when
    the code changed since."""
    module = sys.modules.get(name.partition(":")[0])
    path = getattr(module, "__file__", None)
    try:
        return (path, hashlib.sha256(Path(path).read_bytes()).hexdigest()) if path else None
    except OSError:
        return None
