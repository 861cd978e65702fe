"""Shared figure style and saving for every plot the project draws."""

from abm.figures.style import OKABE_ITO, apply_style, save_figure

__all__ = ["OKABE_ITO", "apply_style", "save_figure"]
