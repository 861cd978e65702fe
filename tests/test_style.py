"""The style helper keeps Jupyter's inline backend and selects Agg everywhere else."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_agg_outside_jupyter() -> None:
    code = (
        "from abm.figures.style import apply_style, in_jupyter; apply_style(); "
        "import matplotlib; print(in_jupyter(), matplotlib.get_backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.lower().split() == ["false", "agg"]


@pytest.mark.slow  # starts a Jupyter kernel
def test_notebook_figure_shows_inline_without_magic() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from abm.figures.style import apply_style\n"
            "import matplotlib.pyplot as plt\n"
            "apply_style()\n"
            "plt.plot([0, 1], [1, 0])\n"
            "plt.show()"
        )
    ]
    nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    outputs = notebook.cells[0]["outputs"]
    assert any("image/png" in output.get("data", {}) for output in outputs), outputs
