"""Every figure the project draws, and their one style.

Modules:
    style: the palette, one colour per observable and regime (``COLOURS``), the theme,
        saving (PNG; SVG too on request: ``figure_formats``).
    runs: figures of runs and studies (time paths, fan charts, sweeps, sensitivity).
    openness: Model I's region maps, lever maps and landscapes.
    race: Model II's upgrade gains and spend.
    open_sourcing: Model III's propensity curves.
"""

from abm.figures.style import (
    COLOURS,
    OKABE_ITO,
    apply_style,
    colour_of,
    figure_formats,
    save_figure,
)

__all__ = ["COLOURS", "OKABE_ITO", "apply_style", "colour_of", "figure_formats", "save_figure"]
