"""Figures of runs and studies: legends outside the data, one colour per observable, caveats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.figures import runs as figures
from abm.figures.style import colour_of


@pytest.fixture
def drawn(monkeypatch):
    """The figures the functions would save, kept open instead of written."""
    kept = []

    def keep(figure, folder, stem, formats=("png", "svg")):
        figure.canvas.draw()
        kept.append(figure)
        return []

    monkeypatch.setattr(figures, "save_figure", keep)
    return kept


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _legends_clear_of_axes(figure) -> None:
    renderer = figure.canvas.get_renderer()
    boxes = [axes.get_window_extent(renderer) for axes in figure.axes if axes.get_visible()]
    legends = [axes.get_legend() for axes in figure.axes if axes.get_legend() is not None]
    assert legends, "no legend"
    for legend in legends:
        box = legend.get_window_extent(renderer)
        assert not any(_overlaps(box, axes) for axes in boxes), "a legend covers the data"


def _texts(figure) -> str:
    return " ".join(text.get_text() for text in figure.texts)


def _series(runs: int) -> pd.DataFrame:
    steps = np.arange(20)
    return pd.DataFrame(
        {
            "run_id": np.repeat(np.arange(runs), len(steps)),
            "step": np.tile(steps, runs),
            "open_share": 0.5,
            "mean_openness": 0.4,
            "participation": 0.9,
        }
    )


def test_fan_chart_legend_outside_and_caveat_below_30_runs(tmp_path: Path, drawn) -> None:
    _series(8).to_parquet(tmp_path / "few.parquet")
    _series(30).to_parquet(tmp_path / "many.parquet")
    figures.fan_chart(tmp_path / "few.parquet", tmp_path, "few")
    figures.fan_chart(tmp_path / "many.parquet", tmp_path, "many")
    few, many = drawn
    _legends_clear_of_axes(few)
    assert "only 8 runs" in _texts(few) and "fewer than 30" not in _texts(many)
    lines = few.axes[0].get_lines()
    assert lines[0].get_color().lower() == colour_of("open_share").lower()


def test_sweep_and_run_figures_keep_legends_off_the_data(tmp_path: Path, drawn) -> None:
    rng = np.random.default_rng(0)
    runs = pd.DataFrame(
        {
            "regulator.penalty": np.repeat([0.0, 0.25, 0.5], 4),
            "welfare": rng.normal(1.0, 0.1, 12),
            "status": "ok",
        }
    )
    figures.sweep_figure(runs, ["regulator.penalty"], "welfare", tmp_path, "sweep")
    series = (
        _series(1)
        .drop(columns="run_id")
        .assign(
            welfare=1.0,
            utility_generalists=1.0,
            utility_specialists=2.0,
            closed_profit=0.5,
            consumer_surplus=3.0,
            penalties_paid=0.0,
        )
    )
    figures.run_figures(series, tmp_path, "run")
    for figure in drawn:
        _legends_clear_of_axes(figure)
    assert "only 4 runs" in _texts(drawn[0])
