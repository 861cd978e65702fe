"""One look for every figure: colour-blind-safe palette, slide-size fonts, PNG (SVG on request)."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from abm.io import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Okabe & Ito (2008) palette, safe for the common colour-vision deficiencies.
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}


#: One colour per observable and per regime, the same in every figure, report and app view.
COLOURS: dict[str, str] = {
    # openness and participation
    "participation": OKABE_ITO["orange"],
    "open_share": OKABE_ITO["sky_blue"],
    "mean_openness": OKABE_ITO["bluish_green"],
    # who earns what
    "utility_generalists": OKABE_ITO["orange"],
    "utility_specialists": OKABE_ITO["sky_blue"],
    "closed_profit": OKABE_ITO["bluish_green"],
    "consumer_surplus": OKABE_ITO["blue"],
    "penalties_paid": OKABE_ITO["vermillion"],
    "welfare": OKABE_ITO["black"],
    # performance
    "mean_alpha1": OKABE_ITO["reddish_purple"],
    "mean_alpha0": OKABE_ITO["grey"],
    # regimes (free, comply, pay, abstain)
    "free": OKABE_ITO["sky_blue"],
    "comply": OKABE_ITO["bluish_green"],
    "pay": OKABE_ITO["orange"],
    "abstain": OKABE_ITO["grey"],
    # the share of generalists in each regime: the regime's colour
    "share_free": OKABE_ITO["sky_blue"],
    "share_comply": OKABE_ITO["bluish_green"],
    "share_pay": OKABE_ITO["orange"],
    "share_abstain": OKABE_ITO["grey"],
}


def colour_of(name: str) -> str:
    """The colour of an observable or regime (grey for one without its own)."""
    return COLOURS.get(name, OKABE_ITO["grey"])


def in_jupyter() -> bool:
    """Whether this process is a Jupyter (IPython) kernel, where figures show inline."""
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    ipython = shell.get_ipython()
    return ipython is not None and hasattr(ipython, "kernel")


#: The project's theme: seaborn's ``set_theme(context="talk", style="whitegrid")`` with the
#: Okabe–Ito palette, written out as matplotlib settings so that drawing a figure does not import
#: seaborn (about 1 s of start-up: it imports scipy.stats). ``tests/test_style.py`` checks that
#: these are still the settings seaborn's theme makes (all but ``image.cmap``: seaborn's "rocket"
#: exists only once seaborn is imported, and no figure here uses the default colour map).
THEME: dict[str, object] = {
    # style "whitegrid"
    "axes.axisbelow": True,
    "axes.edgecolor": ".8",
    "axes.facecolor": "white",
    "axes.grid": True,
    "axes.labelcolor": ".15",
    "axes.spines.bottom": True,
    "axes.spines.left": True,
    "axes.spines.right": True,
    "axes.spines.top": True,
    "figure.facecolor": "white",
    "font.family": ["sans-serif"],
    "font.sans-serif": [
        "Arial",
        "DejaVu Sans",
        "Liberation Sans",
        "Bitstream Vera Sans",
        "sans-serif",
    ],
    "grid.color": ".8",
    "grid.linestyle": "-",
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "text.color": ".15",
    "xtick.bottom": False,
    "xtick.color": ".15",
    "xtick.direction": "out",
    "xtick.top": False,
    "ytick.color": ".15",
    "ytick.direction": "out",
    "ytick.left": False,
    "ytick.right": False,
    # context "talk" (seaborn's "notebook" sizes × 1.5)
    "font.size": 18.0,
    "axes.labelsize": 18.0,
    "axes.titlesize": 15.0,  # ours: smaller than the context's 18
    "xtick.labelsize": 16.5,
    "ytick.labelsize": 16.5,
    "legend.fontsize": 16.5,
    "legend.title_fontsize": 18.0,
    "axes.linewidth": 1.875,
    "grid.linewidth": 1.5,
    "lines.linewidth": 2.25,
    "lines.markersize": 9.0,
    "patch.linewidth": 1.5,
    "xtick.major.width": 1.875,
    "ytick.major.width": 1.875,
    "xtick.minor.width": 1.5,
    "ytick.minor.width": 1.5,
    "xtick.major.size": 9.0,
    "ytick.major.size": 9.0,
    "xtick.minor.size": 6.0,
    "ytick.minor.size": 6.0,
    # palette: Okabe–Ito, in order
    "patch.facecolor": "C0",
    # ours
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
}


def apply_style() -> None:
    """Select the project's theme (:data:`THEME`), and the file-only backend outside Jupyter.

    In a Jupyter kernel the backend is left alone, so a notebook's figures show inline with no
    ``%matplotlib inline``; elsewhere (scripts, the command line, servers) figures are drawn
    with the non-interactive Agg backend.

    Examples:
        >>> import matplotlib
        >>> apply_style()
        >>> matplotlib.get_backend().lower()
        'agg'
    """
    import matplotlib
    from matplotlib import cycler

    if not in_jupyter():
        matplotlib.use("Agg")
    matplotlib.rcParams.update(THEME)
    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=list(OKABE_ITO.values()))


#: What a figure is written as: PNG; ``--svg`` adds an SVG copy (see :func:`figure_formats`).
PNG_ONLY: tuple[str, ...] = ("png",)


def figure_formats(svg: bool = False) -> tuple[str, ...]:
    """The formats each figure is written in: PNG, and SVG too when ``svg`` (``--svg``).

    Examples:
        >>> figure_formats(), figure_formats(svg=True)
        (('png',), ('png', 'svg'))
    """
    return (*PNG_ONLY, "svg") if svg else PNG_ONLY


def save_figure(
    figure: Figure, folder: str | Path, stem: str, formats: Sequence[str] = PNG_ONLY
) -> list[Path]:
    """Atomically save ``figure`` as ``folder/stem.<format>`` for each format, then close it.

    PNG by default; ``formats=figure_formats(svg=True)`` adds the SVG (about twice the time).
    """
    import matplotlib.pyplot as plt

    written = []
    for fmt in formats:
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt)
        data = buffer.getvalue()
        written.append(atomic_write(Path(folder) / f"{stem}.{fmt}", lambda s, d=data: s.write(d)))
    plt.close(figure)
    return written
