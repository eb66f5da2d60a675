"""The package as a user installs it: a wheel that holds the recipes and builds them anywhere."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from toygan.recipes import GALLERY

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_ships_the_recipes_and_builds_one_from_another_folder(tmp_path):
    source = tmp_path / "source"  # a copy: building writes build/ and egg-info beside the sources
    shutil.copytree(ROOT / "toygan", source / "toygan", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"),
                    str(source)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("toygan-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    recipes = sorted(p.name for p in GALLERY.glob("*.toml"))
    assert len(recipes) >= 10 and {f"toygan/gallery/{name}" for name in recipes} <= names

    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}  # the installed copy, not the repository's
    where = subprocess.run([sys.executable, "-c", "import toygan; print(toygan.__file__)"], env=env,
                           cwd=elsewhere, capture_output=True, text=True, check=True).stdout
    assert Path(where.strip()).is_relative_to(site)
    listed = subprocess.run([sys.executable, "-m", "toygan", "animations", "list"], env=env,
                            cwd=elsewhere, capture_output=True, text=True)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == len(recipes)
    built = subprocess.run([sys.executable, "-m", "toygan", "animations", "build", "dirac-gan",
                            "--out", "gallery", "--jobs", "1"], env=env, cwd=elsewhere,
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert (elsewhere / "gallery/dirac-gan.gif").stat().st_size > 0
    assert [p.name for p in elsewhere.iterdir()] == ["gallery"]  # it wrote only to --out
    assert sorted(p.name for p in (site / "toygan/gallery").iterdir()) == recipes  # and not there
