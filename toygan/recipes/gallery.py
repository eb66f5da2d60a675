"""The gallery: what each build measured (``results.json``) and the page that shows the animations
with their claims; and the checks that a build spoils no folder or page it did not write."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from toygan.atomic import atomic_path
from toygan.errors import ToyganError
from toygan.recipes.building import Built, kept_paths
from toygan.recipes.kinds import RECIPE_KINDS
from toygan.recipes.reading import GALLERY, Recipe

__all__ = ["GALLERY_HEADING", "RESULTS_FILE", "read_results", "check_build_folder", "write_gallery",
           "record_results"]

RESULTS_FILE = "results.json"


GALLERY_HEADING = "# Gallery: the animation recipes"


def read_results(folder: str | Path) -> dict[str, dict]:
    """``folder/results.json`` as recipe name → what its last build measured (empty if none).

    Raises:
        ToyganError: when the file is there but is not a results file toygan wrote.
    """
    path = Path(folder) / RESULTS_FILE
    if not path.exists():
        return {}
    try:
        measured = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ToyganError(f"{path}: not a results file toygan wrote ({err}); move it away or "
                          "choose another --out") from None
    if not isinstance(measured, dict) or not all(isinstance(m, dict) for m in measured.values()):
        raise ToyganError(f"{path}: not a results file toygan wrote (it must map recipe names to "
                          "tables); move it away or choose another --out")
    for name, m in measured.items():
        for key, kinds in _RESULT_FIELDS.items():
            value = m.get(key)
            if value is not None and (isinstance(value, bool) is not (kinds == (bool,))
                                      or not isinstance(value, kinds)):
                raise ToyganError(f"{path}: {name}.{key} = {value!r} is not what toygan writes there; "
                                  "move the file away or choose another --out")
        if not all(isinstance(s, str) for s in m.get("statements") or []):
            raise ToyganError(f"{path}: {name}.statements must be a list of lines; move the file "
                              "away or choose another --out")
    return measured


_RESULT_FIELDS = {"statements": (list,), "holds": (bool,), "seconds": (int, float),
                  "trained": (bool,), "train_seconds": (int, float), "shown": (str,),
                  "seed_index": (int,), "seeds": (int,), "all_hold_in": (int,), "file": (str,)}
"""What each recipe's entry in results.json holds (``None`` allowed), as the gallery reads it."""


def check_build_folder(recipes: list[Recipe], out_dir: str | Path, page: str | Path | None = None) -> None:
    """Refuse, before any work, an output folder or gallery page that a build would spoil: the
    package's own recipes, a results file or README.md that toygan did not write, a path where a
    history is to be kept that is taken by something else, or a page that is a folder, lies in a
    missing folder or is a file that is not a gallery page.

    Raises:
        ToyganError: naming the path and what to do.
    """
    out_dir = Path(out_dir)
    if out_dir.resolve() == GALLERY.resolve() or GALLERY.resolve() in out_dir.resolve().parents:
        raise ToyganError(f"--out {str(out_dir)!r}: that is toygan's own recipe folder, inside the "
                          "package; choose another folder")
    if out_dir.exists() and not out_dir.is_dir():
        raise ToyganError(f"--out {str(out_dir)!r}: is a file; give a folder for the animations")
    read_results(out_dir)
    _ours(out_dir / "README.md", "--out", "its README.md")
    for recipe in recipes:
        for path in kept_paths(recipe, out_dir).values():
            for taken in [*reversed(path.relative_to(out_dir).parents), path.relative_to(out_dir)]:
                place = out_dir / taken
                folder = place != path
                if place.exists() and place.is_dir() != folder:
                    raise ToyganError(f"{place}: a {'file' if folder else 'folder'} is where this "
                                      "build keeps a recipe's history; move it away or choose "
                                      "another --out")
    if page is not None:
        page = Path(page)
        if page.is_dir():
            raise ToyganError(f"--gallery {str(page)!r}: is a folder; give the page's file name")
        if not page.parent.is_dir():
            raise ToyganError(f"--gallery {str(page)!r}: the folder {str(page.parent)!r} does not exist")
        _ours(page, "--gallery", "it")


def _ours(path: Path, option: str, what: str) -> None:
    """A ToyganError if ``path`` exists and is not a gallery page toygan wrote."""
    if not path.exists():
        return
    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline().strip()
    except (OSError, UnicodeDecodeError):
        first = ""
    if first != GALLERY_HEADING:
        raise ToyganError(f"{option}: {path} is not a gallery page toygan wrote, and the build would "
                          f"write over {what}; move it away or choose another {option}")


