"""The style helper keeps Jupyter's inline backend and selects Agg everywhere else."""

from __future__ import annotations

import json
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


def test_theme_is_seaborns_talk_whitegrid() -> None:
    # THEME writes seaborn's theme out so that a figure does not import seaborn; it must stay
    # the theme seaborn makes (in a fresh process: set_theme changes global state).
    code = """
import json, matplotlib
matplotlib.use("Agg")
from matplotlib.colors import to_rgba
from abm.figures.style import OKABE_ITO, THEME, apply_style
import seaborn as sns
sns.set_theme(context="talk", style="whitegrid", palette=list(OKABE_ITO.values()),
              rc={"figure.dpi": 100, "savefig.dpi": 150, "savefig.bbox": "tight",
                  "axes.titlesize": 15})
theirs = {key: matplotlib.rcParams[key] for key in THEME}
cycle = [to_rgba(c) for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]]
touched = set(sns.axes_style("whitegrid")) | set(sns.plotting_context("talk"))
matplotlib.rcdefaults()
apply_style()
ours = {key: matplotlib.rcParams[key] for key in THEME}
mine = [to_rgba(c) for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]]
print(json.dumps({
    "differ": sorted(key for key in THEME if str(ours[key]) != str(theirs[key])),
    "missing": sorted(touched - set(THEME) - {"image.cmap"}),
    "cycle": cycle == mine,
}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {"differ": [], "missing": [], "cycle": True}


def test_drawing_a_figure_does_not_import_seaborn(tmp_path) -> None:
    code = (
        "import sys, pandas as pd\n"
        "from abm.figures.runs import run_figures\n"
        "frame = pd.DataFrame({'step': [1, 2], 'participation': [0.5, 0.6],"
        " 'open_share': [0.2, 0.3], 'mean_openness': [0.1, 0.2], 'welfare': [1.0, 1.1]})\n"
        f"written = run_figures(frame, {str(tmp_path)!r}, 'test')\n"
        "print(sorted(p.name for p in written), 'seaborn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("]")[-1].strip() == "False"
