"""Progress bars: a notebook's own (a widget) inside a Jupyter kernel that can show one, plain
text elsewhere. Never ``tqdm.auto`` alone: in a kernel without ipywidgets it warns
("IProgress not found") on the first bar of every run."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm as text_bar

__all__ = ["progress_bar"]


def progress_bar(**options: Any) -> text_bar:
    """A tqdm bar with ``options``: a notebook widget bar in a Jupyter kernel with ipywidgets."""
    if "ipykernel" in sys.modules:
        try:  # (loads ipywidgets: only in a kernel; one that is broken or too old gives the text bar)
            from tqdm.notebook import tqdm as notebook_bar  # (ipywidgets: in a notebook only)

            return notebook_bar(**options)
        except ImportError:
            pass
    return text_bar(**options)
