"""Shared fixtures: tiny configs that train in well under a second."""

import shutil
import sys
from pathlib import Path

import pytest

from toygan import Config

TOYGAN = str(Path(sys.executable).with_name("toygan"))
"""The installed ``toygan`` command, beside this interpreter."""


def tiny_config(**overrides) -> Config:
    """A small, fast run; ``overrides`` are dotted fields, e.g. ``**{"train.steps": 5}``."""
    base = {
        "train.steps": 40, "train.batch_size": 32, "model.g_width": 16, "model.d_width": 16,
        "record.every": 10, "record.n_samples": 64, "record.grid_size": 16,
        # the end-of-run evaluation (2,500 samples a member) costs more than such a run trains:
        # tests that look at it ask for it (test_evaluation.py, the sweeps)
        "record.eval_samples": 0,
    }
    return Config().replace(**{**base, **overrides})


@pytest.fixture
def tiny():
    return tiny_config


def damaged(data, original: bytes) -> bytes:
    """``original`` truncated or with one to four bits flipped, as hypothesis's ``data`` draws."""
    from hypothesis import strategies as st

    if data.draw(st.booleans(), "truncate"):
        return original[:data.draw(st.integers(0, len(original) - 1), "length")]
    flipped = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4), "flips")):
        i = data.draw(st.integers(0, len(flipped) - 1), "byte")
        flipped[i] ^= 1 << data.draw(st.integers(0, 7), "bit")
    return bytes(flipped)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
BROWSER_DEADLINE = 120.0  # seconds: only a broken page takes this long


def _browser(window: str):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("the browser tests need Debian's chromium and chromium-driver (apt-get install "
                    "chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={window}", "--force-device-scale-factor=1", "--no-first-run",
                 # a screen as large as the window (headless has 800 × 600): full screen is that big
                 f"--screen-info={{{window.replace(',', 'x')}}}",
                 "--disable-background-networking", "--disable-component-update"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(BROWSER_DEADLINE)
    return driver


@pytest.fixture
def browser():
    """Headless Chromium through Selenium, in a 1600 × 900 window."""
    driver = _browser("1600,900")
    yield driver
    driver.quit()


@pytest.fixture
def projector():
    """Headless Chromium through Selenium, in a 1920 × 1080 window (a projector's)."""
    driver = _browser("1920,1080")
    yield driver
    driver.quit()


# the longest tests (minutes, or tens of seconds: a notebook, runs stopped by signals, every
# format rendered) go first, so that the two workers share the rest and neither is left with one
# long test at the end
LONG_FIRST = ("test_notebooks.py::test_the_notebook_runs_top_to_bottom[04",
              "test_checkpoint_fuzz.py::test_extreme_configs",
              "test_signals.py::test_a_stop_signal_saves_history",
              "test_cli.py::test_train_then_render_every_format",
              "test_cli.py::test_render_with_chosen_panels_and_dirac",
              "test_cli.py::test_render_and_figure_never_write_over_a_run",
              "test_notebooks.py", "test_testing.py::test_the_documented_example_test_file_passes",
              "test_own_ensemble.py::test_a_sweep_and_a_recipe_check")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        place = [i for i, prefix in enumerate(LONG_FIRST) if prefix in item.nodeid]
        return place[0] if place else len(LONG_FIRST)

    items.sort(key=rank)  # (a stable sort: the rest keep their order)


@pytest.fixture
def module_here(tmp_path, monkeypatch):
    """``module_here(name, source)`` writes ``name.py`` into a fresh current folder, where toygan
    imports names such as ``name:function`` from; the module is forgotten after the test."""
    written = []

    def write(name: str, source: str):
        (tmp_path / f"{name}.py").write_text(source)
        written.append(name)
        return tmp_path

    monkeypatch.chdir(tmp_path)
    yield write
    for name in written:
        sys.modules.pop(name, None)
