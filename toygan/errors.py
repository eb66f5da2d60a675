"""The one exception type toygan raises for a user's mistake, how a library's error becomes one,
and the warning toygan gives when it goes on another way than asked."""

import os
import sys
import warnings


class ToyganError(ValueError):
    """A bad value, file or option, described in one line.

    The message names the field (or file), the value given and what is allowed; the CLI prints it
    and exits with status 2.
    """


class MetricError(ToyganError):
    """A metric of yours (``record.metrics``) failed: the run stops there and keeps its record."""


class ToyganNotice(UserWarning):
    """Something the user should know, said once, that does not stop the work (the CLI prints it
    as ``toygan: note: ...``)."""


def notify(message: str, category: type[ToyganNotice] = ToyganNotice) -> None:
    """Warn with ``message``, pointing at the first caller outside toygan (the user's line), not at
    toygan's own code."""
    here = os.path.dirname(os.path.abspath(__file__))
    level, frame = 2, sys._getframe(1)  # stacklevel 1 is this function, 2 its caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(here + os.sep):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)


def first_line(err: BaseException) -> str:
    """An exception's message cut to its first line (its type's name if it has none), for wrapping
    a library's error into one clear ToyganError line."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def a_type(value: object) -> str:
    """``value``'s type with its article, for messages: "a list", "an int"."""
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
