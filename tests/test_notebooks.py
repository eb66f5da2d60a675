"""The course in notebooks/: each runs top to bottom in a fresh kernel, as a student's would,
with no error, no warning on stderr, and no output cell over 1 MB."""

import json
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient")
pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel")

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
HOME = "toygan/toygan"
MAX_OUTPUT_BYTES = 2**20
CELL_SECONDS = 600  # a cell that takes this long is broken, not slow


def test_the_course_is_there_and_stripped():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        code = [c for c in book.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name}: outputs kept"
        badge = book.cells[0].source
        assert f"colab.research.google.com/github/{HOME}/blob/main/notebooks/{path.name}" in badge, path.name
        first = code[0].source  # installs toygan only where it is missing
        assert "import toygan\nexcept ImportError:" in first and "%pip install" in first, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_notebook_runs_top_to_bottom(path, tmp_path):
    book = nbformat.read(path, as_version=4)
    shutil.copy(path, tmp_path / path.name)  # (what it writes lands beside the copy)
    client = nbclient.NotebookClient(book, timeout=CELL_SECONDS, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # an error in any cell raises CellExecutionError with its traceback
    for i, cell in enumerate(book.cells):
        if cell.cell_type == "code" and cell.source.strip() == "history":  # shown as a player
            shown = [o for o in cell.outputs if "toygan-player" in o.get("data", {}).get("text/html", "")]
            assert shown, f"{path.name} cell {i}: the history is not shown as a player"
        for output in cell.get("outputs", []):
            size = len(json.dumps(output).encode())
            assert size <= MAX_OUTPUT_BYTES, f"{path.name} cell {i}: an output of {size / 1e6:.2f} MB"
            if output.get("name") == "stderr":
                assert "Warning" not in output["text"], f"{path.name} cell {i}: {output['text']}"
