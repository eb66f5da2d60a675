"""A self-contained HTML player: the frames as inline images, play/pause, step buttons, a slider, a
speed control, a loop toggle and full screen.

One file, no network, no scripts from elsewhere: a teacher can put it on a course page or open it
from a USB stick. As a page of its own the frame fills the window. Keys (on the page at once; in a
notebook once the player has the focus): space plays and pauses, ← and → step one frame, Home and
End jump, + and - change the speed, l toggles the loop, f goes full screen; ``page.html#frame=N``
(or ``#frame=last``) opens at frame N.

The frames share one 255-colour palette (as the GIF does), which keeps their colours steady, and
are stored as lossless WebP: the first whole, each later one as the pixels that changed since the
one before (the rest transparent), with a whole frame every ``WHOLE_EVERY``. The player stacks
them: a frame is the last whole one before it with the changes since laid over it, exactly the
frame's pixels. On the default 3,000-step run's 60 frames at 720 px this makes the notebook's cell
0.80 MB, against 1.71 MB for the same frames as one PNG each (``python benchmarks/player_size.py``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from toygan.atomic import atomic_path
from toygan.render.palette import quantize

__all__ = ["Player", "player_html", "write_html"]

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 1em; color: #222; background: #fff; }}
  {player_css}
  /* a page of its own: the frame fills the window, as large as fits above the controls */
  .toygan-page .toygan-player {{ display: block; }}
  .toygan-page .toygan-player img {{ width: 100%; max-height: calc(100vh - 2em - 3.2em);
                                     object-fit: contain; }}
</style>
</head>
<body class="toygan-page">
{player}
</body>
</html>
"""

_CSS = """.toygan-player {{ display: inline-block; max-width: 100%; }}
  .toygan-player img {{ display: block; max-width: 100%; height: auto; margin: 0 auto; }}
  .toygan-frame {{ position: relative; }}
  .toygan-frame .toygan-layer {{ position: absolute; left: 0; top: 0; width: 100%; height: 100%;
                                   max-height: none; object-fit: contain; visibility: hidden; }}
  .toygan-player:fullscreen {{ background: #fff; display: flex; flex-direction: column;
                              justify-content: center; padding: 0.5em; box-sizing: border-box; }}
  .toygan-player:fullscreen img {{ width: 100%; height: calc(100vh - 4em); max-height: none;
                                  object-fit: contain; }}
  .toygan-controls {{ display: flex; align-items: center; gap: 0.4em; margin-top: 0.4em;
                     font: 14px system-ui, sans-serif; flex-wrap: wrap; }}
  .toygan-controls button, .toygan-controls select {{ min-width: 2.4em; font-size: 14px;
                                                      padding: 0.2em 0.5em; }}
  .toygan-controls input[type=range] {{ flex: 1; min-width: 8em; }}
  .toygan-controls output {{ min-width: 9em; font-variant-numeric: tabular-nums; }}"""