def _gallery(recipes: list[Recipe], measured: dict[str, dict], page: Path, media: str) -> str:
    """The gallery page at ``page``; ``media`` is the path from the page to the built animations."""
    lines = [GALLERY_HEADING, "",
             "Each animation is made from the recipe linked under it, and each claim is measured over "
             "seeds by the same run that drew the animation; the animation shows the seed nearest "
             "the median of the checks among the seeds where every check holds. Rebuild them all "
             "with `toygan animations build --out DIR` (or some: `toygan animations build NAME ... "
             "--out DIR`); the figures "
             "below are what the last build printed.", ""]
    for r in recipes:
        m = measured.get(r.name, {})
        media_file = m.get("file") or f"{r.name}.gif"
        shown = (f"![{r.title}]({media}{media_file})" if media_file.endswith(".gif")
                 else f"[The animation ({Path(media_file).suffix[1:].upper()})]({media}{media_file})")
        if "file" in m and m["file"] is None:  # the last build drew nothing: no seed showed the claim
            shown = "*No animation: the last build found no seed that shows the claim.*"
        elif not m:  # not built into this folder: no picture to show (it would be a broken image)
            shown = f"*Not built here yet: `toygan animations build {r.name}` draws it.*"
        lines += [f"## {r.title}", "", shown, "",
                  f"**Claim.** {r.claim}", "",
                  f"**Look for.** {r.look_for}", ""]
        if m.get("statements"):
            if not RECIPE_KINDS[r.kind].trains:
                how = f"integrated and drawn in {m.get('seconds', 0):.0f} s"
            elif m.get("trained", True):
                how = f"trained and drawn in {m.get('seconds', 0):.0f} s"
            else:
                how = (f"drawn in {m.get('seconds', 0):.0f} s from the histories kept by a build "
                       f"that took {m.get('train_seconds') or 0:.0f} s")
            lines += [f"**Measured** (by `toygan animations build {r.name}`, {how}):", ""]
            lines += [f"- {s}" for s in m["statements"]] + [""]
        elif r.checks:
            lines += ["**Measured:** not yet built.", ""]
        seeds = f" {m['shown'][0].upper()}{m['shown'][1:]}." if m.get("shown") else ""
        if m.get("statements") and not m.get("shown"):  # results of a build that chose no seed
            seeds = f" The animation shows seed index {r.member or 0}, chosen by hand."
        recipe_link = Path(os.path.relpath(r.path.resolve(), page.resolve().parent)).as_posix()
        lines += [f"**Source.** {r.source}", "",
                  f"Recipe: [{r.path.name}]({recipe_link})"
                  + (f" (`toygan animations show {r.name}` prints it)" if r.path.parent == GALLERY else "")
                  + (f"; {r.seeds} seeds.{seeds}" if RECIPE_KINDS[r.kind].trains else "."), ""]
    return "\n".join(lines)


def write_gallery(recipes: list[Recipe], folder: str | Path, docs_page: str | Path | None) -> None:
    """Write ``folder/README.md`` and ``docs_page`` from the recipes and ``folder/results.json``."""
    folder = Path(folder)
    measured = read_results(folder)
    pages = [(folder / "README.md", "")]
    if docs_page is not None:
        docs_page = Path(docs_page)
        rel = Path(os.path.relpath(folder.resolve(), docs_page.resolve().parent)).as_posix()
        pages.append((docs_page, f"{rel}/"))
    for page, media in pages:
        with atomic_path(page) as tmp:
            Path(tmp).write_text(_gallery(recipes, measured, page, media), encoding="utf-8")


def record_results(folder: str | Path, built: Built) -> None:
    """Keep what a build measured in ``folder/results.json`` (merged with earlier builds)."""
    path = Path(folder) / RESULTS_FILE
    # builds of different recipes may run at once (one per core): merge under a lock
    with open(Path(folder) / f".{RESULTS_FILE}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        measured = read_results(folder)
        earlier = measured.get(built.recipe.name, {})
        trained = round(built.seconds, 1) if built.trained else earlier.get("train_seconds")
        measured[built.recipe.name] = {
            "statements": [r.statement() for r in built.results], "holds": built.holds,
            "seconds": round(built.seconds, 1), "trained": built.trained, "train_seconds": trained,
            "shown": built.shown(),
            "seed_index": built.member, "seeds": built.seeds, "all_hold_in": built.all_hold_in,
            "file": built.path.name if built.path else None}
        with atomic_path(path) as tmp:
            Path(tmp).write_text(json.dumps(measured, indent=1, sort_keys=True, ensure_ascii=False)
                                 + "\n", encoding="utf-8")
