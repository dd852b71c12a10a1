"""Markdown pipe tables of pandas frames, shared by every report."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["escape", "fmt", "markdown_table"]


def fmt(x: Any, digits: int = 3) -> str:
    """A number as report text: ``digits`` significant digits in exponent form when
    tiny or huge, two decimals otherwise; ``–`` for NaN, empty for None."""
    if x is None:
        return ""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(f):
        return "–"
    if f == 0:
        return "0"
    return f"{f:.{digits}g}" if abs(f) < 1e-3 or abs(f) >= 1e4 else f"{f:.2f}"


def escape(x: Any) -> str:
    """Text safe inside a Markdown table cell or list item."""
    return str(x).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table (GitHub Markdown) of a frame; floats through :func:`fmt`."""
    head = "| " + " | ".join(escape(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(escape(fmt(v) if isinstance(v, float) else v) for v in r) + " |"
        for r in frame.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])