# ids are made unique per player so several players (or notebook cells) can share a page
_PLAYER = r"""<div class="toygan-player" id="{uid}" data-keys="{keys}">
<div class="toygan-frame"><img alt="{title}" src="{first}"></div>
<div class="toygan-controls">
  <button type="button" data-act="first" title="first frame (Home)">|&#x25C0;</button>
  <button type="button" data-act="prev" title="previous frame (←)">&#x25C0;</button>
  <button type="button" data-act="play" title="play / pause (space)">Play</button>
  <button type="button" data-act="next" title="next frame (→)">&#x25B6;</button>
  <button type="button" data-act="last" title="last frame (End)">&#x25B6;|</button>
  <input type="range" min="0" max="{last}" value="0" step="1" aria-label="frame">
  <output>{caption}</output>
  <select aria-label="speed" title="speed (- and +)">
    <option value="0.25">0.25×</option><option value="0.5">0.5×</option>
    <option value="1" selected>1×</option><option value="2">2×</option><option value="4">4×</option>
  </select>
  <label title="loop (l)"><input type="checkbox" data-act="loop"> loop</label>
  <button type="button" data-act="full" title="full screen (f)">full screen</button>
</div>
<script>
(function () {{
  // the frames after the first: [image, 1 for a whole frame or 0 for the pixels changed since the
  // frame before], stacked over the first; a frame shows its last whole one and the changes since
  const layers = {layers};
  const order = {order};
  const captions = {captions};
  const root = document.getElementById("{uid}");
  const box = root.querySelector(".toygan-frame");
  const img = box.querySelector("img");
  const stacked = layers.map(function (layer) {{
    const im = document.createElement("img");
    im.src = layer[0]; im.alt = ""; im.className = "toygan-layer";
    box.appendChild(im);
    return im;
  }});
  // once every image has loaded, each frame is also laid together on a canvas at the frames' own
  // size, shown over the layers as one image: scaled, the layers alone would blend their edges with
  // the frames beneath (the layers stay right below, for the moment before the canvas is shown)
  const flat = document.createElement("canvas");
  flat.className = "toygan-layer";
  box.appendChild(flat);
  let flattened = false;
  function paint(d) {{
    let from = d;
    while (from > 0 && !layers[from - 1][1]) from--;
    stacked.forEach(function (im, j) {{
      im.style.visibility = j + 1 >= from && j < d ? "visible" : "hidden";
    }});
    if (flattened) {{
      const pen = flat.getContext("2d");
      pen.drawImage(from ? stacked[from - 1] : img, 0, 0);
      for (let j = from; j < d; j++) pen.drawImage(stacked[j], 0, 0);
    }}
  }}
  function flatten() {{
    if (flattened || ![img].concat(stacked).every(function (im) {{ return im.complete && im.naturalWidth; }}))
      return;
    flat.width = img.naturalWidth; flat.height = img.naturalHeight;
    flattened = true;
    paint(order[i]);
    flat.style.visibility = "visible";
    root.dataset.flat = "1";
  }}
  [img].concat(stacked).forEach(function (im) {{ im.addEventListener("load", flatten); }});
  const slider = root.querySelector("input[type=range]");
  const out = root.querySelector("output");
  const play = root.querySelector("[data-act=play]");
  const speed = root.querySelector("select");
  const loop = root.querySelector("[data-act=loop]");
  const n = order.length;
  let i = 0, timer = null;
  function show(k) {{
    i = Math.max(0, Math.min(k, n - 1));
    paint(order[i]); slider.value = i; out.textContent = captions[i];
  }}
  function stop() {{ clearInterval(timer); timer = null; play.textContent = "Play"; }}
  function tick() {{
    if (i === n - 1) {{ if (loop.checked) show(0); else stop(); return; }}
    show(i + 1);
  }}
  function start() {{
    if (i === n - 1) show(0);
    clearInterval(timer);
    timer = setInterval(tick, {interval} / Number(speed.value));
    play.textContent = "Pause";
  }}
  function toggle() {{ timer ? stop() : start(); }}
  function fullscreen() {{
    if (document.fullscreenElement) document.exitFullscreen();
    else if (root.requestFullscreen) root.requestFullscreen();
  }}
  function faster(by) {{
    speed.selectedIndex = Math.max(0, Math.min(speed.options.length - 1, speed.selectedIndex + by));
    if (timer) start();
  }}
  root.addEventListener("click", function (e) {{
    const act = e.target.dataset && e.target.dataset.act;
    if (!act || act === "loop") return;
    if (act === "play") {{ toggle(); return; }}
    if (act === "full") {{ fullscreen(); return; }}
    stop();
    show({{first: 0, prev: i - 1, next: i + 1, last: n - 1}}[act]);
  }});
  slider.addEventListener("input", function () {{ stop(); show(Number(slider.value)); }});
  speed.addEventListener("change", function () {{ if (timer) start(); }});
  function key(e) {{
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const act = {{" ": toggle, "ArrowLeft": function () {{ stop(); show(i - 1); }},
                 "ArrowRight": function () {{ stop(); show(i + 1); }},
                 "Home": function () {{ stop(); show(0); }}, "End": function () {{ stop(); show(n - 1); }},
                 "f": fullscreen, "l": function () {{ loop.checked = !loop.checked; }},
                 "+": function () {{ faster(1); }}, "-": function () {{ faster(-1); }}}}[e.key];
    if (!act || e.target === speed) return;
    // the slider, buttons and checkbox would act on these keys too (a second step, a click)
    e.preventDefault(); e.stopPropagation();
    act();
  }}
  root.tabIndex = 0;
  // a page of its own listens to the whole page, so keys work before any click; in a notebook
  // the player takes keys only while it has the focus, leaving the notebook's own keys alone
  (root.dataset.keys === "page" ? document : root).addEventListener("keydown", key);
  // a link may open the player at a frame: page.html#frame=12 (or #frame=last)
  const asked = /frame=(\d+|last)/.exec(location.hash);
  if (asked) show(asked[1] === "last" ? n - 1 : Number(asked[1]));
  flatten();  // (the images may all have loaded already)
}})();
</script>
</div>"""


