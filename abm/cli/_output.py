"""Shared output helpers for the command line: JSON-safe numbers and aligned tables."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def json_number(value: Any) -> float | None:
    """A JSON-safe float: NaN and infinities become None (null)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def format_value(value: Any) -> str:
    """Numbers to 6 significant digits, None as a dash, anything else as text."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return "—" if isinstance(value, float) and not math.isfinite(value) else f"{value:.6g}"
    return str(value)


def format_table(sections: Iterable[tuple[str, Iterable[tuple[str, Any]]]]) -> str:
    """Aligned ``label  value`` lines under section headings."""
    blocks = [
        (title, [(label, format_value(value)) for label, value in rows]) for title, rows in sections
    ]
    width = max((len(label) for _, rows in blocks for label, _ in rows), default=0)
    lines: list[str] = []
    for title, rows in blocks:
        if lines:
            lines.append("")
        lines.append(title)
        lines.extend(f"  {label:<{width}}  {value}" for label, value in rows)
    return "\n".join(lines)
