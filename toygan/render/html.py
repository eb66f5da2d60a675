"""A self-contained HTML player: the frames as inline PNGs, play/pause, step buttons and a slider.

One file, no network, no scripts from elsewhere: a teacher can put it on a course page or open it
from a USB stick. Keys: space plays and pauses, ← and → step; ``page.html#frame=N`` (or
``#frame=last``) opens at frame N. The frames share one 255-colour palette (as the GIF does),
which keeps them small and their colours steady.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from toygan.atomic import atomic_path
from toygan.render.palette import quantize

__all__ = ["Player", "player_html", "write_html"]

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 1em; color: #222; background: #fff; }}
  {player_css}
</style>
</head>
<body>
{player}
</body>
</html>
"""

_CSS = """.toygan-player {{ display: inline-block; max-width: 100%; }}
  .toygan-player img {{ display: block; max-width: 100%; height: auto; }}
  .toygan-controls {{ display: flex; align-items: center; gap: 0.4em; margin-top: 0.4em;
                     font: 14px system-ui, sans-serif; }}
  .toygan-controls button {{ min-width: 2.4em; font-size: 14px; padding: 0.2em 0.5em; }}
  .toygan-controls input[type=range] {{ flex: 1; min-width: 8em; }}
  .toygan-controls output {{ min-width: 9em; font-variant-numeric: tabular-nums; }}"""

# ids are made unique per player so several players (or notebook cells) can share a page
_PLAYER = r"""<div class="toygan-player" id="{uid}">
<img alt="{title}" src="{first}">
<div class="toygan-controls">
  <button type="button" data-act="first" title="first frame">|&#x25C0;</button>
  <button type="button" data-act="prev" title="previous frame (←)">&#x25C0;</button>
  <button type="button" data-act="play" title="play / pause (space)">Play</button>
  <button type="button" data-act="next" title="next frame (→)">&#x25B6;</button>
  <button type="button" data-act="last" title="last frame">&#x25B6;|</button>
  <input type="range" min="0" max="{last}" value="0" step="1" aria-label="frame">
  <output>{caption}</output>
</div>
<script>
(function () {{
  const frames = {frames};
  const captions = {captions};
  const root = document.getElementById("{uid}");
  const img = root.querySelector("img");
  const slider = root.querySelector("input");
  const out = root.querySelector("output");
  const play = root.querySelector("[data-act=play]");
  let i = 0, timer = null;
  function show(k) {{
    i = (k + frames.length) % frames.length;
    img.src = frames[i]; slider.value = i; out.textContent = captions[i];
  }}
  function stop() {{ clearInterval(timer); timer = null; play.textContent = "Play"; }}
  function start() {{
    if (i === frames.length - 1) show(0);
    timer = setInterval(function () {{
      if (i === frames.length - 1) {{ stop(); return; }}
      show(i + 1);
    }}, {interval});
    play.textContent = "Pause";
  }}
  root.addEventListener("click", function (e) {{
    const act = e.target.dataset && e.target.dataset.act;
    if (!act) return;
    if (act === "play") {{ timer ? stop() : start(); return; }}
    stop();
    show({{first: 0, prev: i - 1, next: i + 1, last: frames.length - 1}}[act]);
  }});
  slider.addEventListener("input", function () {{ stop(); show(Number(slider.value)); }});
  root.tabIndex = 0;
  root.addEventListener("keydown", function (e) {{
    if (e.key === " ") {{ timer ? stop() : start(); e.preventDefault(); }}
    else if (e.key === "ArrowLeft") {{ stop(); show(i - 1); }}
    else if (e.key === "ArrowRight") {{ stop(); show(i + 1); }}
  }});
  // a link may open the player at a frame: page.html#frame=12 (or #frame=last)
  const asked = /frame=(\d+|last)/.exec(location.hash);
  if (asked) show(asked[1] === "last" ? frames.length - 1 : Math.min(Number(asked[1]), frames.length - 1));
}})();
</script>
</div>"""


def _data_url(image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=9)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def player_html(frames: Sequence[np.ndarray], captions: Sequence[str], fps: float, *,
                title: str = "toygan animation", uid: str = "toygan-player") -> str:
    """The player as an HTML fragment (a ``<div>`` with its script): for notebooks and pages.

    Args:
        frames: RGB uint8 arrays ``(H, W, 3)``, all of one size.
        captions: one short text per frame, shown beside the slider (the training step).
        fps: playback speed in frames per second.
        title: the image's alt text.
        uid: the element id, unique on the page.
    """
    if len(captions) != len(frames):
        raise ValueError(f"{len(captions)} captions for {len(frames)} frames")
    urls = [_data_url(image) for image in quantize(frames)]
    return _PLAYER.format(uid=html.escape(uid), title=html.escape(title), first=urls[0],
                          last=len(urls) - 1, caption=html.escape(captions[0]),
                          frames=json.dumps(urls), captions=json.dumps(list(captions)),
                          interval=round(1000 / fps))


def write_html(frames: Sequence[np.ndarray], path: Path, fps: float, captions: Sequence[str], *,
               title: str = "toygan animation") -> None:
    """One self-contained HTML page with the player, written atomically."""
    Player(frames, captions, fps, title=title).save(path)


_ids = itertools.count()


class Player:
    """An HTML player that notebooks show inline (``_repr_html_``) and ``save`` writes as a page."""

    def __init__(self, frames: Sequence[np.ndarray], captions: Sequence[str], fps: float, *,
                 title: str = "toygan animation") -> None:
        self.title, self.fps = title, fps
        self.fragment = player_html(frames, captions, fps, title=title,
                                    uid=f"toygan-player-{next(_ids)}")

    def _repr_html_(self) -> str:
        return f"<style>{_CSS.format()}</style>{self.fragment}"

    def save(self, path: str | Path) -> Path:
        """Write the player as one self-contained page, atomically."""
        path = Path(path)
        page = _PAGE.format(title=html.escape(self.title), player_css=_CSS.format(),
                            player=self.fragment)
        with atomic_path(path) as tmp:
            Path(tmp).write_text(page, encoding="utf-8")
        return path
