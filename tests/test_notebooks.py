"""The tutorials run end to end (nbclient) at a small size (ABM_TUTORIAL_SMALL=1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "docs" / "tutorials"
NOTEBOOKS = ("01_first_run.ipynb", "02_policy_experiment.ipynb", "03_monte_carlo.ipynb")

# Minutes of simulation: the full run (CI) only; `python -m pytest -m "not slow"` skips them.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_tutorial_runs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("ABM_TUTORIAL_SMALL", "1")
    notebook = nbformat.read(TUTORIALS / name, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(TUTORIALS)}},
    )
    client.execute()  # raises CellExecutionError with the failing cell and its traceback
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    # Every tutorial draws a figure.
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{name} drew no figure"


def test_tutorials_are_stored_without_outputs() -> None:
    nbformat = pytest.importorskip("nbformat")
    for name in NOTEBOOKS:
        notebook = nbformat.read(TUTORIALS / name, as_version=4)
        assert os.path.getsize(TUTORIALS / name) < 50_000
        assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
