"""The live widget in a real browser: a notebook served by Voilà on 127.0.0.1 (a real kernel and
ipywidgets' own front end), opened in headless Chromium, played and steered by clicks and keys."""

import re
import socket
import subprocess
import sys
import time

import pytest

nbformat = pytest.importorskip("nbformat", reason="the widget browser test needs nbformat")
pytest.importorskip("voila", reason="the widget browser test needs voila")
pytest.importorskip("ipywidgets", reason="the widget browser test needs ipywidgets")

DEADLINE = 180.0  # seconds: only a broken page takes this long

CELL = """
import ipywidgets, toygan.live
w = toygan.live.widget(preset="ring", width=480, seed=1)
echo = ipywidgets.HTML()  # the kernel's own word on the game's state, for the test to read
def tell():
    state = w.session.state()
    echo.value = f"<span id='echo'>lr_d={state['settings']['train.lr_d']} step={state['step']}</span>"
w.session.listen(tell)
tell()
ipywidgets.VBox([w, echo])
"""


@pytest.fixture
def voila(tmp_path):
    """Voilà serving a notebook with the widget on 127.0.0.1; its address once it says it runs."""
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, tmp_path / "widget.ipynb")
    with socket.socket() as probe:  # a free port (Voilà's --port=0 prints port 0, not the one it took)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "voila", "widget.ipynb", "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--token="]
    server = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        address, seen = None, []
        end = time.monotonic() + DEADLINE
        while address is None and time.monotonic() < end:  # its readiness line, not a fixed delay
            line = server.stdout.readline()
            if not line:
                break
            seen.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if found and "running at" in "".join(seen[-3:]).lower():
                address = found.group(1)
        assert address, "Voilà did not start:\n" + "".join(seen)
        # drain its log from here on: a full pipe would stall the server
        drain = subprocess.Popen(["cat"], stdin=server.stdout, stdout=subprocess.DEVNULL)
        yield address
        drain.kill()
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def test_the_widget_plays_and_takes_a_learning_rate_in_chromium(voila, browser):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(voila)
    # (the kernel's word is new HTML at each frame: an element read a moment ago may be gone)
    wait = WebDriverWait(browser, DEADLINE, poll_frequency=0.1,
                         ignored_exceptions=[StaleElementReferenceException])

    def text(by: str, where: str) -> str:
        # read again when the element was replaced between finding it and reading it
        while True:
            try:
                return browser.find_element(by, where).text
            except StaleElementReferenceException:
                continue

    def said() -> str:
        return text(By.ID, "echo")

    def step() -> int:
        return int(re.search(r"step=(\d+)", said()).group(1))
    frame = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".widget-image"))
    wait.until(lambda d: frame.get_attribute("src"))
    wait.until(lambda d: said())
    assert "lr_d=0.001 step=0" in said()  # the ring preset's

    play = browser.find_element(By.XPATH, "//button[contains(., 'play')]")
    first = frame.get_attribute("src")
    play.click()
    wait.until(lambda d: "pause" in play.text)
    # the frame changes again and again while the game trains
    seen = {first}
    wait.until(lambda d: seen.add(frame.get_attribute("src")) or len(seen) >= 4)
    steps = wait.until(lambda d: step())
    wait.until(lambda d: step() > steps)

    # a learning rate typed into its field: the kernel's game follows
    field = browser.find_element(By.XPATH, "//label[normalize-space()='lr D']/following::input[1]")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("0.0003", Keys.ENTER)
    wait.until(lambda d: "lr_d=0.0003 " in said())

    # a value the game refuses: one line on the page, and the field shows the game's value again
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("-1", Keys.ENTER)
    refusal = "//span[contains(., 'train.lr_d = -1')]"
    wait.until(lambda d: d.find_element(By.XPATH, refusal))
    assert "\n" not in text(By.XPATH, refusal)
    wait.until(lambda d: field.get_attribute("value") == "0.0003")
    assert "lr_d=0.0003 " in said()

    play.click()
    wait.until(lambda d: "play" in play.text)