WHOLE_EVERY = 12
"""A whole frame among the stored changes every so many frames: stepping back, or a jump, lays
at most this many images over each other."""


def _data_url(pixels: np.ndarray) -> str:
    """RGB or RGBA pixels as a lossless WebP data URL."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="WEBP", lossless=True, quality=100, method=4)
    return "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _layers(frames: list[np.ndarray]) -> list[tuple[str, int]]:
    """Every frame after the first as [data URL, whole]: whole every ``WHOLE_EVERY``, otherwise
    the pixels changed since the frame before, opaque, over transparent ones."""
    out = []
    for k in range(1, len(frames)):
        if k % WHOLE_EVERY == 0:
            out.append((_data_url(frames[k]), 1))
            continue
        changed = np.dstack([frames[k], np.full(frames[k].shape[:2], 255, np.uint8)])
        changed[(frames[k] == frames[k - 1]).all(axis=-1)] = 0
        out.append((_data_url(changed), 0))
    return out


def player_html(frames: Sequence[np.ndarray], captions: Sequence[str], fps: float, *,
                title: str = "toygan animation", uid: str = "toygan-player", page: bool = False) -> str:
    """The player as an HTML fragment (a ``<div>`` with its script): for notebooks and pages.

    Args:
        frames: RGB uint8 arrays ``(H, W, 3)``, all of one size; a frame repeated in a row (a
            schedule's slow motion, ``toygan.render.timing``) is stored once.
        captions: one short text per frame, shown beside the slider (the training step).
        fps: playback speed in frames per second (at 1×; the player offers 0.25× to 4×).
        title: the image's alt text.
        uid: the element id, unique on the page.
        page: the player is the page's own, so it takes keys from the whole page; in a notebook
            (False) only while it has the focus.
    """
    return _PLAYER.format(**_player_parts(frames, captions, fps, title, uid),
                          keys="page" if page else "focus")


def _player_parts(frames: Sequence[np.ndarray], captions: Sequence[str], fps: float, title: str,
                  uid: str) -> dict[str, str | int]:
    """The player's filled-in parts (frames encoded once), all but where it takes keys from."""
    if len(captions) != len(frames):
        raise ValueError(f"{len(captions)} captions for {len(frames)} frames")
    distinct, order = [], []
    for k, frame in enumerate(frames):
        if not (k and np.array_equal(frame, frames[k - 1])):
            distinct.append(frame)
        order.append(len(distinct) - 1)
    shared = [np.asarray(image.convert("RGB")) for image in quantize(distinct)]
    return dict(uid=html.escape(uid), title=html.escape(title), first=_data_url(shared[0]),
                last=len(order) - 1,
                caption=html.escape(captions[0]), layers=json.dumps(_layers(shared)), order=json.dumps(order),
                # (no "<" inside the script: "</script>" or "<!--" in a caption would end or break it)
                captions=json.dumps(list(captions)).replace("<", "\\u003c"), interval=round(1000 / fps))


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
        # unique on a page that shows several notebooks' outputs (each kernel counts from 0), and
        # the same for the same frames (a saved page is reproducible)
        digest = hashlib.sha1(b"".join(np.ascontiguousarray(f).tobytes() for f in frames[::8])).hexdigest()
        self._parts = _player_parts(frames, captions, fps, title, f"toygan-player-{digest[:12]}-{next(_ids)}")

    @property
    def fragment(self) -> str:
        """The player for a notebook: it takes keys only while it has the focus."""
        return _PLAYER.format(**self._parts, keys="focus")

    def _repr_html_(self) -> str:
        return f"<style>{_CSS.format()}</style>{self.fragment}"

    def save(self, path: str | Path) -> Path:
        """Write the player as one self-contained page, atomically."""
        path = Path(path)
        # the page is the player's own: it takes keys from the whole page (see player_html)
        fragment = _PLAYER.format(**self._parts, keys="page")
        page = _PAGE.format(title=html.escape(self.title), player_css=_CSS.format(), player=fragment)
        with atomic_path(path) as tmp:
            Path(tmp).write_text(page, encoding="utf-8")
        return path
